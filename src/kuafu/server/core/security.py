"""API tokens: made at random, shown once, stored as SHA-256 hashes.

A token carries 256 random bits, so a fast hash is as safe as a slow one here
(nothing to brute-force), and it lets every request be checked with one indexed
lookup.

New tokens are `qf_` followed by 43 base62 characters, the form quafu-sdk accepts as
`QUAFU_API_KEY`, so one key serves Kuafu's client, the CLI, pyquafu and quafu-sdk.
Tokens issued before (`kf_` + URL-safe base64) keep working: a token is looked up by
its hash, whatever its form.
"""

from __future__ import annotations

import hashlib
import secrets
import string

PREFIX = "qf_"
LEGACY_PREFIX = "kf_"
"""The prefix of tokens issued before Kuafu spoke quafu-sdk's key format; still valid."""
BASE62 = string.digits + string.ascii_letters
TOKEN_CHARACTERS = 43
"""43 base62 characters carry 256 random bits (43 x log2(62) = 256.03)."""


def new_token() -> str:
    """A fresh token, e.g. `qf_3qZ…` (43 base62 characters); only its hash is stored."""
    return PREFIX + "".join(secrets.choice(BASE62) for _ in range(TOKEN_CHARACTERS))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def display_prefix(token: str) -> str:
    """The first characters of a token, kept so a user can tell their tokens apart."""
    return token[: len(PREFIX) + 6]
