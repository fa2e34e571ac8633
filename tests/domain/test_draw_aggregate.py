"""The draw aggregate (抽取): lifecycle, re-draw only through void (both kept), who may, inputs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest

from spotcheck.domain import draw as d
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import Event, to_data
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.domain.task import (
    Exclusions,
    InspectorRules,
    PopulationFilter,
    StratumSpec,
    Task,
    TaskStatus,
)
from spotcheck.draw import transcript as tr
from spotcheck.draw.matching import UnmatchedReason
from spotcheck.draw.select import Stratum

ADMIN = Actor(user_id="admin", department="SCJG", roles=frozenset({Role.SYSTEM_ADMIN}))
SCJG_ADMIN = Actor(user_id="a", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN}))
STHJ_ADMIN = Actor(user_id="b", department="STHJ", roles=frozenset({Role.DEPARTMENT_ADMIN}))
INSPECTOR = Actor(user_id="c", department="SCJG", roles=frozenset({Role.INSPECTOR}))
AUDITOR = Actor(user_id="e", department="SCJG", roles=frozenset({Role.AUDITOR}))
SEED = bytes(range(32))
SOURCES = [
    tr.EntropySource(name="双色球 2026045 红球", kind=tr.SourceKind.NUMBERS),
    tr.EntropySource(name="双色球 2026045 蓝球", kind=tr.SourceKind.NUMBERS),
]
ENTROPY = [
    tr.EntropyValue(name="双色球 2026045 红球", value=[21, 3, 9, 14, 30, 6]),
    tr.EntropyValue(name="双色球 2026045 蓝球", value=[12]),
]


def task(**changes: object) -> Task:
    base = Task(
        task_id="T-2026-001",
        plan_id="2026-SCJG",
        title="食品经营双随机抽查",
        department="SCJG",
        departments=["SCJG", "STHJ"],
        items=["SCJG-FOOD", "STHJ-WATER"],
        stratify_by_risk_class=True,
        strata=[
            StratumSpec(id="A", ratio_percent=Decimal("30")),
            StratumSpec(id="D", count=1),
        ],
        population=PopulationFilter(),
        exclusions=Exclusions(),
        inspector_rules=InspectorRules(),
        start_date=dt.date(2026, 5, 6),
        end_date=dt.date(2026, 5, 29),
        status=TaskStatus.PUBLISHED,
    )
    return msgspec.structs.replace(base, **changes)


def committed(t: Task | None = None) -> d.Committed:
    t = t or task()
    frozen = tr.commit_draw(
        task=t.task_id,
        ledger_position=1024,
        strata=[
            Stratum(id="A", population=[f"A0{i}" for i in range(1, 9)], ratio="0.3"),
            Stratum(id="D", population=["D01", "D02", "D03"], count=1),
        ],
        sources=SOURCES,
        commitment=tr.commitment_of(SEED),
    )
    return d.Committed(commit=frozen, commit_digest=tr.commit_digest(frozen), unsealed_events=0)


EXECUTED = d.Executed(
    server_seed=SEED.hex(),
    transcript_digest="1" * 64,
    outcome_digest="2" * 64,
    assigned=3,
    unmatched_by_reason={"NOT_ENOUGH_OFFICERS": 1},
)


def run(state: d.TaskDraws | None, events: list[Event]) -> d.TaskDraws:
    """Fold the events after a round trip through their stored form."""
    for e in events:
        stored = d.SPEC.decode(type(e).__name__, e.schema_version, to_data(e))
        assert stored == e
        state = d.evolve(state, stored)
    assert state is not None
    return state


def commit(state: d.TaskDraws | None, actor: Actor = ADMIN) -> d.TaskDraws:
    cmd = d.CommitDraw(task_id="T-2026-001", sources=SOURCES)
    return run(state, d.decide(state, cmd, actor, task(), committed()))


def execute(state: d.TaskDraws, actor: Actor = ADMIN) -> d.TaskDraws:
    cmd = d.ExecuteDraw(task_id="T-2026-001", entropy=ENTROPY)
    return run(state, d.decide(state, cmd, actor, task(), EXECUTED))


def void(state: d.TaskDraws, reason: str | None = "抽取参数有误") -> d.TaskDraws:
    cmd = d.VoidDraw(task_id="T-2026-001", reason=reason)
    return run(state, d.decide(state, cmd, ADMIN, task()))


def refused(code: ErrorCode, field: str | None = None) -> pytest.RaisesExc[DomainError]:
    return pytest.raises(
        DomainError, check=lambda e: (e.code, e.problems[0].field) == (code, field)
    )


def test_commit_then_execute() -> None:
    state = commit(None)
    draw = state.draws[0]
    assert (draw.number, draw.status) == (1, d.DrawStatus.COMMITTED)
    assert draw.server_seed is None  # not before execution
    assert draw.items == ["SCJG-FOOD", "STHJ-WATER"]
    assert state.current() == draw
    state = execute(state)
    draw = state.draws[0]
    assert draw.status is d.DrawStatus.EXECUTED
    assert draw.server_seed == SEED.hex()
    assert (draw.assigned, draw.unmatched) == (3, 1)
    assert draw.unmatched_by_reason == {"NOT_ENOUGH_OFFICERS": 1}
    assert draw.entropy == ENTROPY


def test_second_commit_or_execute_is_refused() -> None:
    state = commit(None)
    with refused(ErrorCode.INVALID_TRANSITION, "taskId"):
        commit(state)
    state = execute(state)
    with refused(ErrorCode.INVALID_TRANSITION, "taskId"):
        commit(state)
    with refused(ErrorCode.INVALID_TRANSITION, "taskId"):
        execute(state)


def test_execute_needs_a_commit() -> None:
    with refused(ErrorCode.INVALID_TRANSITION, "taskId"):
        d.decide(None, d.ExecuteDraw(task_id="T-2026-001", entropy=ENTROPY), ADMIN, task())


def test_void_then_redraw_keeps_both() -> None:
    state = execute(commit(None))
    state = void(state)
    assert state.current() is None
    first = state.draws[0]
    assert (first.status, first.voided_from) == (d.DrawStatus.VOIDED, d.DrawStatus.EXECUTED)
    assert first.void_reason == "抽取参数有误"
    assert first.server_seed == SEED.hex()  # the voided draw stays as it was
    state = commit(state)
    assert [(x.number, x.status) for x in state.draws] == [
        (1, d.DrawStatus.VOIDED),
        (2, d.DrawStatus.COMMITTED),
    ]
    state = void(state)  # a committed draw may be voided too
    assert state.draws[1].voided_from is d.DrawStatus.COMMITTED
    with refused(ErrorCode.INVALID_TRANSITION, "taskId"):
        void(state)  # nothing left to void


def test_void_needs_a_reason() -> None:
    state = commit(None)
    for reason in (None, "  "):
        with refused(ErrorCode.REASON_REQUIRED, "reason"):
            void(state, reason)


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [(ADMIN, True), (SCJG_ADMIN, True), (STHJ_ADMIN, False), (INSPECTOR, False), (AUDITOR, False)],
)
def test_who_may_commit_execute_and_replace(actor: Actor, allowed: bool) -> None:
    if not allowed:
        with refused(ErrorCode.FORBIDDEN):
            commit(None, actor)
        state = commit(None)
        with refused(ErrorCode.FORBIDDEN):
            execute(state, actor)
        state = execute(state)
        with refused(ErrorCode.FORBIDDEN):
            d.check(state, replace_cmd(), actor, task())
        return
    state = execute(commit(None, actor), actor)
    d.check(state, replace_cmd(), actor, task())


@pytest.mark.parametrize("actor", [SCJG_ADMIN, STHJ_ADMIN, INSPECTOR, AUDITOR])
def test_only_the_system_admin_voids(actor: Actor) -> None:
    state = commit(None)
    with refused(ErrorCode.FORBIDDEN):
        d.decide(state, d.VoidDraw(task_id="T-2026-001", reason="重抽"), actor, task())


def test_the_task_must_be_published() -> None:
    for status in (TaskStatus.DRAFT, TaskStatus.CANCELLED):
        with refused(ErrorCode.INVALID_TRANSITION, "taskId"):
            d.check(
                None,
                d.CommitDraw(task_id="T-2026-001", sources=SOURCES),
                ADMIN,
                task(status=status),
            )
    state = commit(None)
    with refused(ErrorCode.INVALID_TRANSITION, "taskId"):
        d.check(
            state,
            d.ExecuteDraw(task_id="T-2026-001", entropy=ENTROPY),
            ADMIN,
            task(status=TaskStatus.CANCELLED),
        )
    # A cancelled task's draw can still be voided.
    d.check(
        state,
        d.VoidDraw(task_id="T-2026-001", reason="任务撤销"),
        ADMIN,
        task(status=TaskStatus.CANCELLED),
    )
    with refused(ErrorCode.NOT_FOUND, "taskId"):
        d.check(None, d.CommitDraw(task_id="NOPE", sources=SOURCES), ADMIN, None)


def test_sources_are_checked() -> None:
    bad = [
        tr.EntropySource(name="", kind=tr.SourceKind.NUMBERS),
        tr.EntropySource(name="X", kind=tr.SourceKind.TEXT, description="d" * 1001),
        tr.EntropySource(name="X", kind=tr.SourceKind.TEXT),
    ]
    with pytest.raises(DomainError) as e:
        d.check(None, d.CommitDraw(task_id="T-2026-001", sources=bad), ADMIN, task())
    assert {(p.code, p.field) for p in e.value.problems} == {
        (ErrorCode.REQUIRED, "sources[0].name"),
        (ErrorCode.TOO_LONG, "sources[1].description"),
        (ErrorCode.INVALID_FORMAT, "sources[2].name"),
    }
    with refused(ErrorCode.REQUIRED, "sources"):
        d.check(None, d.CommitDraw(task_id="T-2026-001", sources=[]), ADMIN, task())


def test_entropy_must_match_the_committed_sources() -> None:
    state = commit(None)

    def problems(entropy: list[tr.EntropyValue]) -> set[tuple[ErrorCode, str | None]]:
        with pytest.raises(DomainError) as e:
            d.check(state, d.ExecuteDraw(task_id="T-2026-001", entropy=entropy), ADMIN, task())
        return {(p.code, p.field) for p in e.value.problems}

    assert problems(list(reversed(ENTROPY))) == {(ErrorCode.INVALID_FORMAT, "entropy")}
    assert problems(ENTROPY[:1]) == {(ErrorCode.INVALID_FORMAT, "entropy")}
    red, blue = (e.name for e in ENTROPY)
    assert problems(
        [tr.EntropyValue(name=red, value="3 6 9"), tr.EntropyValue(name=blue, value=[])]
    ) == {
        (ErrorCode.INVALID_FORMAT, "entropy[0].value"),
        (ErrorCode.REQUIRED, "entropy[1].value"),
    }
    assert problems(
        [tr.EntropyValue(name=red, value=[-1]), tr.EntropyValue(name=blue, value=[2**53])]
    ) == {
        (ErrorCode.OUT_OF_RANGE, "entropy[0].value"),
        (ErrorCode.OUT_OF_RANGE, "entropy[1].value"),
    }


def test_text_entropy_may_not_break_the_key_string() -> None:
    sources = [tr.EntropySource(name="hash", kind=tr.SourceKind.TEXT)]
    state = run(
        None,
        [
            d.DrawCommitted(
                number=1,
                commit=msgspec.structs.replace(committed().commit, sources=sources),
                commit_digest="0" * 64,
                items=[],
                unsealed_events=0,
            )
        ],
    )
    for value, code in (("a/b", ErrorCode.INVALID_FORMAT), ([1], ErrorCode.INVALID_FORMAT)):
        with refused(code, "entropy[0].value"):
            d.check(
                state,
                d.ExecuteDraw(
                    task_id="T-2026-001", entropy=[tr.EntropyValue(name="hash", value=value)]
                ),
                ADMIN,
                task(),
            )


def replace_cmd(number: int = 1, reason: str | None = "病假") -> d.ReplaceInspector:
    return d.ReplaceInspector(
        task_id="T-2026-001", number=number, subject="A05", staff_id="SCJG-03", reason=reason
    )


def test_replacement_is_recorded_on_the_executed_draw() -> None:
    state = commit(None)
    with refused(ErrorCode.INVALID_TRANSITION, "inspectionId"):
        d.check(state, replace_cmd(), ADMIN, task())
    state = execute(state)
    with refused(ErrorCode.NOT_FOUND, "inspectionId"):
        d.check(state, replace_cmd(number=2), ADMIN, task())
    with refused(ErrorCode.REASON_REQUIRED, "reason"):
        d.check(state, replace_cmd(reason=" "), ADMIN, task())
    replaced = d.Replaced(
        counter=1,
        replacement=None,
        unmatched_reason=UnmatchedReason.NO_OFFICER_FROM_DEPARTMENT,
        lead="STHJ-02",
        officers=["STHJ-02"],
        experts=[],
        transcript_digest="3" * 64,
    )
    state = run(state, d.decide(state, replace_cmd(), SCJG_ADMIN, task(), replaced))
    draw = state.draws[0]
    assert draw.transcript_digest == "3" * 64
    assert draw.replacements == [
        d.Replacement(
            subject="A05",
            counter=1,
            replaced="SCJG-03",
            reason="病假",
            replacement=None,
            unmatched_reason=UnmatchedReason.NO_OFFICER_FROM_DEPARTMENT,
        )
    ]
    state = void(state)
    with refused(ErrorCode.INVALID_TRANSITION, "inspectionId"):
        d.check(state, replace_cmd(), ADMIN, task())


def test_cap_is_checked_now_that_the_population_is_known() -> None:
    items = {
        "SCJG-FOOD": d.ItemForDraw(
            code="SCJG-FOOD", department="SCJG", general=True, ratio_cap_percent=Decimal("5")
        ),
        "STHJ-WATER": d.ItemForDraw(code="STHJ-WATER", department="STHJ", general=False),
    }
    ok = task(
        strata=[StratumSpec(id="A", ratio_percent=Decimal("5")), StratumSpec(id="D", count=5)]
    )
    d.cap_problems(ok, items, {"A": 1000, "D": 100})
    d.cap_problems(ok, items, {"A": 1000})  # an empty stratum draws nothing
    with pytest.raises(DomainError) as e:
        d.cap_problems(ok, items, {"A": 1000, "D": 99})
    (problem,) = e.value.problems
    assert (problem.code, problem.field) == (ErrorCode.RATIO_CAP_EXCEEDED, "taskId")
    assert "SCJG-FOOD" in problem.message and "5%" in problem.message
    assert "5 of 99" in problem.message
    over = task(strata=[StratumSpec(id="A", ratio_percent=Decimal("5.5"))])
    with refused(ErrorCode.RATIO_CAP_EXCEEDED, "taskId"):
        d.cap_problems(over, items, {"A": 10})
    key_only = {"SCJG-FOOD": msgspec.structs.replace(items["SCJG-FOOD"], general=False)}
    d.cap_problems(over, key_only, {"A": 10})  # key items have no cap


def test_parameters_from_the_task() -> None:
    t = task(
        strata=[
            StratumSpec(id="D", ratio_percent=Decimal("100")),
            StratumSpec(id="A", ratio_percent=Decimal("12.5")),
            StratumSpec(id="B", count=7),
        ],
        inspector_rules=InspectorRules(
            officers_per_subject=3, experts_per_subject=1, workload_cap=9
        ),
    )
    strata = d.strata_of(t, {"A": ["A1"], "D": ["D1", "D2"]})
    assert [(s.id, s.ratio, s.count, list(s.population)) for s in strata] == [
        ("A", "0.125", None, ["A1"]),
        ("B", None, 7, []),
        ("D", "1", None, ["D1", "D2"]),
    ]
    assert d.ratio_string(Decimal("30.00")) == "0.3"
    items = {
        "SCJG-FOOD": d.ItemForDraw(
            code="SCJG-FOOD", department="SCJG", general=False, expertise=["FOOD", "LAB"]
        ),
        "STHJ-WATER": d.ItemForDraw(
            code="STHJ-WATER", department="STHJ", general=False, expertise=["WATER"]
        ),
    }
    rules = d.task_rules(t, items)
    assert rules.departments == ("SCJG", "STHJ")
    assert (rules.start, rules.end) == (dt.date(2026, 5, 6), dt.date(2026, 5, 29))
    assert rules.required_expertise == {"SCJG": ("FOOD", "LAB"), "STHJ": ("WATER",)}
    assert rules.expert_expertise == ("FOOD", "LAB", "WATER")
    assert (rules.officers_per_subject, rules.experts_per_subject, rules.workload_cap) == (3, 1, 9)


def test_inspection_keys() -> None:
    key = d.inspection_id("T-2026-001", 2, "91110106000004242X")
    assert key == "T-2026-001/2/91110106000004242X"
    assert d.parse_inspection_id(key) == ("T-2026-001", 2, "91110106000004242X")
    assert d.parse_inspection_id("T/PRODUCT:SCJG:1") is None
    assert d.parse_inspection_id("T/x/PRODUCT:SCJG:1") is None
    assert d.parse_inspection_id("T/1/PRODUCT:SCJG:A-1") == ("T", 1, "PRODUCT:SCJG:A-1")
