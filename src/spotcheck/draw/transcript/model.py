"""The commit and transcript formats, their canonical encoding, and checks every step shares."""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Sequence
from typing import Any

import msgspec

from spotcheck.draw.matching import (
    Assignment,
    Ineligible,
    InspectorCandidate,
    Replacement,
    TaskRules,
    Unmatched,
)
from spotcheck.draw.rfc3797 import HashMode, KeyStringError, Source, check_text, key_string
from spotcheck.draw.select import (
    Stratum,
    StratumSelection,
    population_problems,
    stratum_problems,
)

FORMAT = "spotcheck-draw-transcript"
VERSION = 1
HASH = HashMode.SHA256.value
SEED_BYTES = 32
MAX_SAFE_INTEGER = 2**53 - 1
"""Canonical JSON (RFC 8785) carries integers exactly up to here."""
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class SourceKind(enum.Enum):
    """How a public entropy source's value is written into the key string."""

    NUMBERS = "NUMBERS"
    """A list of non-negative integers, sorted ascending (e.g. a lottery's winning numbers)."""
    TEXT = "TEXT"
    """One text value written as is (e.g. a published hash)."""


class EntropySource(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A public future random source, named at commit (e.g. a lottery draw by game and issue)."""

    name: str
    kind: SourceKind
    description: str = ""


class EntropyValue(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The value a named source produced."""

    name: str
    value: list[int] | str


class StratumCommit(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: str
    size: int
    digest: str
    """SHA-256 of the population's byte encoding (select.population_digest)."""
    count: int | None = None
    ratio: str | None = None
    k: int
    """How many are drawn: fixed before the key is known."""


class Commit(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """commitDraw: everything fixed before the entropy is known, public at once."""

    format: str = FORMAT
    version: int = VERSION
    task: str
    ledger_position: int
    hash: str = HASH
    strata: list[StratumCommit]
    """Ascending id: the drawing order."""
    batches: list[str] = msgspec.field(default_factory=list)
    sources: list[EntropySource]
    rules: TaskRules | None = None
    candidates_digest: str
    commitment: str
    """Lower-case hex SHA-256 of the 32-byte server seed."""


class Population(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    stratum: str
    subjects: list[str]


class Transcript(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything needed to recompute a draw: population, parameters, entropy, seed, picks,
    assignments."""

    format: str = FORMAT
    version: int = VERSION
    commit: Commit
    commit_digest: str
    """Lower-case hex SHA-256 of the commit's canonical JSON: compare with the published one."""
    populations: list[Population]
    candidates: list[InspectorCandidate]
    previous_inspectors: dict[str, list[str]]
    """Drawn subject → staff ids on its previous inspection (subjects without one omitted)."""
    entropy: list[EntropyValue]
    server_seed: str
    """Lower-case hex of the 32 seed bytes."""
    key: str
    selection: list[StratumSelection]
    batch_order: list[str]
    ineligible: dict[str, Ineligible]
    assignments: list[Assignment]
    unmatched: list[Unmatched]
    replacements: list[Replacement] = msgspec.field(default_factory=list)


class DrawError(ValueError):
    """Inputs that cannot make a draw; ``problems`` says each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# Encoding
_ENCODER = msgspec.json.Encoder(order="sorted")


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON of a struct or plain value (no floats in our domain).

    msgspec encodes the structs directly, keys sorted, with no intermediate dicts: the same
    bytes as ``orjson.dumps(msgspec.to_builtins(value), option=OPT_SORT_KEYS)`` (the encoding
    every transcript so far was made with; tests/draw/test_transcript.py proves the two agree
    over the transcript's value domain) in about a third of the time.
    """
    return _ENCODER.encode(value)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def commit_digest(commit: Commit) -> str:
    return sha256_hex(canonical(commit))


def candidates_digest(candidates: Sequence[InspectorCandidate]) -> str:
    """SHA-256 of the canonical JSON array of the candidates (ascending staff id)."""
    return sha256_hex(canonical(list(candidates)))


def commitment_of(server_seed: bytes) -> str:
    """``SHA-256(server seed)`` in lower-case hex."""
    return sha256_hex(server_seed)


def dumps(transcript: Transcript) -> bytes:
    """The downloadable transcript: canonical JSON bytes."""
    return canonical(transcript)


def loads(data: bytes | str) -> Transcript:
    """Raises msgspec.ValidationError / DecodeError on a malformed transcript."""
    return msgspec.json.decode(data, type=Transcript)


def draw_key(entropy: Sequence[EntropyValue], server_seed_hex: str) -> str:
    """``K``: every source's value in the committed order, then the seed as a text source."""
    sources: list[Source] = [e.value for e in entropy]
    sources.append(server_seed_hex)
    return key_string(sources)


# Checks shared by commit, draw and verify
def _sources_problems(sources: Sequence[EntropySource]) -> list[str]:
    p: list[str] = []
    names = [s.name for s in sources]
    if not sources:
        p.append("sources: name at least one public entropy source")
    if any(not n.strip() for n in names):
        p.append("sources: a source needs a name")
    if len(set(names)) != len(names):
        p.append("sources: source names must be distinct")
    return p


def _entropy_problems(
    sources: Sequence[EntropySource], entropy: Sequence[EntropyValue]
) -> list[str]:
    if [e.name for e in entropy] != [s.name for s in sources]:
        return ["entropy: the values must name the committed sources, in the committed order"]
    p: list[str] = []
    for i, (s, e) in enumerate(zip(sources, entropy, strict=True)):
        where = f"entropy[{i}] ({s.name})"
        if s.kind is SourceKind.TEXT:
            if not isinstance(e.value, str):
                p.append(f"{where}: a TEXT source's value is one string")
            else:
                try:
                    check_text(e.value)
                except KeyStringError as err:
                    p.append(f"{where}: {err}")
        elif isinstance(e.value, str) or not e.value:
            p.append(f"{where}: a NUMBERS source's value is a non-empty list of integers")
        elif any(type(v) is not int or not 0 <= v <= MAX_SAFE_INTEGER for v in e.value):
            p.append(f"{where}: numbers must be integers from 0 to 2**53 - 1")
    return p


def _strata_set_problems(strata: Sequence[Stratum]) -> list[str]:
    """Across strata: at least one, ids distinct and ascending, no subject in two."""
    p: list[str] = []
    ids = [s.id for s in strata]
    if not strata:
        p.append("strata: at least one stratum")
    if ids != sorted(set(ids)):
        p.append("strata: ids must be distinct and in ascending order")
    seen: set[str] = set()
    total = 0
    for s in strata:
        seen.update(s.population)
        total += len(s.population)
    if len(seen) != total:
        p.append("strata: a subject is in more than one stratum")
    return p


def _strata_problems(strata: Sequence[Stratum]) -> list[str]:
    p: list[str] = []
    for i, s in enumerate(strata):
        where = f"strata[{i}] ({s.id})"
        p += stratum_problems(s.id, s.count, s.ratio, where)
        p += population_problems(s.population, f"{where}.population")
    return p + _strata_set_problems(strata)
