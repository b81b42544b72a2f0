"""Sessions that end on the server: the signed cookie carries the account's session generation, the
sign-in time and the time of the last request; the account row carries the current generation.

Logging out, or a new password, bumps the account's generation: every cookie issued before, a copy
captured by someone else included, stops opening anything (on every device: "log out everywhere").
A session also ends MOTCUA_SESSION_HOURS after sign-in, and (officers) after MOTCUA_SESSION_IDLE_MINUTES
without a request.
"""

from __future__ import annotations

import time

from flask import current_app, session

from webapp.accounts.models import Account

GENERATION, SIGNED_IN_AT, SEEN_AT = "gen", "signed_in_at", "seen_at"
_SEEN_EVERY = 30  # seconds: the cookie is re-issued at most this often just to move "last seen"


def start(account: Account, *, timed: bool = True) -> None:
    """Bind the (just cleared) session to the account's current generation (kept only once it is not 0);
    ``timed`` (officers): also its sign-in time and last request, for the lifetime and idle limits."""
    if account.session_generation:
        session[GENERATION] = account.session_generation
    if timed:
        now = int(time.time())
        session.permanent = True  # the cookie expires with PERMANENT_SESSION_LIFETIME (MOTCUA_SESSION_HOURS)
        session[SIGNED_IN_AT] = now
        session[SEEN_AT] = now


def still_valid(account: Account, *, timed: bool) -> bool:
    """Whether this request's session may still act as ``account``; moves "last seen" when it may.
    Citizens (not ``timed``) are bounded by the cookie's signature, valid MOTCUA_SESSION_HOURS after it
    last changed. A session from before these fields existed is adopted as if it had just started:
    its signature is at most MOTCUA_SESSION_HOURS old."""
    if session.get(GENERATION, 0) != account.session_generation:
        return False
    if not timed:
        return True
    settings = current_app.config["MOTCUA_SETTINGS"]
    now = int(time.time())
    signed_in, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(signed_in, int) or not isinstance(seen, int):
        session[SIGNED_IN_AT] = signed_in = now
        session[SEEN_AT] = seen = now
    if now - signed_in > settings.session_hours * 3600:
        return False
    if now - seen > settings.session_idle_minutes * 60:
        return False
    if now - seen >= _SEEN_EVERY:
        session[SEEN_AT] = now
    return True


def end_everywhere(account: Account) -> None:
    """Every session of the account ends (logout, new password); the caller commits."""
    account.session_generation = (account.session_generation or 0) + 1
