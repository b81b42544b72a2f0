"""What the page-weight and screenshot scripts share: the product on its embedded default with demo
data, in a temporary directory, and a browser signed in as a citizen (and as an officer) that has
walked the journey once, so every citizen page has something to show."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]



def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_product() -> Iterator[str]:
    """``motcua serve`` (migrations, library, demo data) in a fresh data directory; yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="motcua-pages-") as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
        env.update(MOTCUA_DATA_DIR=data, MOTCUA_OIDC_ISSUER=f"http://127.0.0.1:{_free_port()}",
                   MOTCUA_SMTP_PORT=str(_free_port()))
        port = _free_port()
        with open(Path(data) / "server.log", "ab") as log:
            server = subprocess.Popen([sys.executable, "-m", "webapp.cli", "serve", "--port", str(port), "--no-worker"],
                                      cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(url + "/healthz", timeout=2):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        log_text = (Path(data) / "server.log").read_text()
                        raise SystemExit("the product did not start:\n" + log_text) from None
                    time.sleep(0.3)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def sample_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (900, 1200), (235, 235, 225)).save(out, "PNG")
    return out.getvalue()


@dataclass
class Journey:
    """Pages of the citizen journey, by name: (path, a short description)."""

    code: str = ""
    pages: dict[str, str] = field(default_factory=dict)


def _fill_declaration(page: Any) -> int:
    """Answer every step with the sample declaration, the way a person does; returns the number of steps."""
    sys.path.insert(0, str(REPO))
    import lxml.html

    from engine.package import read_package
    from engine.runtime import Engine
    from webapp import formui

    declaration = json.loads((REPO / "tests" / "data" / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
    form = Engine().load(read_package(REPO / "bpmn" / "khai-sinh")).start_form
    steps = formui.steps(form)
    for step in steps:
        html = lxml.html.fromstring(f"<form>{formui.render_form(form, declaration, only=step.fields)}</form>")
        for control in html.cssselect("input, select, textarea"):
            name, kind = control.get("name"), (control.get("type") or "text").lower()
            if not name or kind in ("hidden", "submit"):
                continue
            if kind in ("radio", "checkbox"):
                if control.get("checked") is not None:
                    page.locator(f'[name="{name}"][value="{control.get("value")}"]').check()
            elif control.tag == "select":
                chosen = control.cssselect("option[selected]")
                if chosen:
                    page.locator(f'select[name="{name}"]').select_option(chosen[0].get("value"))
            elif control.tag == "textarea":
                page.locator(f'[name="{name}"]').fill(control.text_content())
            elif control.get("value"):
                page.locator(f'[name="{name}"]').first.fill(control.get("value"))
        page.get_by_role("button", name="Tiếp tục", exact=True).click()
    return len(steps)


def walk_citizen_journey(page: Any, url: str) -> Journey:
    """Sign in as the demo citizen, fill, attach, submit: afterwards every citizen page has content."""
    journey = Journey()
    page.goto(url + "/thu-tuc/khai-sinh")
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    page.get_by_role("button", name="Nguyễn Văn An").click()
    count = _fill_declaration(page)
    page.get_by_label("Chọn tệp: Giấy chứng sinh").set_input_files(
        {"name": "giay-chung-sinh.png", "mimeType": "image/png", "buffer": sample_png()})
    page.get_by_role("button", name="Lưu tệp đã chọn").click()
    page.wait_for_load_state("networkidle")
    journey.pages.update({
        "catalogue": "/", "search": "/?q=khai+sinh", "procedure": "/thu-tuc/khai-sinh",
        **{f"fill step {n}": f"/thu-tuc/khai-sinh/nop?buoc={n}" for n in range(1, count + 1)},
        "attachments": "/thu-tuc/khai-sinh/giay-to", "check": "/thu-tuc/khai-sinh/kiem-tra",
    })
    return journey


def submit(page: Any, url: str, journey: Journey) -> None:
    page.goto(url + "/thu-tuc/khai-sinh/kiem-tra")
    page.get_by_role("button", name="Nộp hồ sơ").click()
    journey.code = page.inner_text("h1").split()[-1]
    journey.pages.update({"dossier": f"/ho-so/{journey.code}", "my dossiers": "/ho-so-cua-toi",
                          "lookup": "/tra-cuu", "rate": f"/ho-so/{journey.code}/danh-gia"})


def sign_in_officer(page: Any, url: str, username: str = "tiepnhan") -> None:
    from webapp.demo import DEMO_PASSWORD

    page.goto(url + "/can-bo/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
