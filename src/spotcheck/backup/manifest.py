"""The backup manifest (``manifest.json``): what a backup holds and the facts a restore checks.

Written last, after every other file: a folder without it is an unfinished backup.  Every
other file of the backup is listed with its size and SHA-256; the database facts (ledger head,
chain hash, latest signed checkpoint, row counts) were read in the very snapshot ``pg_dump``
dumped.  The manifest is not signed: it catches damage (a changed byte, a lost file), while the
signed checkpoint it carries, checked with a key kept out of band, is what catches a deliberate
change (docs/operations.md).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from spotcheck.domain.evidence import SHA256
from spotcheck.merkle.note import Checkpoint

FORMAT = "spotcheck-backup"
VERSION = 1
MANIFEST = "manifest.json"
DUMP_DIR = "db"
"""The ``pg_dump --format=directory`` output, relative to the backup folder."""
EVIDENCE_DIR = "evidence"
"""Evidence files, laid out as under ``SPOTCHECK_HOME/evidence`` (``ab/cd/<sha256>``)."""
CHUNK = 1 << 20


class ManifestError(ValueError):
    """The manifest is missing, malformed, or does not match the files."""


def sha256_file(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def copy_hashed(src: Path, dst: Path) -> tuple[str, int]:
    """Copy ``src`` to ``dst`` (fsynced), hashing the bytes as they are copied."""
    h = hashlib.sha256()
    size = 0
    dst.parent.mkdir(parents=True, exist_ok=True)
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
            fout.write(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    return h.hexdigest(), size


@dataclass(frozen=True)
class FileEntry:
    path: str
    """Relative to the backup folder, with ``/``."""
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    created_at: str
    """PostgreSQL ``now()`` of the snapshot's transaction (RFC 3339 UTC, six digits, ``Z``)."""
    spotcheck_version: str
    migration_version: str
    """The newest dbmate migration applied to the backed-up database."""
    server_version: str
    pg_dump: str
    head_position: int
    chain_hash: str
    """Hex of the chain hash at ``head_position`` (32 zero bytes when the ledger is empty)."""
    unsealed: int
    checkpoint: Checkpoint | None
    counts: dict[str, int]
    """Rows per table of schema ``public``."""
    evidence: list[tuple[str, int]]
    """(SHA-256, size) of every evidence file the events record."""
    files: list[FileEntry]

    def to_json(self) -> bytes:
        cp = self.checkpoint
        doc: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": self.created_at,
            "spotcheck_version": self.spotcheck_version,
            "migration_version": self.migration_version,
            "postgresql": {"server_version": self.server_version, "pg_dump": self.pg_dump},
            "database": {"format": "pg_dump --format=directory", "path": DUMP_DIR},
            "ledger": {
                "head_position": self.head_position,
                "chain_hash": self.chain_hash,
                "unsealed": self.unsealed,
            },
            "checkpoint": None
            if cp is None
            else {
                "tree_size": cp.tree_size,
                "root_hash": cp.root_hash.hex(),
                "signed_at": cp.signed_at,
                "signature": base64.b64encode(cp.signature).decode("ascii"),
                "key_id": cp.key_id,
                "body": cp.body().decode("utf-8"),
            },
            "counts": self.counts,
            "evidence": [{"sha256": s, "size": n} for s, n in self.evidence],
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }
        return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        try:
            doc = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            raise ManifestError(
                f"{path} does not exist: not a spotcheck backup, or one that did not finish"
            ) from None
        except (OSError, orjson.JSONDecodeError) as e:
            raise ManifestError(f"{path} cannot be read as JSON: {e}") from e
        try:
            return cls._from_doc(doc)
        except (KeyError, TypeError, ValueError) as e:
            raise ManifestError(f"{path} is malformed: {e!r}") from e

    @classmethod
    def _from_doc(cls, doc: dict[str, Any]) -> Manifest:
        if doc.get("format") != FORMAT or doc.get("version") != VERSION:
            raise ValueError(f"format {doc.get('format')!r} version {doc.get('version')!r}")
        cp = doc["checkpoint"]
        checkpoint = (
            None
            if cp is None
            else Checkpoint(
                tree_size=int(cp["tree_size"]),
                root_hash=bytes.fromhex(cp["root_hash"]),
                signed_at=str(cp["signed_at"]),
                signature=base64.b64decode(cp["signature"], validate=True),
                key_id=str(cp["key_id"]),
            )
        )
        return cls(
            created_at=str(doc["created_at"]),
            spotcheck_version=str(doc["spotcheck_version"]),
            migration_version=str(doc["migration_version"]),
            server_version=str(doc["postgresql"]["server_version"]),
            pg_dump=str(doc["postgresql"]["pg_dump"]),
            head_position=int(doc["ledger"]["head_position"]),
            chain_hash=str(doc["ledger"]["chain_hash"]),
            unsealed=int(doc["ledger"]["unsealed"]),
            checkpoint=checkpoint,
            counts={str(k): int(v) for k, v in doc["counts"].items()},
            evidence=[(_sha256(e["sha256"]), int(e["size"])) for e in doc["evidence"]],
            files=[
                FileEntry(path=str(f["path"]), size=int(f["size"]), sha256=str(f["sha256"]))
                for f in doc["files"]
            ],
        )


def _sha256(value: object) -> str:
    if not isinstance(value, str) or not SHA256.match(value):
        raise ValueError(f"evidence {value!r} is not a lower-case SHA-256")
    return value


def check_files(folder: Path, manifest: Manifest) -> None:
    """Every listed file is there with its size and SHA-256, and no other file is; raises
    ManifestError naming the first that is not."""
    listed = {f.path for f in manifest.files}
    for f in manifest.files:
        path = folder / f.path
        if ".." in Path(f.path).parts or Path(f.path).is_absolute():
            raise ManifestError(f"the manifest lists {f.path!r}, outside the backup folder")
        if not path.is_file():
            raise ManifestError(f"{f.path} is listed in the manifest but missing")
        digest, size = sha256_file(path)
        if digest != f.sha256 or size != f.size:
            raise ManifestError(
                f"{f.path} was changed: SHA-256 {digest} ({size} bytes), the manifest says "
                f"{f.sha256} ({f.size} bytes)"
            )
    for sha, _ in manifest.evidence:
        rel = f"{EVIDENCE_DIR}/{sha[:2]}/{sha[2:4]}/{sha}"
        if rel not in listed:
            raise ManifestError(f"evidence file {sha} is recorded but {rel} is not in the backup")
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != MANIFEST and rel not in listed:
            raise ManifestError(f"{rel} is in the backup folder but not in its manifest")


def list_files(folder: Path) -> list[FileEntry]:
    """Every file under ``folder`` except the manifest, hashed, in path order."""
    out: list[FileEntry] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != MANIFEST:
            digest, size = sha256_file(path)
            out.append(FileEntry(rel, size, digest))
    return out
