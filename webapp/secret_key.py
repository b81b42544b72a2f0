"""MOTCUA_SECRET_KEY: what makes a key acceptable, and the embedded demo's stored key.

The key signs every session cookie (officers, citizens, the studio): whoever knows it can
sign in as anyone. So no process that serves or works on the product's data starts with a
key that is missing, short, or one of the public development values in this repository.
The one exception is `motcua` on the command line (the embedded demo, see webapp/cli.py):
without a key it uses a random one kept in MOTCUA_DATA_DIR/secret_key (mode 0600), made on
the first `motcua serve`, so demo sessions survive a restart and nothing public signs them.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

MIN_BYTES = 32
KEY_FILE = "secret_key"
GENERATE = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'

# Every development value this repository has ever published for a secret: the old key
# default, fakes.oidc's client secret, fakes.payment's shared secret, the national portal fake's secret.
# tests/webapp/test_secrets.py checks the list still holds the ones the code defines.
PUBLIC_VALUES = frozenset({
    "dev-only-not-secret",
    "motcua-dev-not-secret",
    "motcua-dev-payment-not-secret",
    "dev-secret",
})


def key_problem(key: str | bytes | None) -> str | None:
    """Why ``key`` cannot sign sessions, or None when it can (Flask also takes bytes)."""
    raw = key.encode() if isinstance(key, str) else key or b""
    if not raw.strip():
        return "MOTCUA_SECRET_KEY is not set"
    if raw.strip().decode(errors="replace") in PUBLIC_VALUES:
        return "MOTCUA_SECRET_KEY is a public development value from the source code"
    size = len(raw)
    if size < MIN_BYTES:
        return f"MOTCUA_SECRET_KEY is too short ({size} bytes; at least {MIN_BYTES})"
    return None


def how_to_fix(problem: str) -> str:
    """The refusal: what is wrong, what to set, how to make a key."""
    return (
        f"{problem}.\n"
        f"  The key signs every session cookie; anyone who knows it can sign in as any officer or citizen.\n"
        f"  Set MOTCUA_SECRET_KEY to a random value of at least {MIN_BYTES} bytes, the same for the web\n"
        f"  processes, the Celery workers and beat, and keep it out of the repository. Generate one with:\n"
        f"      {GENERATE}\n"
        f"  (`motcua serve`, the embedded demo, needs nothing: it keeps its own key in MOTCUA_DATA_DIR/{KEY_FILE}.)"
    )


def stored_key(data_dir: Path, *, create: bool) -> str | None:
    """The data folder's key; made once (0600) when ``create``, else None when there is none yet."""
    path = data_dir / KEY_FILE
    if create and not path.exists():
        _write_new(path)
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    _owner_only(path)
    return key


def _write_new(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(48) + "\n")
    try:
        # link() refuses an existing name: of two processes starting at once, the first key wins
        # and nobody ever reads a half-written file.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


def _owner_only(path: Path) -> None:
    """A copied or unpacked data folder may have loosened the mode: other users must not read it."""
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)
