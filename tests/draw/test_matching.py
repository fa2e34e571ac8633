"""第二个随机: every eligibility and 回避 rule, the two-officer floor, experts, joint tasks,
unmatched subjects, replacement; and the Fenwick matcher against a plain reference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spotcheck.domain.inspector import (
    Conflict,
    Inspector,
    InspectorKind,
    InspectorStatus,
    from_inspector,
)
from spotcheck.draw.matching import (
    Assignment,
    Excluded,
    Ineligible,
    InspectorCandidate,
    Matcher,
    SubjectRecord,
    TaskRules,
    Unmatched,
    UnmatchedReason,
    ineligibility,
    is_officer,
    match,
    matching_key,
    rules_problems,
)
from spotcheck.draw.rfc3797 import key_string, pick_index

START, END = date(2026, 4, 1), date(2026, 4, 30)
KEYS = [key_string([[n], "c0ffee" * 4]) for n in range(25)]
"""Many draw keys: a rule that holds for every one of them is not luck."""


def officer(staff_id: str, department: str = "SCJG", **extra: Any) -> InspectorCandidate:
    fields: dict[str, Any] = {
        "staff_id": staff_id,
        "department": department,
        "kind": InspectorKind.ENFORCEMENT_OFFICER,
        "status": InspectorStatus.ACTIVE,
        "certificate_valid_from": date(2024, 1, 1),
        "certificate_valid_until": date(2028, 12, 31),
    }
    fields.update(extra)
    return InspectorCandidate(**fields)


def expert(staff_id: str, department: str = "SCJG", **extra: Any) -> InspectorCandidate:
    fields: dict[str, Any] = {"kind": InspectorKind.EXPERT}
    fields.update(extra)
    return officer(
        staff_id, department, certificate_valid_from=None, certificate_valid_until=None, **fields
    )


def rules(**extra: Any) -> TaskRules:
    fields: dict[str, Any] = {"departments": ("SCJG",), "start": START, "end": END}
    fields.update(extra)
    return TaskRules(**fields)


def subjects(*keys: str) -> list[SubjectRecord]:
    return [SubjectRecord(key=k) for k in keys]


def team(a: Assignment) -> list[str]:
    return [*a.officers, *a.experts]


def only_team(
    candidates: Sequence[InspectorCandidate], task: TaskRules, subject: SubjectRecord
) -> set[frozenset[str]]:
    """Every team the subject gets over all KEYS."""
    out = set()
    for key in KEYS:
        r = match(key, [subject], candidates, task)
        assert not r.unmatched, r.unmatched
        out.add(frozenset(team(r.assignments[0])))
    return out


# Static eligibility: one test per rule.
@pytest.mark.parametrize(
    "status", [InspectorStatus.ON_LEAVE, InspectorStatus.SUSPENDED, InspectorStatus.RETIRED]
)
def test_only_active_inspectors(status: InspectorStatus) -> None:
    cands = [officer("P1"), officer("P2"), officer("P3", status=status)]
    assert only_team(cands, rules(), SubjectRecord(key="S1")) == {frozenset({"P1", "P2"})}
    assert match(KEYS[0], [], cands, rules()).ineligible == {"P3": Ineligible.INACTIVE}


def test_only_participating_departments() -> None:
    cands = [officer("P1"), officer("P2"), officer("P3", "STHJ")]
    assert only_team(cands, rules(), SubjectRecord(key="S1")) == {frozenset({"P1", "P2"})}
    assert ineligibility(cands[2], rules()) is Ineligible.OTHER_DEPARTMENT


@pytest.mark.parametrize(
    "certificate",
    [
        {"certificate_valid_from": None, "certificate_valid_until": None},
        {"certificate_valid_until": END - timedelta(days=1)},  # expires during the task
        {"certificate_valid_from": START + timedelta(days=1)},  # not yet valid on the first day
    ],
)
def test_certificate_valid_over_the_whole_task(certificate: dict[str, Any]) -> None:
    cands = [officer("P1"), officer("P2"), officer("P3", **certificate)]
    assert only_team(cands, rules(), SubjectRecord(key="S1")) == {frozenset({"P1", "P2"})}
    assert ineligibility(cands[2], rules()) is Ineligible.CERTIFICATE


def test_certificate_dates_are_inclusive() -> None:
    edge = officer("P3", certificate_valid_from=START, certificate_valid_until=END)
    assert ineligibility(edge, rules()) is None


def test_supervision_staff_count_as_officers_with_a_certificate() -> None:
    staff = officer("P2", kind=InspectorKind.SUPERVISION_STAFF)
    assert is_officer(staff) and ineligibility(staff, rules()) is None
    bare = officer(
        "P3",
        kind=InspectorKind.SUPERVISION_STAFF,
        certificate_valid_from=None,
        certificate_valid_until=None,
    )
    assert ineligibility(bare, rules()) is Ineligible.CERTIFICATE


def test_officers_hold_their_departments_required_expertise() -> None:
    task = rules(
        departments=("SCJG", "STHJ"),
        required_expertise={"SCJG": ("FOOD", "SPECIAL_EQUIPMENT")},
    )
    cands = [
        officer("P1", expertise=("FOOD", "SPECIAL_EQUIPMENT", "DRUGS")),
        officer("P2", expertise=("FOOD",)),  # lacks SPECIAL_EQUIPMENT
        officer("P3", "STHJ"),  # STHJ's items need nothing
    ]
    assert ineligibility(cands[1], task) is Ineligible.EXPERTISE
    assert only_team(cands, task, SubjectRecord(key="S1")) == {frozenset({"P1", "P3"})}


def test_experts_hold_the_expertise_asked_of_experts() -> None:
    task = rules(experts_per_subject=1, expert_expertise=("LAB",))
    cands = [officer("P1"), officer("P2"), expert("E1", expertise=("LAB",)), expert("E2")]
    assert ineligibility(cands[3], task) is Ineligible.EXPERTISE
    assert only_team(cands, task, SubjectRecord(key="S1")) == {frozenset({"P1", "P2", "E1"})}


def test_experts_only_when_the_task_asks_for_them() -> None:
    cands = [officer("P1"), officer("P2"), expert("E1")]
    assert only_team(cands, rules(), SubjectRecord(key="S1")) == {frozenset({"P1", "P2"})}
    assert ineligibility(cands[2], rules()) is Ineligible.EXPERT_NOT_NEEDED


# Per-subject exclusions (回避, rotation, workload).
def test_declared_conflict_is_avoided() -> None:
    cands = [officer("P1"), officer("P2"), officer("P3", conflicts=("S1",))]
    assert only_team(cands, rules(), SubjectRecord(key="S1")) == {frozenset({"P1", "P2"})}
    # Only for that subject: P3 is drawn for others.
    assert any("P3" in t for t in only_team(cands, rules(), SubjectRecord(key="S2")))


def test_rotation_excludes_the_previous_inspection() -> None:
    cands = [officer("P1"), officer("P2"), officer("P3"), officer("P4")]
    s1 = SubjectRecord(key="S1", previous_inspectors=("P1", "P3"))
    assert only_team(cands, rules(), s1) == {frozenset({"P2", "P4"})}


def test_workload_cap_counts_this_draw_and_existing_load() -> None:
    cands = [officer("P1"), officer("P2"), officer("P3"), officer("P4", load=1)]
    r = match(KEYS[0], subjects("S1", "S2"), cands, rules(workload_cap=1))
    assert [a.subject for a in r.assignments] == ["S1"]
    assert set(team(r.assignments[0])) < {"P1", "P2", "P3"}  # P4 is at the cap by its load
    [u] = r.unmatched
    assert u.subject == "S2" and u.reason is UnmatchedReason.NOT_ENOUGH_OFFICERS
    assert (u.needed, u.found, u.eligible) == (2, 1, 4)
    assert u.excluded[Excluded.WORKLOAD_CAP.value] == 3  # two in S1's team, P4 by its load
    assert u.excluded[Excluded.IN_TEAM.value] == 1


def test_workload_spreads_over_everyone_under_the_cap() -> None:
    cands = [officer(f"P{i}") for i in range(6)]
    r = match(KEYS[1], subjects(*(f"S{i}" for i in range(3))), cands, rules(workload_cap=1))
    assert not r.unmatched
    assert sorted(s for a in r.assignments for s in team(a)) == [f"P{i}" for i in range(6)]


# Team composition.
def test_two_officer_floor() -> None:
    assert rules_problems(rules(officers_per_subject=1))
    with pytest.raises(ValueError, match="floor"):
        match(KEYS[0], subjects("S1"), [officer("P1")], rules(officers_per_subject=1))
    r = match(KEYS[0], subjects("S1"), [officer("P1"), officer("P2"), officer("P3")], rules())
    assert len(r.assignments[0].officers) == 2
    lone = match(KEYS[0], subjects("S1"), [officer("P1")], rules())
    assert lone.unmatched[0].reason is UnmatchedReason.NOT_ENOUGH_OFFICERS


def test_no_person_twice_in_one_team() -> None:
    cands = [officer("P1"), officer("P2"), expert("E1"), expert("E2")]
    task = rules(officers_per_subject=2, experts_per_subject=2)
    for key in KEYS:
        [a] = match(key, subjects("S1"), cands, task).assignments
        assert sorted(team(a)) == ["E1", "E2", "P1", "P2"]
    many = [officer(f"P{i:02d}") for i in range(5)]
    for key in KEYS:
        for a in match(
            key, subjects(*(f"S{i}" for i in range(20))), many, rules(officers_per_subject=4)
        ).assignments:
            assert len(set(team(a))) == len(team(a)) == 4


def test_experts_never_count_towards_officers() -> None:
    task = rules(experts_per_subject=1)
    short = match(KEYS[0], subjects("S1"), [officer("P1"), expert("E1"), expert("E2")], task)
    [u] = short.unmatched
    assert (u.reason, u.needed, u.found) == (UnmatchedReason.NOT_ENOUGH_OFFICERS, 2, 1)
    [a] = match(
        KEYS[0], subjects("S1"), [officer("P1"), officer("P2"), expert("E1")], task
    ).assignments
    assert sorted(a.officers) == ["P1", "P2"] and a.experts == ("E1",)
    assert a.lead in a.officers


def test_not_enough_experts() -> None:
    task = rules(experts_per_subject=2)
    [u] = match(
        KEYS[0], subjects("S1"), [officer("P1"), officer("P2"), expert("E1")], task
    ).unmatched
    assert (u.reason, u.needed, u.found, u.eligible) == (
        UnmatchedReason.NOT_ENOUGH_EXPERTS,
        2,
        1,
        1,
    )


def test_joint_task_covers_every_department_with_one_team() -> None:
    depts = ("SCJG", "STHJ", "WJW")
    cands = [officer(f"{d}-{i}", d) for d in depts for i in range(3)]
    task = rules(departments=depts, officers_per_subject=4)
    for key in KEYS:
        r = match(key, subjects(*(f"S{i}" for i in range(10))), cands, task)
        assert len(r.assignments) == 10  # one inspection per subject, one team
        for a in r.assignments:
            assert len(a.officers) == 4
            assert {s.split("-")[0] for s in a.officers} == set(depts)
            assert a.lead is not None and a.lead.startswith("SCJG")  # the lead department
            assert a.lead == a.officers[0]
    assert rules_problems(rules(departments=depts, officers_per_subject=2))


def test_department_without_an_officer_is_reported() -> None:
    task = rules(departments=("SCJG", "STHJ"))
    cands = [officer("P1"), officer("P2"), officer("Q1", "STHJ", conflicts=("S1",))]
    r = match(KEYS[0], subjects("S1", "S2"), cands, task)
    assert [a.subject for a in r.assignments] == ["S2"]
    assert r.unmatched == [
        Unmatched(
            subject="S1",
            reason=UnmatchedReason.NO_OFFICER_FROM_DEPARTMENT,
            department="STHJ",
            needed=1,
            found=0,
            eligible=1,
            excluded={"IN_TEAM": 0, "REPLACED": 0, "CONFLICT": 1, "ROTATION": 0, "WORKLOAD_CAP": 0},
        )
    ]


def test_unmatched_counts_each_exclusion() -> None:
    cands = [officer("P1", conflicts=("S1",)), officer("P2"), officer("P3")]
    s1 = SubjectRecord(key="S1", previous_inspectors=("P3",))
    [u] = match(KEYS[0], [s1], cands, rules()).unmatched
    assert (u.reason, u.needed, u.found, u.eligible) == (
        UnmatchedReason.NOT_ENOUGH_OFFICERS,
        2,
        1,
        3,
    )
    assert u.excluded == {
        "IN_TEAM": 1,
        "REPLACED": 0,
        "CONFLICT": 1,
        "ROTATION": 1,
        "WORKLOAD_CAP": 0,
    }


def test_no_subject_dropped_in_silence() -> None:
    cands = [officer("P1"), officer("P2"), officer("P3", conflicts=("S2",))]
    order = [
        SubjectRecord(key=f"S{i}", previous_inspectors=("P1",) if i % 3 == 0 else ())
        for i in range(9)
    ]
    r = match(KEYS[0], order, cands, rules(workload_cap=4))
    got = sorted([a.subject for a in r.assignments] + [u.subject for u in r.unmatched])
    assert got == sorted(s.key for s in order)
    assert r.unmatched  # the cap runs out


def test_pick_follows_the_protocol_by_hand() -> None:
    """Subject S1, key K‖"match:S1./0./": j = 0 over the sorted pool, then j = 1."""
    cands = [officer(f"P{i}") for i in range(7)]
    [a] = match(KEYS[3], subjects("S1"), cands, rules()).assignments
    kx = (KEYS[3] + "match:S1./0./").encode()
    pool = [f"P{i}" for i in range(7)]
    first = pool.pop(pick_index(kx, 0, len(pool)))
    second = pool.pop(pick_index(kx, 1, len(pool)))
    assert a.officers == (first, second) and a.lead == first
    assert matching_key(KEYS[3], "S1", 0) == KEYS[3] + "match:S1./0./"


def test_candidates_carry_no_persona_data() -> None:
    state = Inspector(
        staff_id="SCJG-001",
        name="张伟",
        department="SCJG",
        kind=InspectorKind.ENFORCEMENT_OFFICER,
        certificate_number="11010600001",
        certificate_valid_from=date(2024, 1, 1),
        certificate_valid_until=date(2026, 12, 31),
        expertise=["SPECIAL_EQUIPMENT", "FOOD"],
        conflicts=[Conflict(subject_key="S9", reason="亲属")],
        phone="13800000001",
        email="zhang@example.gov.cn",
    )
    c = from_inspector(state, load=2)
    encoded = msgspec.json.encode(c).decode()
    for secret in ("张伟", "13800000001", "zhang@", "11010600001", "亲属"):
        assert secret not in encoded
    assert c.expertise == ("FOOD", "SPECIAL_EQUIPMENT") and c.conflicts == ("S9",)
    no_cert = msgspec.structs.replace(state, certificate_number=None)
    assert from_inspector(no_cert).certificate_valid_until is None


def test_candidates_in_any_order_each_once() -> None:
    cands = [officer(f"P{i}") for i in range(6)]
    order = subjects(*(f"S{i}" for i in range(5)))
    assert match(KEYS[0], order, cands[::-1], rules()) == match(KEYS[0], order, cands, rules())
    with pytest.raises(ValueError, match="twice"):
        match(KEYS[0], [], [officer("P1"), officer("P1")], rules())


# Replacement.
def _drawn(
    cands: list[InspectorCandidate], task: TaskRules, key: str = KEYS[0]
) -> tuple[Matcher, Assignment]:
    m = Matcher(key, cands, task)
    a = m.match(SubjectRecord(key="S1"))
    assert isinstance(a, Assignment)
    return m, a


def test_replacement_is_deterministic_and_follows_the_protocol() -> None:
    cands = [officer(f"P{i}") for i in range(8)]
    m1, a = _drawn(cands, rules())
    m2, _ = _drawn(cands, rules())
    out = a.officers[1]
    r1, t1 = m1.replace(SubjectRecord(key="S1"), a, out, "生病", counter=1)
    r2, _ = m2.replace(SubjectRecord(key="S1"), a, out, "生病", counter=1)
    assert r1 == r2
    pool = [s for s in (f"P{i}" for i in range(8)) if s not in a.officers]
    kx = (KEYS[0] + "match:S1./1./").encode()
    assert r1.replacement == pool[pick_index(kx, 0, len(pool))]
    assert t1.officers == (a.officers[0], r1.replacement) and t1.lead == a.lead
    # The next replacement uses counter 2 and never brings back who fell out.
    assert r1.replacement is not None
    r3, t3 = m1.replace(
        SubjectRecord(key="S1"), t1, r1.replacement, "回避", counter=2, replaced_before=[out]
    )
    pool3 = [s for s in pool if s not in (r1.replacement, out)]
    kx2 = (KEYS[0] + "match:S1./2./").encode()
    assert r3.replacement == pool3[pick_index(kx2, 0, len(pool3))]
    assert out not in team(t3) and len(set(team(t3))) == 2


def test_replacing_the_lead_passes_the_role() -> None:
    m, a = _drawn([officer(f"P{i}") for i in range(5)], rules())
    assert a.lead is not None
    r, t = m.replace(SubjectRecord(key="S1"), a, a.lead, "调离", counter=1)
    assert t.lead == r.replacement == t.officers[0]


def test_replacement_keeps_department_coverage() -> None:
    task = rules(departments=("SCJG", "STHJ"))
    cands = [
        officer("P1"),
        officer("P2"),
        officer("P3"),
        officer("Q1", "STHJ"),
        officer("Q2", "STHJ"),
    ]
    for key in KEYS:
        m, a = _drawn(cands, task, key)
        q = next(s for s in a.officers if s.startswith("Q"))
        r, t = m.replace(SubjectRecord(key="S1"), a, q, "生病", counter=1)
        assert r.replacement == ({"Q1", "Q2"} - {q}).pop()
        r2, t2 = m.replace(
            SubjectRecord(key="S1"), t, str(r.replacement), "生病", counter=2, replaced_before=[q]
        )
        assert r2.replacement is None and r2.unmatched is not None
        assert r2.unmatched.reason is UnmatchedReason.NO_OFFICER_FROM_DEPARTMENT
        assert r2.unmatched.department == "STHJ"
        assert r2.unmatched.excluded["REPLACED"] == 2
        assert len(t2.officers) == 1


def test_replacement_respects_the_workload_cap() -> None:
    cands = [officer(f"P{i}") for i in range(5)]
    m = Matcher(KEYS[0], cands, rules(workload_cap=1))
    a = m.match(SubjectRecord(key="S1"))
    b = m.match(SubjectRecord(key="S2"))
    assert isinstance(a, Assignment) and isinstance(b, Assignment)
    free = ({f"P{i}" for i in range(5)} - set(team(a)) - set(team(b))).pop()
    r, _ = m.replace(SubjectRecord(key="S1"), a, a.officers[0], "生病", counter=1)
    assert r.replacement == free
    # Now everyone is at the cap except the one who fell out, who may not return to S1.
    r2, _ = m.replace(SubjectRecord(key="S2"), b, b.officers[0], "生病", counter=1)
    assert r2.replacement == a.officers[0]


def test_replacement_refuses_bad_requests() -> None:
    m, a = _drawn([officer(f"P{i}") for i in range(4)], rules())
    s1 = SubjectRecord(key="S1")
    outsider = ({"P0", "P1", "P2", "P3"} - set(a.officers)).pop()
    with pytest.raises(ValueError, match="not in the team"):
        m.replace(s1, a, outsider, "生病", counter=1)
    with pytest.raises(ValueError, match="counter"):
        m.replace(s1, a, a.officers[0], "生病", counter=0)
    with pytest.raises(ValueError, match="reason"):
        m.replace(s1, a, a.officers[0], " ", counter=1)


# The Fenwick matcher against the protocol read plainly.
def naive_match(
    key: str, order: Sequence[SubjectRecord], cands: Sequence[InspectorCandidate], task: TaskRules
) -> tuple[list[Assignment], list[Unmatched]]:
    eligible = {c.staff_id: c for c in cands if ineligibility(c, task) is None}
    assigned: dict[str, int] = {}
    done: list[Assignment] = []
    failed: list[Unmatched] = []

    def why(s: str, x: SubjectRecord, picked: list[str]) -> str | None:
        c = eligible[s]
        if s in picked:
            return "IN_TEAM"
        if x.key in c.conflicts:
            return "CONFLICT"
        if s in x.previous_inspectors:
            return "ROTATION"
        if task.workload_cap is not None and c.load + assigned.get(s, 0) >= task.workload_cap:
            return "WORKLOAD_CAP"
        return None

    for x in order:
        kx = matching_key(key, x.key, 0).encode()
        j = 0
        officers: list[str] = []
        experts: list[str] = []
        fail: Unmatched | None = None
        phases: list[tuple[UnmatchedReason, str | None, int, list[str], list[str]]] = []
        for d in task.departments:
            phases.append(
                (
                    UnmatchedReason.NO_OFFICER_FROM_DEPARTMENT,
                    d,
                    1,
                    [
                        s
                        for s in sorted(eligible)
                        if is_officer(eligible[s]) and eligible[s].department == d
                    ],
                    officers,
                )
            )
        for _ in range(task.officers_per_subject - len(task.departments)):
            phases.append(
                (
                    UnmatchedReason.NOT_ENOUGH_OFFICERS,
                    None,
                    task.officers_per_subject,
                    [s for s in sorted(eligible) if is_officer(eligible[s])],
                    officers,
                )
            )
        for _ in range(task.experts_per_subject):
            phases.append(
                (
                    UnmatchedReason.NOT_ENOUGH_EXPERTS,
                    None,
                    task.experts_per_subject,
                    [s for s in sorted(eligible) if not is_officer(eligible[s])],
                    experts,
                )
            )
        for reason, dept, needed, static, into in phases:
            picked = officers + experts
            pool = [s for s in static if why(s, x, picked) is None]
            if not pool:
                counts = {e.value: 0 for e in Excluded}
                for s in static:
                    counts[str(why(s, x, picked))] += 1
                fail = Unmatched(
                    subject=x.key,
                    reason=reason,
                    department=dept,
                    needed=needed,
                    found=0 if dept else len(into),
                    eligible=len(static),
                    excluded=counts,
                )
                break
            into.append(pool[pick_index(kx, j, len(pool))])
            j += 1
        if fail is not None:
            failed.append(fail)
            continue
        for s in officers + experts:
            assigned[s] = assigned.get(s, 0) + 1
        done.append(
            Assignment(
                subject=x.key, lead=officers[0], officers=tuple(officers), experts=tuple(experts)
            )
        )
    return done, failed


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[InspectorCandidate], TaskRules, list[SubjectRecord]]:
    depts = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=3, unique=True))
    keys = [f"S{i}" for i in range(draw(st.integers(0, 12)))]
    cands = []
    for i in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(list(InspectorKind)))
        cands.append(
            officer(
                f"P{i:02d}",
                draw(st.sampled_from(["A", "B", "C"])),
                kind=kind,
                status=draw(
                    st.sampled_from([InspectorStatus.ACTIVE] * 4 + [InspectorStatus.ON_LEAVE])
                ),
                certificate_valid_until=draw(
                    st.sampled_from([END, END - timedelta(days=1), date(2030, 1, 1)])
                ),
                expertise=tuple(draw(st.lists(st.sampled_from(["FOOD", "LAB"]), max_size=2))),
                conflicts=tuple(draw(st.lists(st.sampled_from(keys), max_size=3))) if keys else (),
                load=draw(st.integers(0, 2)),
            )
        )
    task = TaskRules(
        departments=tuple(depts),
        start=START,
        end=END,
        officers_per_subject=draw(st.integers(max(2, len(depts)), len(depts) + 2)),
        experts_per_subject=draw(st.integers(0, 2)),
        required_expertise={d: ("FOOD",) for d in depts if draw(st.booleans())},
        expert_expertise=("LAB",) if draw(st.booleans()) else (),
        workload_cap=draw(st.sampled_from([None, 1, 2, 3, 5])),
    )
    staff = [c.staff_id for c in cands]
    order = [
        SubjectRecord(
            key=k,
            previous_inspectors=tuple(draw(st.lists(st.sampled_from(staff), max_size=3)))
            if staff
            else (),
        )
        for k in keys
    ]
    return cands, task, order


@settings(max_examples=300, deadline=None)
@given(scenario=scenarios(), n=st.integers(0, 1000))
def test_fenwick_matcher_equals_the_plain_reading(
    scenario: tuple[list[InspectorCandidate], TaskRules, list[SubjectRecord]], n: int
) -> None:
    cands, task, order = scenario
    key = key_string([[n]])
    r = match(key, order, cands, task)
    done, failed = naive_match(key, order, cands, task)
    assert r.assignments == done
    assert r.unmatched == failed
