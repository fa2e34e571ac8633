"""信用风险分类联动 Credit-risk linkage: proposals raised with publications, and their decisions.

* ``proposals_for`` runs inside the publishing command (``services/inspections.py``): for each
  ``InspectionResultsPublished`` it decides, it reads the subject's class and maintaining
  department on the command's connection and, when the rule is met, returns the
  ``RiskClassChangeProposed`` of stream ``creditrisk-{inspection_id}``, appended in the
  publication's transaction (``Linked``).
* ``decide_change`` confirms or rejects: a confirmation appends ``RiskClassChangeConfirmed`` and,
  in the same transaction, the subject's ``SubjectChanged`` (decided by the subject aggregate's
  own ``decide``, so the same authorization and rules as a correction; it cites the proposal).

The rule is the setting ``SPOTCHECK_CREDIT_RISK_RULE`` (``domain/credit_risk.py``,
docs/credit-risk.md), read at each publication; each proposal records the rule it applied.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import asyncpg
from msgspec.structs import replace

from spotcheck.domain import credit_risk as cr
from spotcheck.domain import inspection as ins
from spotcheck.domain import subject as s
from spotcheck.domain.aggregate import Event
from spotcheck.domain.regions import Regions
from spotcheck.services.refs import subject_refs
from spotcheck.services.runner import Caller, CommandRunner, Linked, Outcome


def rule_from_env(environ: Mapping[str, str] | None = None) -> cr.RiskRule:
    """The configured rule (``DEFAULT_RULE`` when unset); ValueError naming the setting."""
    raw = (os.environ if environ is None else environ).get(cr.RULE_SETTING)
    return cr.parse_rule(raw if raw and raw.strip() else cr.DEFAULT_RULE)


_SUBJECT = "SELECT version, state FROM subjects WHERE id = $1"
_VERSION = "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1"


async def subject_state(conn: asyncpg.Connection, key: str) -> tuple[int, s.Subject] | None:
    """The subject's stream version and state, read together."""
    r = await conn.fetchrow(_SUBJECT, key)
    return None if r is None else (int(r["version"]), s.SPEC.state_from_data(r["state"]))


async def proposals_for(conn: asyncpg.Connection, events: Sequence[Event]) -> list[Linked]:
    """The credit-risk proposals the publications among ``events`` raise."""
    out: list[Linked] = []
    rule: cr.RiskRule | None = None
    for e in events:
        if not isinstance(e, ins.InspectionResultsPublished):
            continue
        found = await subject_state(conn, e.record.subject)
        if found is None:
            continue
        subject = found[1]
        rule = rule or rule_from_env()
        proposed = cr.propose(rule, e.record, subject.risk_class, subject.maintaining_department)
        if proposed is not None:
            stream = cr.SPEC.stream_id(e.record.inspection_id)
            out.append(Linked(stream, await conn.fetchval(_VERSION, stream), [proposed]))
    return out


async def decide_change(
    runner: CommandRunner, caller: Caller, command: cr.RiskClassCommand, regions: Regions
) -> Outcome[cr.RiskClassProposal]:
    links: list[Linked] = []

    async def decide(conn: asyncpg.Connection, state: cr.RiskClassProposal | None) -> list[Event]:
        links.clear()
        found = await subject_state(conn, state.subject) if state is not None else None
        current = found[1].risk_class if found is not None else None
        events = cr.decide(state, command, caller.actor, current)
        if (
            state is not None
            and found is not None
            and isinstance(command, cr.ConfirmRiskClassChange)
        ):
            links.append(await _subject_change(conn, caller, state, found, command, regions))
        return events

    return await runner.run(
        caller, cr.SPEC, command.inspection_id.strip(), command, decide, linked=lambda: links
    )


async def _subject_change(
    conn: asyncpg.Connection,
    caller: Caller,
    proposal: cr.RiskClassProposal,
    found: tuple[int, s.Subject],
    command: cr.ConfirmRiskClassChange,
    regions: Regions,
) -> Linked:
    """The subject's ``SubjectChanged`` through its own ``decide``, citing the proposal."""
    version, subject = found
    note = command.note.strip() if command.note and command.note.strip() else None
    update = s.UpdateSubject(
        key=subject.key,
        reason=cr.subject_reason(proposal, note),
        risk_class=proposal.to_class,
    )
    changed = s.decide(subject, update, caller.actor, await subject_refs(conn, regions))
    cited = [
        replace(e, proposal=proposal.inspection_id) if isinstance(e, s.SubjectChanged) else e
        for e in changed
    ]
    return Linked(s.SPEC.stream_id(subject.key), version, cited)
