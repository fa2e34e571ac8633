"""The sealer's hasher: content hashes of stored events, computed in a child process.

Sealing a bulk load costs about 10 us of Python per event: reading the row, parsing its JSON,
canonicalising the envelope, SHA-256.  Run on the server's event loop, that time is taken from
the appenders, whose own Python work is of the same size: one process has one GIL, and a bulk
append then waits for the sealer as much as for PostgreSQL (issue 18).  So when the sealer
meets a full batch it starts this child, and while it runs, the sealer has it read and hash the
next batches: the child reads the rows on a connection of its own and answers with each row's
``seq`` and content hash, computed by :func:`~spotcheck.eventstore.verify.row_content_hash`,
the function the sealer uses in its own process.  The second core does the hashing.

Nothing else moves.  The sealer still decides which events to seal and in what order (the
gaps), computes the chain hashes, and writes the ledger on the one session that holds its
lock.  Rows are immutable (``events`` is append-only), so a content hash computed from a row
read on another connection is the content hash of that row; a read on another connection sees
committed rows, like the sealer's own.  If the child fails, the sealer hashes in its own process
again, as before.

The protocol, on the child's stdin and stdout: the parent writes the database URL and a newline
(not an argument: other users could read it from the process list), the child answers
``ok\\n`` once connected.  Each request is two little-endian int64s (after which ``seq``, at
most how many rows); each answer an int64 ``n``, then ``n`` int64 ``seq`` values and ``n``
32-byte content hashes, in ``seq`` order.  The child exits when its stdin closes (also when
the parent dies).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import struct
import sys
from array import array
from pathlib import Path
from typing import BinaryIO

import asyncpg

from spotcheck.eventstore.verify import row_content_hash

READ_ROWS = """
SELECT seq, event_id, stream_id, stream_version, event_type, schema_version,
       data::text AS data, metadata::text AS metadata, recorded_at
  FROM events WHERE seq > $1 ORDER BY seq LIMIT $2
"""
"""The rows to seal after a ``seq``, with the columns :func:`row_content_hash` reads."""

START_TIMEOUT = 30.0
"""Seconds for the child to start and connect."""
REPLY_TIMEOUT = 60.0
"""Seconds for one answer (a batch of 5,000 events takes about 50 ms)."""
_REQUEST = struct.Struct("<qq")
_COUNT = struct.Struct("<q")
HASH_BYTES = 32
_ROOT = str(Path(__file__).resolve().parent.parent.parent)
"""Where the child imports this package from: where the parent found it."""


class HasherError(Exception):
    """The child failed, exited or answered out of protocol: hash in-process instead."""


class Hasher:
    """A running child process that reads events and computes their content hashes."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self._proc = proc
        self._ahead: tuple[int, int, asyncio.Task[tuple[list[int], bytes]]] | None = None

    @classmethod
    async def start(cls, url: str) -> Hasher:
        """Start the child and wait until it is connected (HasherError if it is not)."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from spotcheck.eventstore.hasher import main; main()",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        hasher = cls(proc)
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(url.encode("utf-8") + b"\n")
            async with asyncio.timeout(START_TIMEOUT):
                await proc.stdin.drain()
                line = await proc.stdout.readline()
            if line != b"ok\n":
                raise HasherError(f"the hasher did not start (exit code {proc.returncode})")
        except BaseException:
            await hasher.close()
            raise
        return hasher

    async def read(self, after_seq: int, limit: int) -> tuple[list[int], bytes]:
        """The ``seq`` of up to ``limit`` committed events after ``after_seq``, in order, and
        their content hashes, 32 bytes each, concatenated.  The answer to :meth:`read_ahead`
        if that asked the same (read then, it holds the events committed then)."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            result = await ahead[2]
            if ahead[:2] == (after_seq, limit):
                return result
        return await self._ask(after_seq, limit)

    def read_ahead(self, after_seq: int, limit: int) -> None:
        """Ask now for what :meth:`read` will be asked next (the sealer, while it writes the
        batch before): the child reads and hashes while the sealer writes."""
        if self._ahead is None:
            self._ahead = (after_seq, limit, asyncio.create_task(self._ask(after_seq, limit)))

    async def _ask(self, after_seq: int, limit: int) -> tuple[list[int], bytes]:
        stdin, stdout = self._proc.stdin, self._proc.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(_REQUEST.pack(after_seq, limit))
            async with asyncio.timeout(REPLY_TIMEOUT):
                await stdin.drain()
                (n,) = _COUNT.unpack(await stdout.readexactly(_COUNT.size))
                if not 0 <= n <= limit:
                    raise HasherError(f"the hasher answered {n} rows for at most {limit}")
                seqs = array("q")
                seqs.frombytes(await stdout.readexactly(n * seqs.itemsize))
                hashes = await stdout.readexactly(n * HASH_BYTES)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            raise HasherError(f"the hasher failed: {exc!r}") from None
        return seqs.tolist(), hashes

    async def close(self) -> None:
        """Close its stdin (it exits), and kill it if it has not within a second."""
        proc = self._proc
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead[2].cancel()
            with contextlib.suppress(asyncio.CancelledError, HasherError):
                await ahead[2]
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            async with asyncio.timeout(1.0):
                await proc.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


# --- the child ----------------------------------------------------------------------------


def _read_exactly(stream: BinaryIO, n: int) -> bytes | None:
    """``n`` bytes, or None at the end of the stream."""
    data = stream.read(n)
    while data and len(data) < n:
        more = stream.read(n - len(data))
        if not more:
            return None
        data += more
    return data if len(data) == n else None


async def _serve(url: str) -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    conn = await asyncpg.connect(
        url, server_settings={"application_name": f"spotcheck sealer hasher {os.getppid()}"}
    )
    try:
        stdout.write(b"ok\n")
        stdout.flush()
        while True:
            # A blocking read: this process serves one parent and does nothing else meanwhile.
            request = _read_exactly(stdin, _REQUEST.size)
            if request is None:
                return
            after, limit = _REQUEST.unpack(request)
            rows = await conn.fetch(READ_ROWS, after, limit)
            seqs = array("q", [r[0] for r in rows])
            hashes = b"".join([row_content_hash(r) for r in rows])
            stdout.write(_COUNT.pack(len(rows)) + seqs.tobytes() + hashes)
            stdout.flush()
    finally:
        await conn.close()


def main() -> None:
    """The child's entry point (``python -c "from spotcheck.eventstore.hasher import main;
    main()"``).  It ends quietly when the parent goes; a database error ends it with one line
    on stderr, and the parent hashes in its own process again."""
    url = sys.stdin.buffer.readline().decode("utf-8").strip()
    try:
        asyncio.run(_serve(url))
    except (KeyboardInterrupt, BrokenPipeError):
        pass
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        print(f"spotcheck sealer hasher: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
