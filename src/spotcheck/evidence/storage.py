"""Where evidence files live: content-addressed by SHA-256, never overwritten.

``EvidenceStorage`` is the interface the HTTP routes use; ``FilesystemEvidenceStorage`` keeps
each file at ``{root}/ab/cd/<sha256>`` (``root`` is ``SPOTCHECK_HOME/evidence``).  A file is
written to a temporary file in ``{root}/tmp`` while its hash is computed, then renamed into place
atomically, so a reader never sees a half-written file and an interrupted upload leaves nothing
under its hash.  Reading recomputes the hash (``verify``): a file changed on disk is detected.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import anyio
import anyio.to_thread

from spotcheck.domain.evidence import SHA256

CHUNK = 64 * 1024


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int


class TooLarge(Exception):
    """The content exceeded the size limit; nothing was stored."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"more than {limit} bytes")


class EvidenceStorage(Protocol):
    async def put(self, chunks: AsyncIterable[bytes], *, max_bytes: int) -> StoredFile:
        """Store the content; raises ``TooLarge`` (storing nothing) past ``max_bytes``.  Any
        exception raised by ``chunks`` stores nothing either."""
        ...

    def open(self, sha256: str) -> AsyncIterator[bytes]:
        """The stored content in chunks (``FileNotFoundError`` when absent)."""
        ...

    async def exists(self, sha256: str) -> bool: ...

    async def verify(self, sha256: str) -> bool:
        """The stored content still hashes to ``sha256`` (False when absent or changed)."""
        ...


class FilesystemEvidenceStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        if not SHA256.match(sha256):
            raise ValueError(f"not a lower-case SHA-256: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def put(self, chunks: AsyncIterable[bytes], *, max_bytes: int) -> StoredFile:
        tmp_dir = self.root / "tmp"
        await anyio.to_thread.run_sync(lambda: tmp_dir.mkdir(parents=True, exist_ok=True))
        tmp = tmp_dir / f"{uuid.uuid4().hex}.part"
        digest = hashlib.sha256()
        size = 0
        try:
            async with await anyio.open_file(tmp, "wb") as f:
                async for chunk in chunks:
                    if not chunk:
                        continue
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(max_bytes)
                    digest.update(chunk)
                    await f.write(chunk)
                await f.flush()
                await anyio.to_thread.run_sync(os.fsync, f.wrapped.fileno())
            sha = digest.hexdigest()
            final = self.path(sha)

            def place() -> None:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)  # atomic on one file system; same bytes if it existed

            await anyio.to_thread.run_sync(place)
            return StoredFile(sha256=sha, size=size)
        finally:
            await anyio.to_thread.run_sync(lambda: tmp.unlink(missing_ok=True))

    async def open(self, sha256: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self.path(sha256), "rb") as f:
            while chunk := await f.read(CHUNK):
                yield chunk

    async def exists(self, sha256: str) -> bool:
        return await anyio.to_thread.run_sync(self.path(sha256).is_file)

    async def verify(self, sha256: str) -> bool:
        path = self.path(sha256)

        def digest() -> str | None:
            if not path.is_file():
                return None
            h = hashlib.sha256()
            with path.open("rb") as f:
                while chunk := f.read(CHUNK):
                    h.update(chunk)
            return h.hexdigest()

        return await anyio.to_thread.run_sync(digest) == sha256
