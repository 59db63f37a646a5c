"""API tokens: made at random, shown once, stored as SHA-256 hashes.

A token carries 256 random bits, so a fast hash is as safe as a slow one here
(nothing to brute-force), and it lets every request be checked with one indexed
lookup.
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "kf_"


def new_token() -> str:
    """A fresh token, e.g. `kf_3q…`; only its hash is stored."""
    return PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def display_prefix(token: str) -> str:
    """The first characters of a token, kept so a user can tell their tokens apart."""
    return token[: len(PREFIX) + 6]
