"""Officer passwords, hashed with Argon2id (argon2-cffi).

New hashes are Argon2id in the PHC format (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``), with
OWASP's minimum parameters (19 MiB, 2 passes, 1 lane: about the work the scrypt hashes cost, so a
login and the demo seed stay as fast). Hashes made before the move (``scrypt$<n>$<r>$<p>$<salt>$<hash>``,
the standard library's scrypt) still verify; :func:`needs_rehash` says when a stored hash should be
replaced, which login does with the password it has just checked (:func:`upgrade`), so every
account moves to Argon2id on its next sign-in without anyone resetting a password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)  # argon2id by default
_ARGON2 = "$argon2"
_SCRYPT = "scrypt"
_DUMMY = _HASHER.hash("not a password: same work for unknown accounts")


class WeakPassword(ValueError):
    pass


def hash_password(password: str) -> str:
    """An Argon2id hash of a new password; a short one is refused."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (an Argon2 hash, or a scrypt one from before)."""
    if not stored:
        # Same work as a real check, so response time does not reveal which accounts exist.
        _argon2_matches(password, _DUMMY)
        return False
    if stored.startswith(_ARGON2):
        return _argon2_matches(password, stored)
    if stored.startswith(_SCRYPT + "$"):
        return _scrypt_matches(password, stored)
    return False


def scheme_of(stored: str | None) -> str | None:
    """``argon2id``, ``scrypt`` ... the scheme a stored hash uses (for the audit log), None if unknown."""
    if not stored:
        return None
    if stored.startswith(_ARGON2):
        return stored[1:].split("$", 1)[0]
    return _SCRYPT if stored.startswith(_SCRYPT + "$") else None


def needs_rehash(stored: str) -> bool:
    """True for hashes of an older scheme (scrypt) or older Argon2 parameters."""
    if not stored.startswith(_ARGON2):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def upgrade(password: str) -> str:
    """The Argon2id hash that replaces an old one after ``password`` has been verified against it.
    No length rule here: the password is already the account's, and refusing it would lock the officer out."""
    return _HASHER.hash(password)


def _argon2_matches(password: str, stored: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _scrypt_matches(password: str, stored: str) -> bool:
    """The hashes written before Argon2: ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        expected = _unb64(digest)
        actual = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                                dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
