"""The public transcript: what anyone may recompute, with inspectors under per-draw pseudonyms.

docs/draw-protocol.md ("The public transcript") is the contract.  The full transcript (the one
the ledger's ``transcript_digest`` covers) lists every candidate with their conflicts of
interest, why each ineligible one is ineligible and the subjects' previous inspectors: facts
about people, for AUDITOR and SYSTEM_ADMIN.  The public transcript is derived from it and
carries only what recomputing the randomness needs: the commit, the populations, the entropy,
the seed, the key, the picks, and for every pick of the matching its counter ``j``, the size of
the pool it was made from, the index ``H(C(j) ‖ key ‖ C(j)) mod pool`` and who it gave, that
person named by a **pseudonym**: the first 16 hex digits of
``HMAC-SHA-256(pseudonym key, commit_digest ‖ staff id)`` (the commit digest as its 64 ASCII hex
digits, the staff id in UTF-8).  The same person has one pseudonym within a draw and unrelated
ones across draws; only a holder of the key (the auditors) links them.  The public transcript
names the full transcript's digest, so an auditor holding the full one and the key checks that
the public one is derived from it (:func:`derived_from`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence

import msgspec

from spotcheck.draw.matching import (
    Assignment,
    Matcher,
    PickStep,
    Replacement,
    UnmatchedReason,
    apply_replacement,
    matching_key,
)
from spotcheck.draw.rfc3797 import pick_index
from spotcheck.draw.select import StratumSelection, draw_order
from spotcheck.draw.transcript.execute import _subject_records
from spotcheck.draw.transcript.model import (
    VERSION,
    Commit,
    EntropyValue,
    Population,
    Transcript,
    canonical,
    dumps,
    sha256_hex,
)

PUBLIC_FORMAT = "spotcheck-draw-transcript-public"
PSEUDONYM_HEX_DIGITS = 16


class PublicUnmatchedReason(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Why a replacement found nobody, without the eligibility counts."""

    reason: UnmatchedReason
    department: str | None
    needed: int
    found: int


class PublicTeam(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    subject: str
    lead: str
    officers: list[str]
    experts: list[str]
    picks: list[PickStep]
    """Every pick of the team, in order: officers (one per department first), then experts."""


class PublicUnmatched(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    subject: str
    reason: UnmatchedReason
    department: str | None
    needed: int
    found: int
    picks: list[PickStep]
    """The picks made before the pool ran empty."""


class PublicReplacement(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    subject: str
    counter: int
    replaced: str
    reason: str
    replacement: str | None
    pick: PickStep | None
    unmatched: PublicUnmatchedReason | None


class PublicTranscript(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    format: str = PUBLIC_FORMAT
    version: int = VERSION
    transcript_digest: str
    """SHA-256 of the full transcript's canonical bytes: the ledger's ``transcript_digest``."""
    pseudonym_key_id: str
    commit: Commit
    commit_digest: str
    populations: list[Population]
    entropy: list[EntropyValue]
    server_seed: str
    key: str
    selection: list[StratumSelection]
    batch_order: list[str]
    teams: list[PublicTeam]
    unmatched: list[PublicUnmatched]
    replacements: list[PublicReplacement]


def pseudonym(key: bytes, draw_commit_digest: str, staff_id: str) -> str:
    """``HMAC-SHA-256(key, commit_digest ‖ staff id)``, first 16 hex digits."""
    mac = hmac.new(key, (draw_commit_digest + staff_id).encode("utf-8"), hashlib.sha256)
    return mac.hexdigest()[:PSEUDONYM_HEX_DIGITS]


def pseudonym_key_id(key: bytes) -> str:
    """Names the key without revealing it: SHA-256("spotcheck/pseudonym" ‖ LF ‖ key), 8 hex."""
    return hashlib.sha256(b"spotcheck/pseudonym\n" + key).hexdigest()[:8]


def pseudonyms(t: Transcript, key: bytes) -> dict[str, str]:
    """Staff id → pseudonym for every candidate of the draw; ValueError on a collision."""
    out = {c.staff_id: pseudonym(key, t.commit_digest, c.staff_id) for c in t.candidates}
    if len(set(out.values())) != len(out):
        raise ValueError("two candidates share a pseudonym in this draw: use another key")
    return out


def _steps(trace: Sequence[PickStep], names: Mapping[str, str]) -> list[PickStep]:
    return [msgspec.structs.replace(s, pick=names[s.pick]) for s in trace]


def publish(t: Transcript, key: bytes) -> PublicTranscript:
    """The public transcript of a (verified) full transcript.  ValueError if recomputing the
    matching does not give the transcript's teams."""
    names = pseudonyms(t, key)
    teams: list[PublicTeam] = []
    unmatched: list[PublicUnmatched] = []
    replacements: list[PublicReplacement] = []
    rules = t.commit.rules
    if rules is not None:
        subjects = _subject_records(draw_order(t.selection), t.previous_inspectors)
        matcher = Matcher(t.key, t.candidates, rules)
        drawn: list[Assignment] = []
        for subject in subjects:
            matcher.trace = []
            r = matcher.match(subject)
            steps = _steps(matcher.trace, names)
            if isinstance(r, Assignment):
                drawn.append(r)
                teams.append(
                    PublicTeam(
                        subject=r.subject,
                        lead=names[r.officers[0]],
                        officers=[names[s] for s in r.officers],
                        experts=[names[s] for s in r.experts],
                        picks=steps,
                    )
                )
            else:
                unmatched.append(
                    PublicUnmatched(
                        subject=r.subject,
                        reason=r.reason,
                        department=r.department,
                        needed=r.needed,
                        found=r.found,
                        picks=steps,
                    )
                )
        if drawn != t.assignments:
            raise ValueError("the transcript's assignments are not what the draw gives")
        current = {a.subject: a for a in drawn}
        records = {s.key: s for s in subjects}
        earlier: dict[str, list[str]] = {}
        for rep in t.replacements:
            before = earlier.setdefault(rep.subject, [])
            matcher.trace = []
            expected, current[rep.subject] = matcher.replace(
                records[rep.subject],
                current[rep.subject],
                rep.replaced,
                rep.reason,
                counter=len(before) + 1,
                replaced_before=before,
            )
            if expected != rep:
                raise ValueError("the transcript's replacements are not what the draw gives")
            before.append(rep.replaced)
            steps = _steps(matcher.trace, names)
            u = rep.unmatched
            replacements.append(
                PublicReplacement(
                    subject=rep.subject,
                    counter=rep.counter,
                    replaced=names[rep.replaced],
                    reason=rep.reason,
                    replacement=None if rep.replacement is None else names[rep.replacement],
                    pick=steps[0] if steps else None,
                    unmatched=None
                    if u is None
                    else PublicUnmatchedReason(
                        reason=u.reason, department=u.department, needed=u.needed, found=u.found
                    ),
                )
            )
        matcher.trace = None
    return PublicTranscript(
        transcript_digest=sha256_hex(dumps(t)),
        pseudonym_key_id=pseudonym_key_id(key),
        commit=t.commit,
        commit_digest=t.commit_digest,
        populations=t.populations,
        entropy=t.entropy,
        server_seed=t.server_seed,
        key=t.key,
        selection=t.selection,
        batch_order=t.batch_order,
        teams=teams,
        unmatched=unmatched,
        replacements=replacements,
    )


def public_dumps(p: PublicTranscript) -> bytes:
    return canonical(p)


def public_loads(data: bytes | str) -> PublicTranscript:
    return msgspec.json.decode(data, type=PublicTranscript)


def is_public(data: bytes | str) -> bool:
    """True if ``data`` claims the public format (by its ``format`` field)."""
    try:
        head = msgspec.json.decode(data, type=dict[str, object])
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False
    return head.get("format") == PUBLIC_FORMAT


def derived_from(public: PublicTranscript, full: Transcript, key: bytes) -> list[str]:
    """What an auditor with the key checks: the public transcript is exactly the one derived
    from this full transcript (whose digest it names).  Problems, empty if none."""
    p: list[str] = []
    if public.transcript_digest != sha256_hex(dumps(full)):
        p.append("transcript_digest: not the SHA-256 of the full transcript")
    try:
        derived = publish(full, key)
    except (ValueError, KeyError) as err:
        return [*p, f"the full transcript does not give a public one: {err}"]
    if derived.pseudonym_key_id != public.pseudonym_key_id:
        p.append("pseudonym_key_id: not this key")
    if canonical(derived) != canonical(public):
        p.append("the public transcript differs from the one derived with this key")
    return p


# Verification of the public form
def _pick_problems(where: str, key: bytes, step: PickStep, j: int) -> list[str]:
    if step.j != j:
        return [f"{where}.j: {step.j}; expected {j}"]
    if step.pool < 1 or not 0 <= step.index < step.pool:
        return [f"{where}: index {step.index} is not in a pool of {step.pool}"]
    index = pick_index(key, j, step.pool)
    if index != step.index:
        return [f"{where}.index: transcript has {step.index}; recomputed {index}"]
    return []


def check_matching(p: list[str], t: PublicTranscript, order: Sequence[str]) -> None:
    """Teams, unmatched records and replacements against the key and the rules."""
    rules = t.commit.rules
    if rules is None:
        if t.teams or t.unmatched or t.replacements:
            p.append("teams: the commit has no matching rules, so no teams")
        return
    if not _in_draw_order(t, order):
        p.append("teams, unmatched: every drawn subject once, in draw order")
        return
    officers, experts = rules.officers_per_subject, rules.experts_per_subject
    _check_teams(p, t, officers, experts)
    _check_unmatched(p, t, officers, experts, list(rules.departments))
    _check_replacements(p, t)


def _in_draw_order(t: PublicTranscript, order: Sequence[str]) -> bool:
    """Every drawn subject once, as a team or an unmatched record, each list in draw order."""
    listed = {x.subject for x in t.teams}
    listed_u = {x.subject for x in t.unmatched}
    return (
        [x for x in order if x in listed or x in listed_u] == list(order)
        and [x.subject for x in t.teams] == [x for x in order if x in listed]
        and [x.subject for x in t.unmatched] == [x for x in order if x in listed_u]
        and len(t.teams) + len(t.unmatched) == len(order)
    )


def _check_teams(p: list[str], t: PublicTranscript, officers: int, experts: int) -> None:
    for i, pteam in enumerate(t.teams):
        where = f"teams[{i}] ({pteam.subject})"
        key = matching_key(t.key, pteam.subject, 0).encode("utf-8")
        for j, step in enumerate(pteam.picks):
            p += _pick_problems(f"{where}.picks[{j}]", key, step, j)
        names = [s.pick for s in pteam.picks]
        if len(names) != officers + experts or len(set(names)) != len(names):
            p.append(f"{where}.picks: {officers + experts} different people")
        elif (
            pteam.officers != names[:officers]
            or pteam.experts != names[officers:]
            or pteam.lead != names[0]
        ):
            p.append(f"{where}: the team is not the picks (officers, then experts; lead first)")


def _check_unmatched(
    p: list[str], t: PublicTranscript, officers: int, experts: int, departments: list[str]
) -> None:
    for i, u in enumerate(t.unmatched):
        where = f"unmatched[{i}] ({u.subject})"
        key = matching_key(t.key, u.subject, 0).encode("utf-8")
        for j, step in enumerate(u.picks):
            p += _pick_problems(f"{where}.picks[{j}]", key, step, j)
        n = len(u.picks)
        want: tuple[UnmatchedReason, str | None, int, int]
        if n < len(departments):
            want = (UnmatchedReason.NO_OFFICER_FROM_DEPARTMENT, departments[n], 1, 0)
        elif n < officers:
            want = (UnmatchedReason.NOT_ENOUGH_OFFICERS, None, officers, n)
        else:
            want = (UnmatchedReason.NOT_ENOUGH_EXPERTS, None, experts, n - officers)
        if (u.reason, u.department, u.needed, u.found) != want or n >= officers + experts:
            p.append(f"{where}: the reason does not follow from the picks made")


def _team_problem(r: PublicReplacement, team: Assignment | None, before: list[str]) -> str | None:
    """Whether the replaced person is in the team and the counter follows, if not (the text
    after the record's ``replacements[i]``)."""
    if team is None or r.replaced not in (*team.officers, *team.experts):
        return f": {r.replaced!r} is not in the team of {r.subject!r}"
    if r.counter != len(before) + 1:
        return f".counter: {r.counter}; expected {len(before) + 1}"
    return None


def _check_replacements(p: list[str], t: PublicTranscript) -> None:
    teams = {
        x.subject: Assignment(
            subject=x.subject, lead=x.lead, officers=tuple(x.officers), experts=tuple(x.experts)
        )
        for x in t.teams
    }
    gone: dict[str, list[str]] = {}
    for i, r in enumerate(t.replacements):
        where = f"replacements[{i}]"
        team = teams.get(r.subject)
        before = gone.setdefault(r.subject, [])
        problem = _team_problem(r, team, before)
        if problem is not None or team is None:
            p.append(f"{where}{problem}")
            return
        if r.pick is None:
            if r.replacement is not None or r.unmatched is None:
                p.append(f"{where}: without a pick, no replacement and a reason")
                return
        else:
            key = matching_key(t.key, r.subject, r.counter).encode("utf-8")
            p += _pick_problems(f"{where}.pick", key, r.pick, 0)
            members = {*team.officers, *team.experts, *before}
            if r.replacement != r.pick.pick or r.replacement in members or r.unmatched:
                p.append(f"{where}: the replacement is not the pick, or was excluded")
                return
        before.append(r.replaced)
        teams[r.subject] = apply_replacement(
            team,
            Replacement(
                subject=r.subject,
                counter=r.counter,
                replaced=r.replaced,
                reason=r.reason,
                replacement=r.replacement,
            ),
        )


def stand_in(t: PublicTranscript) -> Transcript:
    """The public fields in a full transcript's shape, for the checks both forms share."""
    return Transcript(
        commit=t.commit,
        commit_digest=t.commit_digest,
        populations=t.populations,
        candidates=[],
        previous_inspectors={},
        entropy=t.entropy,
        server_seed=t.server_seed,
        key=t.key,
        selection=t.selection,
        batch_order=t.batch_order,
        ineligible={},
        assignments=[],
        unmatched=[],
    )
