"""The log signing key (日志签名密钥): Ed25519, from configuration or, in development, generated.

``SPOTCHECK_LOG_SIGNING_KEY_FILE`` names the private key: a PEM PKCS#8 file
(``-----BEGIN PRIVATE KEY-----``, as ``openssl genpkey -algorithm ed25519`` writes), or a file of
exactly 32 raw bytes, or of 64 hex digits (the raw key).  In production a missing or unreadable
key is a startup error.  In development, without the variable, the key is
``<SPOTCHECK_HOME>/dev-log-signing-key.pem``, generated on first start (mode 0600) so that
restarts keep signing with the same key.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

ENV_KEY_FILE: Final = "SPOTCHECK_LOG_SIGNING_KEY_FILE"
DEV_KEY_FILE: Final = "dev-log-signing-key.pem"


def parse_private_key(data: bytes, source: str) -> Ed25519PrivateKey:
    """PEM PKCS#8, 32 raw bytes, or 64 hex digits; ValueError naming ``source`` otherwise."""
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        try:
            key = load_pem_private_key(text, password=None)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{source}: not an unencrypted PEM private key ({e})") from e
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{source}: the log signing key must be Ed25519")
        return key
    if len(data) == 32:
        return Ed25519PrivateKey.from_private_bytes(data)
    if len(text) == 64:
        try:
            return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text.decode("ascii")))
        except (ValueError, UnicodeDecodeError):
            pass
    raise ValueError(f"{source}: expected a PEM Ed25519 private key, 32 raw bytes or 64 hex digits")


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def signing_key_from_env(
    env: Mapping[str, str], home: Path, *, production: bool
) -> Ed25519PrivateKey:
    """The configured key; ValueError on any misconfiguration (a startup error)."""
    name = env.get(ENV_KEY_FILE, "").strip()
    if name:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise ValueError(f"{ENV_KEY_FILE}: cannot read {path}: {e}") from e
        return parse_private_key(data, f"{ENV_KEY_FILE}={path}")
    if production:
        raise ValueError(
            f"{ENV_KEY_FILE} must name the Ed25519 log signing key in production "
            "(e.g. openssl genpkey -algorithm ed25519 -out log-key.pem)"
        )
    path = home / DEV_KEY_FILE
    if not path.exists():
        _create_once(path, private_key_pem(Ed25519PrivateKey.generate()))
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ValueError(f"cannot read the development log signing key {path}: {e}") from e
    return parse_private_key(data, str(path))


def _create_once(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` (mode 0600) unless another process got there first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # atomic, and never clobbers a concurrent creator's key
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
