"""检查 The inspection lifecycle: schedule, results, review, publication, amendments, follow-up
tracking, case inspections (the ``inspections`` table they feed is kept by
``spotcheck.projections.inspections``).

Each command runs through the :class:`CommandRunner` in one transaction.  The decision's
reference data is read on the command's connection: the drawn inspection (``inspections``
row, its task's kind), the team's platform accounts (inspectors' ``user_id``), the items'
check lists (the version in force; for an item retired since, the version last in force), the
known evidence files, the subject's name and USCC for publication.  ``now`` is the
transaction's ``now()``, the very instant PostgreSQL records as the events' ``recorded_at``, so
``approved_on`` / ``published_on`` are the Beijing dates of the recorded events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import asyncpg

from spotcheck.domain import inspection as i
from spotcheck.domain import inspector as inspector_aggregate
from spotcheck.domain import item as item_aggregate
from spotcheck.domain import task as task_aggregate
from spotcheck.domain.actor import SYSTEM, Actor
from spotcheck.domain.aggregate import Event
from spotcheck.projections.state_tables import OBJECTIONS
from spotcheck.services import creditrisk
from spotcheck.services.evidence import attachable
from spotcheck.services.refs import department_codes, subject_exists
from spotcheck.services.runner import Caller, CommandRunner, Linked, Outcome

_DRAWN = """
SELECT i.task_id, i.draw_no, i.subject_key, i.items, i.departments, i.start_date, i.end_date,
       t.state->>'kind' AS kind
  FROM inspections i LEFT JOIN tasks t ON t.id = i.task_id
 WHERE i.id = $1 AND i.task_id IS NOT NULL
"""


async def drawn_inspection(conn: asyncpg.Connection, key: str) -> i.DrawnInspection | None:
    """The inspection as an executed, not voided, draw made it (or None)."""
    r = await conn.fetchrow(_DRAWN, key)
    if r is None:
        return None
    return i.DrawnInspection(
        task_id=r["task_id"],
        draw_no=r["draw_no"],
        subject=r["subject_key"],
        items=list(r["items"]),
        departments=list(r["departments"]),
        start_date=date.fromisoformat(r["start_date"]),
        end_date=date.fromisoformat(r["end_date"]),
        special=r["kind"] == task_aggregate.TaskKind.SPECIAL.value,
    )


async def team_accounts(conn: asyncpg.Connection, key: str) -> dict[str, str]:
    """user id → staff id of each member of the inspection's team who has a platform account."""
    rows = await conn.fetch(
        "SELECT n.id, n.user_id FROM inspections i JOIN inspectors n ON n.id = ANY(i.staff)"
        " WHERE i.id = $1 AND n.user_id IS NOT NULL",
        key,
    )
    return {r["user_id"]: r["id"] for r in rows}


async def item_refs(conn: asyncpg.Connection, codes: Sequence[str]) -> dict[str, i.ItemRef]:
    """Each item's version in force (for an item retired since, the version last in force):
    name, owner, check point codes, methods."""
    rows = await conn.fetch(
        "SELECT state FROM inspection_items WHERE id = ANY($1::text[])", list(codes)
    )
    out: dict[str, i.ItemRef] = {}
    for r in rows:
        state = item_aggregate.SPEC.state_from_data(r["state"])
        if not item_aggregate.ever_published(state):
            continue
        version = item_aggregate.shown_version(state)
        c = version.content
        out[state.code] = i.ItemRef(
            code=state.code,
            name=c.name,
            department=state.department,
            checklist=[p.code for p in c.checklist],
            methods=list(c.methods),
        )
    return out


async def in_force_refs(conn: asyncpg.Connection, codes: Sequence[str]) -> dict[str, i.ItemRef]:
    """Only the items with a version in force (a new case inspection checks current items)."""
    rows = await conn.fetch(
        "SELECT id FROM inspection_items WHERE id = ANY($1::text[]) AND status = 'PUBLISHED'",
        list(codes),
    )
    live = {r["id"] for r in rows}
    return {k: v for k, v in (await item_refs(conn, list(live))).items()}


async def publication_refs(
    conn: asyncpg.Connection, subject: str, task_id: str | None
) -> i.PublicationRefs | None:
    r = await conn.fetchrow("SELECT name, uscc FROM subjects WHERE id = $1", subject)
    if r is None:
        return None
    title = (
        await conn.fetchval("SELECT state->>'title' FROM tasks WHERE id = $1", task_id)
        if task_id is not None
        else None
    )
    return i.PublicationRefs(subject_name=r["name"], uscc=r["uscc"], task_title=title)


async def officer_states(
    conn: asyncpg.Connection, staff_ids: Sequence[str]
) -> dict[str, inspector_aggregate.Inspector]:
    rows = await conn.fetch(
        "SELECT id, state FROM inspectors WHERE id = ANY($1::text[])", list(staff_ids)
    )
    return {r["id"]: inspector_aggregate.SPEC.state_from_data(r["state"]) for r in rows}


async def open_objections(conn: asyncpg.Connection, key: str) -> frozenset[str]:
    """The objections (异议) to the inspection's published result awaiting an answer."""
    rows = await conn.fetch(
        f"SELECT id FROM {OBJECTIONS} WHERE inspection_id = $1 AND status = 'FILED' FOR UPDATE",
        key,
    )
    return frozenset(r["id"] for r in rows)


def _evidence_digests(command: i.InspectionCommand) -> list[str]:
    if isinstance(command, i.SubmitInspectionResults):
        results = list(command.results)
    elif isinstance(command, i.AmendInspectionResult):
        results = [command.result]
    else:
        return []
    return sorted({e.sha256.strip().lower() for r in results for e in r.evidence})


async def load_refs(
    conn: asyncpg.Connection,
    state: i.Inspection | None,
    command: i.InspectionCommand,
    actor: Actor = SYSTEM,
) -> i.InspectionRefs:
    """Everything ``decide`` reads for ``command``, on the command's connection.  The evidence
    files the results reference are locked (shared) until the transaction ends, so that no
    collection deletes one being attached (``spotcheck.services.evidence``)."""
    now = await conn.fetchval("SELECT now()")
    if isinstance(command, i.OpenCaseInspection):
        return i.InspectionRefs(
            now=now,
            items=await in_force_refs(conn, [c.strip() for c in command.items]),
            officers=await officer_states(conn, [s.strip() for s in command.officers]),
            subject_exists=await subject_exists(conn, command.subject.strip()),
        )
    key = command.inspection_id
    drawn = None if state is not None else await drawn_inspection(conn, key)
    items = state.items if state is not None else drawn.items if drawn is not None else []
    subject = state.subject if state is not None else drawn.subject if drawn is not None else ""
    task_id = state.task_id if state is not None else drawn.task_id if drawn is not None else None
    publish = isinstance(command, i.PublishInspectionResults)
    amend = isinstance(command, i.AmendInspectionResult) and command.objection_id is not None
    digests = _evidence_digests(command)
    files = await attachable(conn, digests, actor) if digests else None
    return i.InspectionRefs(
        now=now,
        team=await team_accounts(conn, key),
        drawn=drawn,
        items=await item_refs(conn, items),
        departments=await department_codes(conn),
        known_evidence=files.known if files else frozenset(),
        collected_evidence=files.collected if files else frozenset(),
        unreadable_evidence=files.unreadable if files else frozenset(),
        publication=await publication_refs(conn, subject, task_id) if publish else None,
        open_objections=await open_objections(conn, key) if amend else frozenset(),
    )


async def handle(
    runner: CommandRunner, caller: Caller, command: i.InspectionCommand
) -> Outcome[i.Inspection]:
    links: list[Linked] = []

    async def decide(conn: asyncpg.Connection, state: i.Inspection | None) -> list[Event]:
        refs = await load_refs(conn, state, command, caller.actor)
        events = i.decide(state, command, caller.actor, refs)
        # A publication raises its credit-risk proposal in its own transaction.
        links[:] = await creditrisk.proposals_for(conn, events)
        return events

    return await runner.run(
        caller, i.SPEC, i.command_key(command), command, decide, linked=lambda: links
    )
