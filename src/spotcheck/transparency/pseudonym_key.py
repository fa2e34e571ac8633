"""The pseudonym key (化名密钥): names inspectors in public transcripts, one pseudonym per draw.

docs/draw-protocol.md ("The public transcript"): a public transcript names each inspector by
``HMAC-SHA-256(key, commit_digest ‖ staff id)`` (16 hex digits).  Whoever holds the key links a
pseudonym to a staff id and pseudonyms across draws: the auditors, to check the public
transcript against the full one.  Kept like the log signing key (spotcheck.transparency.keys):
``SPOTCHECK_PSEUDONYM_KEY_FILE`` names a file of 32 to 64 raw bytes or of 64 to 128 hex digits
(``openssl rand -hex 32 > pseudonym.key``).  In production a missing or unreadable key is a
startup error.  In development, without the variable, the key is
``<SPOTCHECK_HOME>/dev-pseudonym-key`` (64 hex digits), generated on first start (mode 0600).

Changing the key changes every public transcript's pseudonyms (and its bytes): keep it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from spotcheck.transparency.keys import _create_once

ENV_KEY_FILE: Final = "SPOTCHECK_PSEUDONYM_KEY_FILE"
DEV_KEY_FILE: Final = "dev-pseudonym-key"
MIN_BYTES: Final = 32
MAX_BYTES: Final = 64


def parse_key(data: bytes, source: str) -> bytes:
    """Hex digits (64 to 128, surrounding white space ignored) or 32 to 64 raw bytes."""
    text = data.strip()
    if 2 * MIN_BYTES <= len(text) <= 2 * MAX_BYTES and len(text) % 2 == 0:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            pass
    if MIN_BYTES <= len(data) <= MAX_BYTES:
        return data
    raise ValueError(f"{source}: expected 64 to 128 hex digits or 32 to 64 raw bytes")


def pseudonym_key_from_env(env: Mapping[str, str], home: Path, *, production: bool) -> bytes:
    """The configured key; ValueError on any misconfiguration (a startup error)."""
    name = env.get(ENV_KEY_FILE, "").strip()
    if name:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise ValueError(f"{ENV_KEY_FILE}: cannot read {path}: {e}") from e
        return parse_key(data, f"{ENV_KEY_FILE}={path}")
    if production:
        raise ValueError(
            f"{ENV_KEY_FILE} must name the pseudonym key in production "
            "(e.g. openssl rand -hex 32 > pseudonym.key)"
        )
    path = home / DEV_KEY_FILE
    if not path.exists():
        _create_once(path, (secrets.token_hex(MIN_BYTES) + "\n").encode("ascii"))
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read the development pseudonym key {path}: {e}") from e
    return parse_key(data, str(path))


def resolve_pseudonym_key(key: bytes | None, *, production: bool) -> bytes:
    """``key``, or the configured one."""
    if key is not None:
        return key
    home = Path(os.environ.get("SPOTCHECK_HOME", ".spotcheck")).resolve()
    return pseudonym_key_from_env(os.environ, home, production=production)
