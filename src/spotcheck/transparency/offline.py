"""``spotcheck audit verify``: check an audit export with no database (docs/audit-format.md).

In file order, stopping at the first failure: the header and its prefix subtrees; the
checkpoint's Ed25519 signature under the given public key; each entry (positions without gaps,
the content hash recomputed from the envelope, the chain hash, the entry's leaf added to the
Merkle tree, whose root must equal the signed one when the tree reaches the checkpoint's size);
each draw blob's digest; the end record's counts.  Then every draw event in position order:
the commit digest, and every transcript recomputed with :func:`spotcheck.draw.transcript.verify`
and matched against the events that published it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from spotcheck.domain import draw as d
from spotcheck.domain.aggregate import Event
from spotcheck.draw import transcript as tr
from spotcheck.eventstore.canonical import GENESIS_HASH, canonical_json, chain_hash, content_hash
from spotcheck.merkle.note import ORIGIN, Checkpoint, key_id
from spotcheck.merkle.tree import Frontier, NodeId, compact_range, decompose, leaf_hash
from spotcheck.transparency import audit_format as fmt

ENVELOPE_KEYS = frozenset(
    {
        "event_id",
        "stream_id",
        "stream_version",
        "event_type",
        "schema_version",
        "data",
        "metadata",
        "recorded_at",
    }
)


class Failure(Exception):
    """The first thing that does not verify; ``position`` is the ledger position it concerns."""

    def __init__(self, problem: str, position: int | None = None, line: int | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.position = position
        self.line = line

    def __str__(self) -> str:
        where = f"position {self.position}: " if self.position is not None else ""
        at = f" (line {self.line})" if self.line is not None else ""
        return f"{where}{self.problem}{at}"


@dataclass
class AuditReport:
    ok: bool
    first: int = 0
    last: int = 0
    entries: int = 0
    tree_size: int = 0
    key_id: str = ""
    draws: int = 0
    failure: Failure | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary(self) -> str:
        if not self.ok:
            return f"audit export does NOT verify: {self.failure}"
        lines = [
            f"audit export OK: positions {self.first}..{self.last} ({self.entries} entries): "
            f"every content hash and the chain recompute; the Merkle root of the first "
            f"{self.tree_size} entries is the one signed by key {self.key_id}; "
            f"{self.draws} draw events re-verified"
        ]
        return "\n".join(lines + [f"note: {n}" for n in self.notes])


def _hex32(value: Any, what: str, position: int | None = None) -> bytes:
    if not isinstance(value, str) or len(value) != 64:
        raise Failure(f"{what} must be 64 lower-case hex digits", position)
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise Failure(f"{what} must be 64 lower-case hex digits", position) from None
    if raw.hex() != value:
        raise Failure(f"{what} must be 64 lower-case hex digits", position)
    return raw


def _nodes(value: Any, expected: list[NodeId], what: str) -> list[tuple[int, bytes]]:
    if not isinstance(value, list):
        raise Failure(f"{what}: a list of subtrees")
    got = [(n.get("level"), n.get("index")) for n in value if isinstance(n, dict)]
    if got != expected:
        raise Failure(f"{what}: must be the subtrees {expected}")
    return [(n["level"], _hex32(n.get("hash"), f"{what} hash")) for n in value]


class _Reader:
    """Records one by one, with one record of look-ahead; ``number`` is the current line."""

    def __init__(self, lines: Iterable[bytes]) -> None:
        self._it: Iterator[bytes] = iter(lines)
        self._next: dict[str, Any] | None = None
        self.number = 0

    def _read(self) -> dict[str, Any] | None:
        raw = next(self._it, None)
        if raw is None:
            return None
        self.number += 1
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise Failure(f"not a JSON line: {e}", line=self.number) from None
        if not isinstance(record, dict) or not isinstance(record.get("record"), str):
            raise Failure("each line is a JSON object with a 'record' field", line=self.number)
        return record

    def peek(self) -> str | None:
        """The kind of the next record, None at the end of the file."""
        if self._next is None:
            self._next = self._read()
        return None if self._next is None else str(self._next["record"])

    def take(self) -> dict[str, Any]:
        self.peek()
        assert self._next is not None
        record, self._next = self._next, None
        return record

    def expect(self, kind: str) -> dict[str, Any]:
        found = self.peek()
        if found is None:
            raise Failure(f"the file ends before the {kind} record (truncated)")
        if found != kind:
            raise Failure(f"expected a {kind} record, found {found!r}", line=self.number)
        return self.take()


@dataclass
class _DrawEvent:
    position: int
    stream_id: str
    event: Event


class _Verifier:
    def __init__(self, key: Ed25519PublicKey) -> None:
        self.key = key
        self.report = AuditReport(ok=False)
        self.frontier = Frontier()
        self.checkpoint: Checkpoint | None = None
        self.draw_events: list[_DrawEvent] = []
        self.blobs: dict[str, bytes] = {}
        self.commits: dict[tuple[str, int], str] = {}
        self.suffix: list[tuple[int, bytes]] = []

    def run(self, reader: _Reader) -> None:
        r = self.report
        head = reader.expect("header")
        if (head.get("format"), head.get("version")) != (fmt.FORMAT, fmt.VERSION):
            raise Failure(f"header: this verifier reads {fmt.FORMAT} version {fmt.VERSION}")
        if head.get("origin") != ORIGIN:
            raise Failure(f"header: origin must be {ORIGIN!r}")
        first, last = head.get("from"), head.get("to")
        if type(first) is not int or type(last) is not int or not 1 <= first <= last:
            raise Failure("header: from and to must be positions with 1 <= from <= to")
        r.first, r.last = first, last
        previous = _hex32(head.get("previous_chain_hash"), "header previous_chain_hash")
        if first == 1 and previous != GENESIS_HASH:
            raise Failure("header: an export from position 1 starts from 32 zero bytes")
        for level, digest in _nodes(head.get("prefix"), decompose(0, first - 1), "header prefix"):
            self.frontier.append_node(level, digest)
        size = self._checkpoint(reader.expect("checkpoint"), first, last)
        if size == first - 1:
            self._check_root(first - 1)
        self._entries(reader, first, last, previous, size)
        blobs = self._blobs(reader)
        end = reader.expect("end")
        if end.get("entries") != r.entries or end.get("blobs") != blobs:
            raise Failure("end: the counts do not match the file (records missing or added)")
        if reader.peek() is not None:
            raise Failure("records after the end record", line=reader.number)
        for draw in self.draw_events:
            self._draw(draw)
            r.draws += 1
        r.ok = True

    def _checkpoint(self, c: dict[str, Any], first: int, last: int) -> int:
        size = c.get("tree_size")
        if type(size) is not int or size < 1:
            raise Failure("checkpoint: tree_size must be a positive integer")
        try:
            signature = base64.b64decode(str(c.get("signature")), validate=True)
        except (binascii.Error, ValueError):
            raise Failure("checkpoint: signature must be base64") from None
        checkpoint = Checkpoint(
            tree_size=size,
            root_hash=_hex32(c.get("root_hash"), "checkpoint root_hash"),
            signed_at=str(c.get("signed_at")),
            signature=signature,
            key_id=str(c.get("key_id")),
        )
        if c.get("body") != checkpoint.body().decode():
            raise Failure("checkpoint: body is not the text its fields give")
        if checkpoint.key_id != key_id(self.key):
            raise Failure(
                f"checkpoint: signed by key {checkpoint.key_id}, not by the given key "
                f"{key_id(self.key)}"
            )
        if not checkpoint.verify(self.key):
            raise Failure("checkpoint: the signature does not verify with the given public key")
        if size < first - 1:
            raise Failure("checkpoint: its tree ends before the exported range")
        suffix = compact_range(last, size) if size > last else []
        self.suffix = _nodes(c.get("suffix"), suffix, "checkpoint suffix")
        self.checkpoint = checkpoint
        self.report.tree_size, self.report.key_id = size, checkpoint.key_id
        if size < last:
            self.report.notes.append(
                f"positions {size + 1}..{last} are chained but not yet covered by a checkpoint"
            )
        return size

    def _check_root(self, position: int | None) -> None:
        assert self.checkpoint is not None
        if self.frontier.root() != self.checkpoint.root_hash:
            raise Failure(
                f"the Merkle root of the first {self.checkpoint.tree_size} entries is not the "
                "signed checkpoint's root",
                position,
            )

    def _entries(self, reader: _Reader, first: int, last: int, previous: bytes, size: int) -> None:
        position = first - 1
        while reader.peek() == "entry" and position < last:
            record = reader.take()
            position = self._entry(record, position + 1, previous)
            previous = _hex32(record["chain_hash"], "chain_hash", position)
            if self.frontier.size == size:
                self._check_root(position)
        if position != last:
            raise Failure(f"missing (the entries end at position {position})", position + 1)
        if size > last:
            for level, digest in self.suffix:
                self.frontier.append_node(level, digest)
            self._check_root(None)

    def _entry(self, e: dict[str, Any], expected: int, previous: bytes) -> int:
        position = e.get("position")
        if position != expected:
            raise Failure(f"missing (the next entry is position {position})", expected)
        env = e.get("envelope")
        if not isinstance(env, dict) or set(env) != ENVELOPE_KEYS:
            raise Failure("the envelope must have exactly the documented fields", expected)
        stated = _hex32(e.get("content_hash"), "content_hash", expected)
        content = content_hash(canonical_json(env))
        if content != stated:
            raise Failure("the event's content does not match its content hash", expected)
        if chain_hash(previous, content) != _hex32(e.get("chain_hash"), "chain_hash", expected):
            raise Failure("the chain hash does not follow from the previous one", expected)
        self.frontier.append(leaf_hash(content))
        self.report.entries += 1
        data = env["data"]
        if isinstance(data, dict) and isinstance(env["stream_id"], str):
            try:
                event = fmt.draw_event(
                    env["stream_id"], str(env["event_type"]), env["schema_version"], data
                )
            except ValueError as err:
                raise Failure(str(err), expected) from None
            if event is not None:
                self.draw_events.append(_DrawEvent(expected, env["stream_id"], event))
        return expected

    def _blobs(self, reader: _Reader) -> int:
        count = 0
        while reader.peek() == "blob":
            record = reader.take()
            digest = str(record.get("digest"))
            try:
                content = base64.b64decode(str(record.get("content")), validate=True)
            except (binascii.Error, ValueError):
                raise Failure(
                    f"blob {digest}: content must be base64", line=reader.number
                ) from None
            if hashlib.sha256(content).hexdigest() != digest:
                raise Failure(f"blob {digest}: SHA-256 of its content differs", line=reader.number)
            self.blobs[digest] = content
            count += 1
        return count

    # Draws
    def _blob(self, digest: str, draw: _DrawEvent) -> bytes:
        content = self.blobs.get(digest)
        if content is None:
            raise Failure(f"the draw blob {digest} it names is not in the file", draw.position)
        return content

    def _transcript(self, digest: str, draw: _DrawEvent, number: int) -> tr.Transcript:
        content = self._blob(digest, draw)
        result = tr.verify_bytes(content)
        task = d.SPEC.key_of(draw.stream_id)
        if not result.ok:
            raise Failure(
                f"draw {number} of task {task} does not verify: {result.problems[0]}",
                draw.position,
            )
        t = tr.loads(content)
        committed = self.commits.get((draw.stream_id, number))
        if committed is not None and committed != t.commit_digest:
            raise Failure(
                f"draw {number} of task {task}: the transcript's commit is not the one published",
                draw.position,
            )
        return t

    def _draw(self, draw: _DrawEvent) -> None:
        e = draw.event
        if isinstance(e, d.DrawCommitted):
            if tr.commit_digest(e.commit) != e.commit_digest:
                raise Failure("commit_digest is not the SHA-256 of the commit", draw.position)
            for digest in [s.digest for s in e.commit.strata] + [e.commit.candidates_digest]:
                self._blob(digest, draw)
            self.commits[(draw.stream_id, e.number)] = e.commit_digest
        elif isinstance(e, d.DrawExecuted):
            t = self._transcript(e.transcript_digest, draw, e.number)
            if t.entropy != e.entropy or t.server_seed != e.server_seed:
                raise Failure(
                    "the transcript's entropy and seed are not the ones published", draw.position
                )
            self._blob(e.outcome_digest, draw)
        elif isinstance(e, d.InspectorReplaced):
            t = self._transcript(e.transcript_digest, draw, e.number)
            last = t.replacements[-1] if t.replacements else None
            if last is None or (last.subject, last.replaced) != (e.subject, e.staff_id):
                raise Failure(
                    "the transcript's last replacement is not the one this event records",
                    draw.position,
                )


def verify_export(lines: Iterable[bytes], key: Ed25519PublicKey) -> AuditReport:
    """Verify an export's lines; the report names the first failure."""
    v = _Verifier(key)
    reader = _Reader(lines)
    try:
        v.run(reader)
    except Failure as f:
        if f.line is None and f.position is None:
            f.line = reader.number or None
        v.report.ok = False
        v.report.failure = f
    except (msgspec.MsgspecError, ValueError, TypeError, KeyError) as err:
        v.report.ok = False
        v.report.failure = Failure(f"malformed record: {err}", line=reader.number)
    return v.report
