"""Screenshots of the main citizen and officer pages, on a 360 px phone and a desktop, into
docs/screenshots/ (PNG, reduced to a small palette so each stays well under 150 KB).

Starts the product on its embedded default with demo data and walks the journeys in Debian's
chromium (/usr/bin/chromium, never a downloaded browser).

    .venv/bin/python scripts/screenshots.py
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_site import CHROMIUM, FLAGS, REPO, running_product, sign_in_officer, submit, walk_citizen_journey  # noqa: E402

OUT = REPO / "docs" / "screenshots"
SIZES = {"phone": {"width": 360, "height": 740}, "desktop": {"width": 1280, "height": 800}}
CITIZEN_PAGES = ("catalogue", "procedure", "fill step 2", "attachments", "check", "dossier")
LIMIT = 150 * 1024


def save(page: Any, name: str) -> Path:
    from PIL import Image

    with Image.open(io.BytesIO(page.screenshot())) as shot:
        small = shot.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    path = OUT / f"{name}.png"
    small.save(path, optimize=True)
    if path.stat().st_size > LIMIT:
        print(f"warning: {path.name} is {path.stat().st_size // 1024} KB")
    return path


def _shoot(page: Any, url: str, journey: Any, names: list[str], who: str,
           targets: dict[str, str] | None = None) -> None:
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        for name in names:
            page.goto((targets or {}).get(name) or url + journey.pages[name])
            print(save(page, f"{who}-{name.replace(' ', '-')}-{size}").relative_to(REPO))


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with running_product() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        citizen = browser.new_context(viewport=SIZES["phone"])
        page = citizen.new_page()
        journey = walk_citizen_journey(page, url)
        before = [name for name in CITIZEN_PAGES if name in journey.pages]
        _shoot(page, url, journey, before, "citizen")
        submit(page, url, journey)
        _shoot(page, url, journey, [name for name in CITIZEN_PAGES if name not in before], "citizen")
        officer = browser.new_context(viewport=SIZES["desktop"])
        desk = officer.new_page()
        sign_in_officer(desk, url)
        desk.get_by_role("link", name=journey.code).click()
        _shoot(desk, url, journey, ["worklist", "work item"], "officer",
               {"worklist": url + "/can-bo/", "work item": desk.url})
        browser.close()


if __name__ == "__main__":
    main()
