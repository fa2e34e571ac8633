"""commitDraw, executeDraw and replaceInspector: making a commit and a transcript."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from spotcheck.draw.matching import (
    Assignment,
    Ineligible,
    InspectorCandidate,
    Matcher,
    SubjectRecord,
    TaskRules,
    Unmatched,
    apply_replacement,
    candidates_problems,
    canonical_candidates,
    rules_problems,
    workload,
)
from spotcheck.draw.select import (
    Stratum,
    StratumSelection,
    batch_order,
    batch_problems,
    draw_order,
    population_digest,
    sample_size,
    select_stratum,
)
from spotcheck.draw.transcript.model import (
    _HEX64,
    SEED_BYTES,
    Commit,
    DrawError,
    EntropySource,
    EntropyValue,
    Population,
    StratumCommit,
    Transcript,
    _entropy_problems,
    _sources_problems,
    _strata_problems,
    candidates_digest,
    commit_digest,
    commitment_of,
    draw_key,
)


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


class Selected(msgspec.Struct, frozen=True, kw_only=True):
    """A committed draw with its key and selection (第一个随机), before the matching: what
    :func:`select_draw` checked and computed, for :func:`match_draw`.  ``order`` is the drawn
    subjects in draw order: whose previous inspections the matching needs."""

    commit: Commit
    strata: list[Stratum]
    candidates: list[InspectorCandidate]
    entropy: list[EntropyValue]
    server_seed: str
    key: str
    selection: list[StratumSelection]
    order: list[str]


def select_draw(
    commit: Commit,
    *,
    strata: Sequence[Stratum],
    candidates: Sequence[InspectorCandidate],
    entropy: Sequence[EntropyValue],
    server_seed: bytes,
    populations_checked: bool = False,
) -> Selected:
    """The first half of :func:`draw`: check the inputs against the commit, build the key and
    select per stratum.  ``populations_checked``: the caller split each population from bytes
    it has hashed to the committed digest (executeDraw's content-addressed blobs), so the
    digests are not computed again (38 ms for the bench's 914,320 keys); sizes and every other
    input are still checked."""
    ordered = sorted(strata, key=lambda s: s.id)
    candidates = canonical_candidates(candidates)
    p: list[str] = []
    if [s.id for s in ordered] != [s.id for s in commit.strata]:
        p.append("strata: not the committed strata")
    else:
        for s, c in zip(ordered, commit.strata, strict=True):
            if (s.count, s.ratio) != (c.count, c.ratio) or len(s.population) != c.size:
                p.append(f"strata ({s.id}): not the committed parameters or size")
            elif not populations_checked and population_digest(s.population) != c.digest:
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
    return Selected(
        commit=commit,
        strata=ordered,
        candidates=candidates,
        entropy=list(entropy),
        server_seed=seed_hex,
        key=key,
        selection=selection,
        order=draw_order(selection),
    )


def match_draw(
    selected: Selected, previous_inspectors: Mapping[str, Sequence[str]] | None = None
) -> Transcript:
    """The second half of :func:`draw`: the batch order, the matching and the transcript.
    ``previous_inspectors`` may hold any subjects: only the drawn ones go into the transcript."""
    commit, key, order = selected.commit, selected.key, selected.order
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
        result = Matcher(key, selected.candidates, commit.rules).match_all(
            _subject_records(order, previous)
        )
        assignments, unmatched, ineligible = (
            result.assignments,
            result.unmatched,
            result.ineligible,
        )
    return Transcript(
        commit=commit,
        commit_digest=commit_digest(commit),
        populations=[
            Population(stratum=s.id, subjects=list(s.population)) for s in selected.strata
        ],
        candidates=list(selected.candidates),
        previous_inspectors=previous,
        entropy=selected.entropy,
        server_seed=selected.server_seed,
        key=key,
        selection=selected.selection,
        batch_order=batch_order(key, commit.batches),
        ineligible=ineligible,
        assignments=assignments,
        unmatched=unmatched,
    )


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
    ones go into the transcript.  (:func:`select_draw` then :func:`match_draw`: a caller that
    reads the previous inspections from a database reads only the drawn subjects'.)"""
    selected = select_draw(
        commit, strata=strata, candidates=candidates, entropy=entropy, server_seed=server_seed
    )
    return match_draw(selected, previous_inspectors)


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
