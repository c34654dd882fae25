"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's second recommendation). Hashing takes
tens of milliseconds on purpose, so it runs in a thread and never blocks the event loop. Passwords are never
logged; only their hashes are stored."""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when a login does not exist, so an unknown login costs as much time as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def password_matches(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def generate_password() -> str:
    """A password to hand to a new user: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)
