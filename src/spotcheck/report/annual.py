"""The annual report (年度工作总结): each figure of ``domain.annual`` per department and for the
district, with the sealed ledger events that prove it (as the duty-list review cites them).

Read in one REPEATABLE READ snapshot: the rows from the read tables and the proofs from the
ledger up to the position read at the start (an event not yet sealed then proves nothing yet,
and its figure lists it under ``unproved``)."""

from __future__ import annotations

from datetime import date

import asyncpg
import msgspec

from spotcheck.domain import annual as an
from spotcheck.domain.deadlines import publication_deadline
from spotcheck.domain.statistics import Deadline, check_arguments
from spotcheck.eventstore.envelope import RecordedEvent
from spotcheck.review.model import Proof
from spotcheck.review.objections import proof
from spotcheck.services import annual as service
from spotcheck.services.deadlines import load_calendar
from spotcheck.services.refs import department_codes


class ReportFigure(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    title: str
    numerator: int
    denominator: int
    rate: float | None
    details: dict[str, int]
    proofs: list[Proof]
    unproved: list[str]
    """Proof notes whose events are not (yet) in the ledger up to the report's position."""


class DepartmentReport(msgspec.Struct, frozen=True, kw_only=True):
    department: str | None
    """None: the district."""
    figures: list[ReportFigure]


class AnnualReport(msgspec.Struct, frozen=True, kw_only=True):
    year: int
    today: date
    plan_filing_deadline: date
    ledger_position: int
    departments: list[DepartmentReport]
    district: DepartmentReport | None
    """None when the report is of one department."""


def figures(
    rows: service.AnnualRows,
    year: int,
    today: date,
    due: date,
    deadline: Deadline,
    department: str | None,
) -> list[an.Figure]:
    return [
        an.plan_filing(rows.plans, due, department),
        an.item_coverage(rows.plans, department),
        an.publication(rows.publications, today, deadline, department),
        an.follow_ups(rows.follow_ups, today, department),
        an.repeats(rows.repeats, department),
        an.action_items(rows.actions, today, department),
        an.objection_answers(rows.answers, department),
    ]


def _resolve(f: an.Figure, events: dict[tuple[str, str], list[RecordedEvent]]) -> ReportFigure:
    proofs: list[Proof] = []
    unproved: list[str] = []
    for ref in f.proofs:
        found = [e for t in ref.event_types for e in events.get((ref.stream_id, t), [])]
        if not found:
            unproved.append(ref.note)
        proofs.extend(proof(e, ref.note) for e in found)
    return ReportFigure(
        key=f.key,
        title=f.title,
        numerator=f.numerator,
        denominator=f.denominator,
        rate=f.rate,
        details=dict(sorted(f.details.items())),
        proofs=proofs,
        unproved=unproved,
    )


async def annual_report(
    conn: asyncpg.Connection,
    year: int,
    department: str | None = None,
    today: date | None = None,
    filing: tuple[int, int] | None = None,
) -> AnnualReport:
    """The report of ``year`` as of ``today`` (Beijing; default the database's today): every
    department and the district, or ``department`` alone."""
    from spotcheck.clock import beijing_today

    async with conn.transaction(isolation="repeatable_read", readonly=True):
        codes = await department_codes(conn)
        check_arguments(year, department, codes)
        today = today or await beijing_today(conn)
        calendar = await load_calendar(conn)
        head = await service.ledger_head(conn)
        rows = await service.read_rows(conn, year, today, calendar)
        due = an.filing_deadline(year, filing or service.filing_month_day())

        def deadline(completed_on: date, days: int) -> date:
            return publication_deadline(calendar, completed_on, days)

        chosen = [department] if department is not None else sorted(codes)
        per = {d: figures(rows, year, today, due, deadline, d) for d in chosen}
        district = (
            None if department is not None else figures(rows, year, today, due, deadline, None)
        )
        refs = [r for fs in [*per.values(), district or []] for f in fs for r in f.proofs]
        events = await service.proof_events(conn, head, refs)
    return AnnualReport(
        year=year,
        today=today,
        plan_filing_deadline=due,
        ledger_position=head,
        departments=[
            DepartmentReport(department=d, figures=[_resolve(f, events) for f in fs])
            for d, fs in per.items()
        ],
        district=None
        if district is None
        else DepartmentReport(department=None, figures=[_resolve(f, events) for f in district]),
    )
