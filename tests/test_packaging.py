"""The built wheel is the product: installed into a fresh virtual environment outside the checkout,
`motcua serve` migrates, loads the library it carries and serves pages, templates and the studio
bundle, all read from the installed package (setup.py, MANIFEST.in, webapp/settings.py).

One test, about a minute: build the wheel from a copy of the sources, install it into a new venv
that borrows this venv's dependencies (a .pth file, so nothing is downloaded), then run the
installed `motcua serve` from a folder that is not the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

from tests.conftest import REPO, TEST_SECRET_KEY
from tests.live_server import embedded_env, free_port

# What the wheel is built from: the sources as they are, without the checkout's environments,
# caches and tests (the studio bundle under webapp/static/ comes along when `make install` built it).
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "instance", "site", "build", "dist", "tests", "docs", "__pycache__",
    "*.pyc", "*.egg-info", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis", "studio_js")


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode("utf-8", "replace")


def test_wheel_installed_outside_the_checkout_serves_the_library(tmp_path: Path) -> None:
    # A copy of the sources, so the build leaves nothing in the shared checkout (build/, egg-info).
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=NOT_SOURCES)
    # No build isolation: this venv's setuptools (a dev dependency) builds it, offline.
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
        "-w", tmp_path / "dist", source, cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("motcua-*.whl")

    # A fresh venv that sees this venv's installed dependencies through a .pth file, and gets only
    # our wheel installed. (.pth files inside that folder are not read, so the editable install's
    # finder stays out: `webapp` can only come from the wheel.)
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    paths = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    site_packages = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                             cwd=tmp_path).strip())
    (site_packages / "motcua-dependencies.pth").write_text("\n".join(sorted(paths)) + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel,
        cwd=tmp_path)

    elsewhere = tmp_path / "run"  # not the checkout, and not where the sources were copied
    elsewhere.mkdir()
    env = embedded_env(tmp_path / "data")
    env.pop("PYTHONPATH", None)
    # Every file the product reads at run time is in the installed package, none in the checkout.
    where = run(python, "-c", """if True:
        from webapp.settings import LIBRARY_ROOT, Settings
        from webapp.pdf.template import BUILTIN_DIR
        from webapp.notifications.templates import DEFAULT_FILE
        import webapp, engine
        print(webapp.__file__, engine.__file__, LIBRARY_ROOT, Settings.from_env().migrations_dir,
              BUILTIN_DIR, DEFAULT_FILE, sep="\\n")
        for folder in ("bpmn/khai-sinh", "forms/common", "overlays", "migrations/versions"):
            assert (LIBRARY_ROOT / folder).is_dir(), folder
        assert (BUILTIN_DIR / "mau_01.yaml").is_file() and DEFAULT_FILE.is_file()
    """, cwd=elsewhere, env={**env, "MOTCUA_SECRET_KEY": TEST_SECRET_KEY}).split()
    assert all(Path(path).is_relative_to(site_packages) for path in where), where

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen([str(venv / "bin" / "motcua"), "serve", "--port", str(port)], cwd=elsewhere,
                                  env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                status, health = fetch(f"{url}/healthz")
                break
            except OSError:
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "server did not start:\n" + log.read_text()
                time.sleep(0.3)
        assert status == 200 and '"ok"' in health
        status, home = fetch(f"{url}/")
        assert status == 200 and "khai sinh" in home.lower()  # the library's procedures, loaded at start
        assert fetch(f"{url}/static/site.css")[0] == 200
        if (REPO / "webapp" / "static" / "studio" / "modeler.js").is_file():  # built by npm in `make install`
            assert fetch(f"{url}/static/studio/modeler.js")[0] == 200
        text = log.read_text()
        assert "Running upgrade" in text and "procedure khai-sinh: version 1 (new)" in text, text
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert not (elsewhere / "instance").exists()  # MOTCUA_DATA_DIR was used, not ./instance
    assert os.listdir(tmp_path / "data")
