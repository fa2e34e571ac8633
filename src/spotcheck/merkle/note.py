"""签名检查点 Signed checkpoints: the exact bytes signed, and Ed25519 signing and checking.

Pure: no I/O.  A checkpoint is a C2SP ``tlog-checkpoint`` body (https://c2sp.org/tlog-checkpoint)
with one extension line, the signing time::

    spotcheck/ledger
    1234
    <standard base64 of the 32-byte root hash>
    time 2026-11-26T09:30:00.123456Z

each line ending in one LF (0x0A), UTF-8, no other bytes.  The signature is Ed25519 (RFC 8032,
pure, no pre-hash) over exactly those bytes.  The key id is C2SP ``signed-note``'s: the first
four bytes of SHA-256(origin ‖ 0x0A ‖ 0x01 ‖ 32-byte public key), written as 8 lower-case hex
digits; so the note :func:`signed_note` renders verifies with any signed-note verifier.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_public_key,
)

from spotcheck.eventstore.canonical import format_instant

ORIGIN = "spotcheck/ledger"
"""The log's name: the first line of every checkpoint."""
SIGNATURE_SIZE = 64
ED25519_ALG = b"\x01"


def checkpoint_body(tree_size: int, root_hash: bytes, signed_at: datetime | str) -> bytes:
    """The bytes a checkpoint signs (see the module docstring)."""
    if tree_size < 0 or len(root_hash) != 32:
        raise ValueError("a checkpoint needs a tree size >= 0 and a 32-byte root hash")
    when = signed_at if isinstance(signed_at, str) else format_instant(signed_at)
    root = base64.b64encode(root_hash).decode("ascii")
    return f"{ORIGIN}\n{tree_size}\n{root}\ntime {when}\n".encode()


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_pem(key: Ed25519PublicKey) -> str:
    """SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``)."""
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def key_id(key: Ed25519PublicKey) -> str:
    """C2SP signed-note key id: SHA-256(origin ‖ LF ‖ 0x01 ‖ key)[:4] in hex."""
    digest = hashlib.sha256(ORIGIN.encode() + b"\n" + ED25519_ALG + raw_public_key(key))
    return digest.digest()[:4].hex()


def parse_public_key(text: str) -> Ed25519PublicKey:
    """A PEM public key, or standard base64 of the 32 raw key bytes; ValueError otherwise."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = load_pem_public_key(text.encode("ascii"))
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the PEM key is not an Ed25519 public key")
        return key
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not a PEM public key nor base64 of 32 raw key bytes") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, not {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class Checkpoint:
    """A signed tree head: tree size, root hash, signing time, signature, key id."""

    tree_size: int
    root_hash: bytes
    signed_at: str
    """RFC 3339 UTC with six fractional digits and ``Z``, as signed."""
    signature: bytes
    key_id: str

    def body(self) -> bytes:
        return checkpoint_body(self.tree_size, self.root_hash, self.signed_at)

    def verify(self, key: Ed25519PublicKey) -> bool:
        """True if the signature is the key's over :meth:`body` (the key id is not trusted)."""
        try:
            key.verify(self.signature, self.body())
        except InvalidSignature:
            return False
        return True


def sign(
    key: Ed25519PrivateKey, tree_size: int, root_hash: bytes, signed_at: datetime
) -> Checkpoint:
    body = checkpoint_body(tree_size, root_hash, signed_at)
    return Checkpoint(
        tree_size=tree_size,
        root_hash=root_hash,
        signed_at=format_instant(signed_at),
        signature=key.sign(body),
        key_id=key_id(key.public_key()),
    )


def signed_note(checkpoint: Checkpoint) -> str:
    """The checkpoint as a C2SP signed note: body, blank line, ``— origin base64(id ‖ sig)``."""
    stamp = bytes.fromhex(checkpoint.key_id) + checkpoint.signature
    line = f"\u2014 {ORIGIN} {base64.b64encode(stamp).decode('ascii')}\n"
    return checkpoint.body().decode() + "\n" + line
