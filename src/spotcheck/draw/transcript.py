"""The draw transcript: commit, execute, replace, and verify with no database.

docs/draw-protocol.md ("Transcript" and "Verifying") is the contract.

* :func:`commit_draw` (commitDraw) freezes the populations (their digests), the parameters,
  the inspector candidates (their digest), the public entropy sources named in advance and the
  commitment ``SHA-256(server seed)``: the :class:`Commit`, public at once.
* :func:`draw` (executeDraw) takes the entropy values and the server seed (checked against the
  commitment), builds the key string, selects per stratum, draws the batch order and matches
  inspectors: the :class:`Transcript`.
* :func:`replace_inspector` (replaceInspector) appends a replacement drawn from the same key.
* :func:`verify` recomputes everything from the transcript alone.

Serialised as RFC 8785 canonical JSON (``orjson`` with sorted keys, over a domain without
floats: the same bytes, as tests/eventstore/test_canonical.py shows).  Staff ids only: no
inspector's name, phone or certificate number is ever in a transcript.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
import orjson

from spotcheck.draw.matching import (
    Assignment,
    Ineligible,
    InspectorCandidate,
    Matcher,
    MatchResult,
    Replacement,
    SubjectRecord,
    TaskRules,
    Unmatched,
    apply_replacement,
    candidates_problems,
    canonical_candidates,
    rules_problems,
    workload,
)
from spotcheck.draw.rfc3797 import HashMode, KeyStringError, Source, check_text, key_string
from spotcheck.draw.select import (
    Stratum,
    StratumSelection,
    batch_order,
    batch_problems,
    draw_order,
    population_digest,
    population_problems,
    sample_size,
    select_stratum,
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


class VerifyResult(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    problems: list[str]

    @property
    def exit_code(self) -> int:
        """0 only if every pick and assignment matches."""
        return 0 if self.ok else 1

    def report(self) -> str:
        if self.ok:
            return "transcript verified: every pick and assignment matches"
        return "transcript does NOT verify:\n" + "\n".join(f"- {p}" for p in self.problems)


# Encoding
def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON of a struct or plain value (no floats in our domain)."""
    return orjson.dumps(msgspec.to_builtins(value), option=orjson.OPT_SORT_KEYS)


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


def _stratum_commit(s: Stratum) -> StratumCommit:
    return StratumCommit(
        id=s.id,
        size=len(s.population),
        digest=population_digest(s.population),
        count=s.count,
        ratio=s.ratio,
        k=sample_size(len(s.population), count=s.count, ratio=s.ratio),
    )


# commitDraw
def commit_draw(
    *,
    task: str,
    ledger_position: int,
    strata: Sequence[Stratum],
    sources: Sequence[EntropySource],
    commitment: str,
    rules: TaskRules | None = None,
    candidates: Sequence[InspectorCandidate] = (),
    batches: Sequence[str] = (),
) -> Commit:
    """Freeze a draw.  ``strata`` and ``candidates`` in any order (strata are drawn by
    ascending id, candidates listed by ascending staff id); each population sorted;
    ``commitment`` from :func:`commitment_of`."""
    ordered = sorted(strata, key=lambda s: s.id)
    p = _strata_problems(ordered) + _sources_problems(sources) + batch_problems(batches)
    if not task.strip():
        p.append("task: required")
    if ledger_position < 0:
        p.append("ledger_position: must be >= 0")
    if not _HEX64.match(commitment):
        p.append("commitment: 64 lower-case hex digits (SHA-256 of the server seed)")
    if rules is not None:
        p += rules_problems(rules)
    elif candidates:
        p.append("candidates: given without matching rules")
    p += candidates_problems(candidates)
    if p:
        raise DrawError(p)
    candidates = canonical_candidates(candidates)
    return Commit(
        task=task,
        ledger_position=ledger_position,
        strata=[_stratum_commit(s) for s in ordered],
        batches=list(batches),
        sources=list(sources),
        rules=rules,
        candidates_digest=candidates_digest(candidates),
        commitment=commitment,
    )


# executeDraw
def _subject_records(
    order: Sequence[str], previous: Mapping[str, Sequence[str]]
) -> list[SubjectRecord]:
    return [SubjectRecord(key=x, previous_inspectors=tuple(previous.get(x, ()))) for x in order]


def draw(
    commit: Commit,
    *,
    strata: Sequence[Stratum],
    candidates: Sequence[InspectorCandidate],
    entropy: Sequence[EntropyValue],
    server_seed: bytes,
    previous_inspectors: Mapping[str, Sequence[str]] | None = None,
) -> Transcript:
    """Execute a committed draw.  ``strata`` and ``candidates`` must be the committed ones
    (their digests are checked); ``previous_inspectors`` may hold any subjects: only the drawn
    ones go into the transcript."""
    ordered = sorted(strata, key=lambda s: s.id)
    candidates = canonical_candidates(candidates)
    p: list[str] = []
    if [s.id for s in ordered] != [s.id for s in commit.strata]:
        p.append("strata: not the committed strata")
    else:
        for s, c in zip(ordered, commit.strata, strict=True):
            if (s.count, s.ratio) != (c.count, c.ratio) or len(s.population) != c.size:
                p.append(f"strata ({s.id}): not the committed parameters or size")
            elif population_digest(s.population) != c.digest:
                p.append(f"strata ({s.id}): the population's digest is not the committed one")
    if candidates_digest(candidates) != commit.candidates_digest:
        p.append("candidates: not the committed candidates")
    if len(server_seed) != SEED_BYTES:
        p.append(f"server_seed: {SEED_BYTES} bytes")
    elif commitment_of(server_seed) != commit.commitment:
        p.append("server_seed: does not match the commitment")
    p += _entropy_problems(commit.sources, entropy)
    if p:
        raise DrawError(p)
    seed_hex = server_seed.hex()
    key = draw_key(entropy, seed_hex)
    selection = [select_stratum(key, s, c.k) for s, c in zip(ordered, commit.strata, strict=True)]
    order = draw_order(selection)
    drawn = set(order)
    previous = {
        x: sorted(set(ids))
        for x, ids in sorted((previous_inspectors or {}).items())
        if x in drawn and ids
    }
    assignments: list[Assignment] = []
    unmatched: list[Unmatched] = []
    ineligible: dict[str, Ineligible] = {}
    if commit.rules is not None:
        result = Matcher(key, candidates, commit.rules).match_all(_subject_records(order, previous))
        assignments, unmatched, ineligible = (
            result.assignments,
            result.unmatched,
            result.ineligible,
        )
    return Transcript(
        commit=commit,
        commit_digest=commit_digest(commit),
        populations=[Population(stratum=s.id, subjects=list(s.population)) for s in ordered],
        candidates=list(candidates),
        previous_inspectors=previous,
        entropy=list(entropy),
        server_seed=seed_hex,
        key=key,
        selection=selection,
        batch_order=batch_order(key, commit.batches),
        ineligible=ineligible,
        assignments=assignments,
        unmatched=unmatched,
    )


# replaceInspector
def current_teams(transcript: Transcript) -> dict[str, Assignment]:
    """Subject → its team as it stands, every replacement applied in order."""
    teams = {a.subject: a for a in transcript.assignments}
    for r in transcript.replacements:
        teams[r.subject] = apply_replacement(teams[r.subject], r)
    return teams


def replace_inspector(
    transcript: Transcript, subject: str, staff_id: str, reason: str
) -> Transcript:
    """The transcript with one more replacement: ``staff_id`` falls out of ``subject``'s team
    and the draw (same key, next counter) names who takes the place.  Raises ValueError if the
    subject has no team or ``staff_id`` is not in it."""
    rules = transcript.commit.rules
    if rules is None:
        raise ValueError("the draw matched no inspectors")
    teams = current_teams(transcript)
    if subject not in teams:
        raise ValueError(f"subject {subject!r} has no team in this draw")
    earlier = [r for r in transcript.replacements if r.subject == subject]
    matcher = Matcher(transcript.key, transcript.candidates, rules)
    matcher.set_workload(workload(teams.values()))
    record, _ = matcher.replace(
        SubjectRecord(
            key=subject,
            previous_inspectors=tuple(transcript.previous_inspectors.get(subject, ())),
        ),
        teams[subject],
        staff_id,
        reason,
        counter=len(earlier) + 1,
        replaced_before=[r.replaced for r in earlier],
    )
    return msgspec.structs.replace(transcript, replacements=[*transcript.replacements, record])


# Verification
def _compare_list(
    p: list[str], where: str, expected: Sequence[Any], actual: Sequence[Any], limit: int = 5
) -> None:
    if len(expected) != len(actual):
        p.append(f"{where}: {len(actual)} entries; the recomputation gives {len(expected)}")
    shown = 0
    for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
        if e != a:
            if shown < limit:
                p.append(f"{where}[{i}]: transcript has {_show(a)}; recomputed {_show(e)}")
            shown += 1
    if shown > limit:
        p.append(f"{where}: {shown - limit} more differences")


def _show(value: Any) -> str:
    if isinstance(value, msgspec.Struct):
        return canonical(value).decode()
    return repr(value)


# Verification: one checker per section of the transcript.  A checker adds its problems to ``p``;
# one whose section the rest depends on returns None when verification cannot go on.
def _check_format(t: Transcript) -> list[str]:
    """Format, version and hash: a transcript this verifier cannot read is not read further."""
    c = t.commit
    if (t.format, t.version, c.format, c.version) != (FORMAT, VERSION, FORMAT, VERSION):
        return [f"format: this verifier reads {FORMAT} version {VERSION}"]
    if c.hash != HASH:
        return [f"commit.hash: draws use {HASH}, not {c.hash!r}"]
    return []


def _committed_population_problems(sc: StratumCommit, pop: Population) -> list[str]:
    """One population against its committed parameters, size, digest and ``k``."""
    where = f"populations ({sc.id})"
    sp = stratum_problems(sc.id, sc.count, sc.ratio, f"commit.strata ({sc.id})")
    sp += population_problems(pop.subjects, where)
    if not sp:
        if len(pop.subjects) != sc.size:
            sp.append(f"{where}: {len(pop.subjects)} subjects; the commit says {sc.size}")
        if population_digest(pop.subjects) != sc.digest:
            sp.append(f"{where}: digest differs from the committed one")
        k = sample_size(len(pop.subjects), count=sc.count, ratio=sc.ratio)
        if k != sc.k:
            sp.append(f"commit.strata ({sc.id}).k: {sc.k}; the rule gives {k}")
    return sp


def _check_populations(p: list[str], t: Transcript) -> list[Stratum] | None:
    """Populations against the commit; the strata they make, or None if one is wrong."""
    c = t.commit
    if [x.stratum for x in t.populations] != [s.id for s in c.strata]:
        p.append("populations: must list the committed strata in the committed order")
        return None
    strata: list[Stratum] = []
    good_strata = True
    for sc, pop in zip(c.strata, t.populations, strict=True):
        s = Stratum(id=sc.id, population=pop.subjects, count=sc.count, ratio=sc.ratio)
        strata.append(s)
        sp = _committed_population_problems(sc, pop)
        good_strata = good_strata and not sp
        p += sp
    return strata if good_strata else None


def _check_parameters(p: list[str], t: Transcript, strata: Sequence[Stratum]) -> bool:
    """Strata, sources, batches, rules and candidates; True if the assignments can be
    recomputed (rules given and sound, candidates sound)."""
    c = t.commit
    p += _strata_set_problems(strata)
    p += _sources_problems(c.sources) + batch_problems(c.batches, "commit.batches")
    matchable = c.rules is not None and not rules_problems(c.rules)
    if c.rules is not None:
        p += rules_problems(c.rules, "commit.rules")
    if candidates_problems(t.candidates):
        matchable = False
    p += candidates_problems(t.candidates)
    if t.candidates != canonical_candidates(t.candidates):
        p.append("candidates: must be listed by ascending staff id")
    if candidates_digest(t.candidates) != c.candidates_digest:
        p.append("candidates: digest differs from the committed one")
    return matchable


def _check_key(p: list[str], t: Transcript) -> str | None:
    """Seed against the commitment, entropy against the sources; the key they give, or None."""
    c = t.commit
    if not _HEX64.match(t.server_seed):
        p.append("server_seed: 64 lower-case hex digits")
        return None
    if commitment_of(bytes.fromhex(t.server_seed)) != c.commitment:
        p.append("server_seed: SHA-256 of the seed is not the commitment")
    ep = _entropy_problems(c.sources, t.entropy)
    if ep:
        p += ep
        return None
    key = draw_key(t.entropy, t.server_seed)
    if key != t.key:
        p.append(f"key: transcript has {t.key!r}; the entropy and seed give {key!r}")
    return key


def _check_picks(
    p: list[str], t: Transcript, key: str, strata: Sequence[Stratum]
) -> list[StratumSelection]:
    """Each stratum's picks and the batch order; the recomputed selection."""
    c = t.commit
    selection = [select_stratum(key, s, sc.k) for s, sc in zip(strata, c.strata, strict=True)]
    if [s.stratum for s in t.selection] != [s.id for s in c.strata]:
        p.append("selection: must list the committed strata in the committed order")
    else:
        for e, a in zip(selection, t.selection, strict=True):
            if a.k != e.k:
                p.append(f"selection ({e.stratum}).k: {a.k}; the commit says {e.k}")
            _compare_list(p, f"selection ({e.stratum}).picks", e.picks, a.picks)
    _compare_list(p, "batch_order", batch_order(key, c.batches), t.batch_order)
    return selection


def _check_previous_inspectors(p: list[str], t: Transcript, order: Sequence[str]) -> None:
    drawn = set(order)
    for x, staff in t.previous_inspectors.items():
        if x not in drawn:
            p.append(f"previous_inspectors: {x!r} was not drawn")
        elif not staff or staff != sorted(set(staff)):
            p.append(f"previous_inspectors ({x}): staff ids sorted, unique, non-empty")


def _check_assignments(p: list[str], t: Transcript, result: MatchResult) -> None:
    if result.ineligible != t.ineligible:
        p.append("ineligible: differs from the recomputation")
    _compare_list(p, "assignments", result.assignments, t.assignments)
    _compare_list(p, "unmatched", result.unmatched, t.unmatched)


def _check_replacements(
    p: list[str],
    t: Transcript,
    matcher: Matcher,
    assignments: Sequence[Assignment],
    subjects: Sequence[SubjectRecord],
) -> None:
    """Replacements, in order, each from the team as the earlier ones left it."""
    teams = {a.subject: a for a in assignments}
    records = {s.key: s for s in subjects}
    done: dict[str, list[str]] = {}
    for i, r in enumerate(t.replacements):
        where = f"replacements[{i}]"
        team = teams.get(r.subject)
        if team is None:
            p.append(f"{where}: subject {r.subject!r} has no team")
            return
        earlier = done.setdefault(r.subject, [])
        try:
            expected, new_team = matcher.replace(
                records[r.subject],
                team,
                r.replaced,
                r.reason,
                counter=len(earlier) + 1,
                replaced_before=earlier,
            )
        except ValueError as err:
            p.append(f"{where}: {err}")
            return
        if expected != r:
            p.append(f"{where}: transcript has {_show(r)}; recomputed {_show(expected)}")
            return
        earlier.append(r.replaced)
        teams[r.subject] = new_team


def _verify(t: Transcript) -> list[str]:
    header = _check_format(t)
    if header:
        return header
    p: list[str] = []
    if commit_digest(t.commit) != t.commit_digest:
        p.append("commit_digest: not the SHA-256 of the commit (the commit was altered)")
    strata = _check_populations(p, t)
    if strata is None:
        return p
    matchable = _check_parameters(p, t, strata)
    key = _check_key(p, t)
    if key is None:
        return p
    order = draw_order(_check_picks(p, t, key, strata))
    _check_previous_inspectors(p, t, order)
    rules = t.commit.rules
    if rules is None:
        if t.assignments or t.unmatched or t.replacements or t.ineligible:
            p.append("assignments: the commit has no matching rules, so no assignments")
        return p
    if not matchable:
        return p
    subjects = _subject_records(order, t.previous_inspectors)
    matcher = Matcher(key, t.candidates, rules)
    result = matcher.match_all(subjects)
    _check_assignments(p, t, result)
    if not p:
        _check_replacements(p, t, matcher, result.assignments, subjects)
    return p


def verify(transcript: Transcript) -> VerifyResult:
    """Recompute the draw from the transcript alone: ok only if every pick and assignment
    matches."""
    try:
        problems = _verify(transcript)
    except (ValueError, KeyError, TypeError) as err:  # a malformed transcript, not a crash
        problems = [f"transcript cannot be recomputed: {err}"]
    return VerifyResult(ok=not problems, problems=problems)


def verify_bytes(data: bytes | str) -> VerifyResult:
    """``spotcheck draw verify TRANSCRIPT``: decode and verify."""
    try:
        transcript = loads(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as err:
        return VerifyResult(ok=False, problems=[f"not a {FORMAT} transcript: {err}"])
    return verify(transcript)
