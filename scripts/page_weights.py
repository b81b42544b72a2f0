"""Page weights of the citizen pages against a 100 KB budget (not a test: it prints numbers).

Starts the product on its embedded default with demo data, walks the citizen journey once in
Debian's chromium on a 360 px phone (sign in, fill, attach, submit), then fetches each page with
the stylesheets, scripts and images it references, as a first visit with an empty cache does, and
prints the bytes per page as served and what gzip would make of them.

    .venv/bin/python scripts/page_weights.py
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_site import CHROMIUM, FLAGS, running_product, submit, walk_citizen_journey  # noqa: E402

BUDGET = 100 * 1024
PHONE = {"width": 360, "height": 740}


def _assets(base: str, html: bytes) -> list[str]:
    """Same-origin stylesheets, scripts and images the page loads."""
    doc = lxml.html.fromstring(html)
    refs = doc.xpath('//link[@rel="stylesheet"]/@href | //script/@src | //img/@src')
    origin = urlsplit(base).netloc
    return list(dict.fromkeys(u for u in (urljoin(base, r) for r in refs) if urlsplit(u).netloc == origin))


def weigh(context, url: str) -> tuple[int, int, int]:  # noqa: ANN001 - a Playwright context
    """(requests, bytes as served, bytes gzipped) for the page and everything it references."""
    page = context.request.get(url)
    bodies = [page.body()]
    if page.headers.get("content-encoding"):
        raise SystemExit(f"{url} is served compressed ({page.headers['content-encoding']}): count what was sent")
    for asset in _assets(url, bodies[0]):
        bodies.append(context.request.get(asset).body())
    return len(bodies), sum(len(b) for b in bodies), sum(len(gzip.compress(b, 6)) for b in bodies)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with running_product() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport=PHONE)
        page = context.new_page()
        journey = walk_citizen_journey(page, url)
        rows = [(name, *weigh(context, url + path)) for name, path in journey.pages.items()]
        submit(page, url, journey)
        done = {row[0] for row in rows}
        rows += [(name, *weigh(context, url + path)) for name, path in journey.pages.items() if name not in done]
        browser.close()
    print(f"{'page':<16} {'requests':>8} {'bytes':>9} {'gzip':>8}  budget {BUDGET // 1024} KB")
    for name, requests, raw, packed in rows:
        print(f"{name:<16} {requests:>8} {raw:>9,} {packed:>8,}  {'ok' if raw <= BUDGET else 'OVER'}")
    heaviest = max(rows, key=lambda r: r[2])
    print(f"heaviest: {heaviest[0]} at {heaviest[2] / BUDGET:.0%} of the budget as served "
          f"({heaviest[3] / BUDGET:.0%} gzipped); the server sends pages uncompressed")


if __name__ == "__main__":
    main()
