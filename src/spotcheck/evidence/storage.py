"""Where evidence files live: content-addressed by SHA-256, never overwritten.

``EvidenceStorage`` is the interface the HTTP routes use; ``FilesystemEvidenceStorage`` keeps
each file at ``{root}/ab/cd/<sha256>`` (``root`` is ``SPOTCHECK_HOME/evidence``).  A file is
written to a temporary file in ``{root}/tmp`` while its hash is computed (``stage``); it can be
checked there (the whole file parsed, ``spotcheck.evidence.validate``) and is renamed into place
atomically only when accepted (``Staged.place``), so a reader never sees a half-written or a
refused file and an interrupted upload leaves nothing under its hash.  Reading recomputes the
hash (``verify``): a file changed on disk is detected.  ``delete`` removes a collected file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
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


@dataclass
class Staged:
    """An uploaded file in the temporary folder, hashed, not yet under its hash."""

    path: Path
    """The temporary file: read it to check the content."""
    sha256: str
    size: int
    final: Path
    placed: bool = field(default=False)

    @property
    def stored(self) -> StoredFile:
        return StoredFile(sha256=self.sha256, size=self.size)

    async def place(self) -> None:
        """Rename the file into place under its hash (same bytes if it existed)."""
        if self.placed:
            return

        def rename() -> None:
            self.final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.path, self.final)  # atomic on one file system

        await anyio.to_thread.run_sync(rename)
        self.placed = True


class TooLarge(Exception):
    """The content exceeded the size limit; nothing was stored."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"more than {limit} bytes")


class EvidenceStorage(Protocol):
    def stage(
        self, chunks: AsyncIterable[bytes], *, max_bytes: int
    ) -> contextlib.AbstractAsyncContextManager[Staged]:
        """The content in a temporary file, hashed; ``TooLarge`` past ``max_bytes``.  Unless
        ``place`` was called, nothing is left behind when the block ends."""
        ...

    async def put(self, chunks: AsyncIterable[bytes], *, max_bytes: int) -> StoredFile:
        """Store the content; raises ``TooLarge`` (storing nothing) past ``max_bytes``.  Any
        exception raised by ``chunks`` stores nothing either."""
        ...

    def open(self, sha256: str) -> AsyncIterator[bytes]:
        """The stored content in chunks (``FileNotFoundError`` when absent)."""
        ...

    async def exists(self, sha256: str) -> bool: ...

    async def delete(self, sha256: str) -> bool:
        """Remove the stored file (True when there was one)."""
        ...

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

    @contextlib.asynccontextmanager
    async def stage(self, chunks: AsyncIterable[bytes], *, max_bytes: int) -> AsyncIterator[Staged]:
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
            yield Staged(path=tmp, sha256=sha, size=size, final=self.path(sha))
        finally:
            await anyio.to_thread.run_sync(lambda: tmp.unlink(missing_ok=True))

    async def put(self, chunks: AsyncIterable[bytes], *, max_bytes: int) -> StoredFile:
        async with self.stage(chunks, max_bytes=max_bytes) as staged:
            await staged.place()
            return staged.stored

    async def open(self, sha256: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self.path(sha256), "rb") as f:
            while chunk := await f.read(CHUNK):
                yield chunk

    async def exists(self, sha256: str) -> bool:
        return await anyio.to_thread.run_sync(self.path(sha256).is_file)

    async def delete(self, sha256: str) -> bool:
        path = self.path(sha256)

        def remove() -> bool:
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            return True

        return await anyio.to_thread.run_sync(remove)

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
