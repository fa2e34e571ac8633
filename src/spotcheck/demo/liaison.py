"""Demo of the liaison system (联络员制度, 附件2): SCJG's liaison (``liaison-scjg``) submits the
work information report of the current quarter, with the figures the statistics compute at
submission, and records one training session for SCJG's inspectors (宣传培训, 二(八)) held
today (Beijing, by the database clock) and attended by the first three SCJG inspectors of the
registry (by staff id).  Each step does only what the record lacks, so an interrupted run is
completed by the next and a complete demo writes nothing.
"""

from __future__ import annotations

from typing import TypeVar

import asyncpg

from spotcheck.clock import beijing_today
from spotcheck.domain.aggregate import AggregateSpec
from spotcheck.domain.liaison import report as r
from spotcheck.domain.liaison import training as t
from spotcheck.projections import state_tables
from spotcheck.services import liaisons
from spotcheck.services.actors import load_actor
from spotcheck.services.runner import Caller, CommandRunner

S = TypeVar("S")
DEPARTMENT = "SCJG"
LIAISON = "liaison-scjg"
ATTENDEES = 3


async def _state(runner: CommandRunner, spec: AggregateSpec[S], key: str) -> S | None:
    events = await runner.store.read_stream(spec.stream_id(key))
    return spec.fold(spec.decode(e.event_type, e.schema_version, e.data) for e in events)


def training_id(year: int) -> str:
    return f"{year}-{DEPARTMENT}-DEMO-TRAINING"


async def load_liaison(runner: CommandRunner) -> str:
    """The liaison demo; returns what it holds, as one line."""
    pool = runner.store.pool
    today = await beijing_today(pool)
    caller = Caller(actor=await load_actor(pool, LIAISON), request_id="demo")
    quarter = (today.month - 1) // 3 + 1
    report_id = r.report_id(DEPARTMENT, today.year, quarter)
    if await _state(runner, r.SPEC, report_id) is None:
        await liaisons.submit_report(
            runner,
            caller,
            r.SubmitLiaisonReport(
                department=DEPARTMENT,
                year=today.year,
                quarter=quarter,
                progress="本季度按计划完成双随机抽查任务，结果已按时公示",
                problems="部分检查对象在登记住所无法联系",
                experience="联合抽查减少了对企业的重复检查",
            ),
        )
    training = training_id(today.year)
    staff: list[asyncpg.Record] = []
    if await _state(runner, t.SPEC, training) is None:
        staff = await pool.fetch(
            f"SELECT id FROM {state_tables.INSPECTORS} WHERE state->>'department' = $1 "
            "ORDER BY id LIMIT $2",
            DEPARTMENT,
            ATTENDEES,
        )
    if staff:  # a demo loaded with few inspectors may have none in SCJG: no training then
        await liaisons.training(
            runner,
            caller,
            t.RecordTraining(
                training_id=training,
                department=DEPARTMENT,
                title="双随机、一公开监管业务培训",
                held_on=today,
                content="抽查事项清单、随机抽取规则、检查结果录入与公示时限",
                attendees=[row["id"] for row in staff],
            ),
        )
    held = await _state(runner, t.SPEC, training) is not None
    return f"liaison report {report_id}, training {training if held else '- (no SCJG inspector)'}"
