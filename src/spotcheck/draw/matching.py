# Over 500 lines: one protocol (docs/draw-protocol.md) read against its contract in one place.
"""第二个随机: matching inspectors to the drawn subjects, from the draw's key string.

docs/draw-protocol.md ("Matching inspectors") is the contract; in short:

Eligible for the task (static, checked once per candidate, first failing rule recorded):
  在岗 ``status`` is ACTIVE (INACTIVE) · belongs to a participating department
  (OTHER_DEPARTMENT) · unless an expert (专家), holds an enforcement certificate valid on every
  day from the task's start to its end, both inclusive (CERTIFICATE) · holds every expertise
  code the task requires of its role: an officer every code of ``required_expertise[its
  department]``, an expert every code of ``expert_expertise`` (EXPERTISE) · experts only when
  the task asks for experts (EXPERT_NOT_NEEDED).
Excluded for one subject at the moment of a pick (first reason counted):
  already in the team (IN_TEAM) · replaced out of this inspection before (REPLACED) · declared
  a conflict of interest (回避) with the subject (CONFLICT) · was on the subject's previous
  inspection (ROTATION, 轮换) · ``load`` + inspections assigned in this draw >= the task's
  workload cap (WORKLOAD_CAP).

Officers are ENFORCEMENT_OFFICER and SUPERVISION_STAFF; experts (EXPERT) assist and never count
towards ``officers_per_subject`` (default and floor 2, and at least one per participating
department).

Subjects are matched one at a time in draw order.  Subject ``x`` uses the key string
``K ‖ "match:" x "./" ‖ "0./"`` and one pick counter ``j = 0, 1, 2, …`` across its phases; each
pick takes ``H(C(j) ‖ key ‖ C(j)) mod |P|`` as a 0-based index into the pool ``P`` of the
phase's eligible, not excluded candidates sorted by staff id (code point order):
  1. for each participating department in the task's order (the lead department, 牵头部门,
     first): one officer of that department;
  2. until the team has ``officers_per_subject`` officers: one officer of any participating
     department;
  3. ``experts_per_subject`` experts.
The first officer picked is the lead (主检).  A phase whose pool is empty leaves the subject
unmatched, with the reason and counts, and assigns nobody.  After a subject is matched, its team
members' workload grows by one.

Replacement ``c`` (1, 2, … per inspection) of a team member uses the key string
``K ‖ "match:" x "./" ‖ c "./"`` and one pick ``j = 0`` from the pool of the replaced member's
role: an expert from the experts; an officer from the officers of the same department if the
replaced officer was the team's only officer of that department, else from the officers of every
participating department.  The replacement takes the replaced member's place (and the lead's
role, if the lead was replaced).

Pools are Fenwick trees (:class:`~spotcheck.draw.rfc3797.Remaining`) over the sorted eligible
lists, holding who is drawable (everyone eligible but those at the workload cap).  A subject's
own exclusions (its team so far, conflicts, rotation) never touch the trees: a pick of index
``i`` skips them by rank (the i-th drawable, pushed on by the excluded at or before it), so
matching ``N`` subjects from ``m`` inspectors costs O(m log m + N·(t + e)² log m) for teams of
``t`` and ``e`` exclusions per subject (a few each), not O(N·m); with nobody at a cap a pick
needs no tree at all.  The hash state of ``C(j) ‖ K ‖ "match:"`` is made once per counter and
copied per subject.
"""

from __future__ import annotations

import enum
import hashlib
from bisect import bisect_right
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import msgspec
from msgspec.structs import force_setattr

from spotcheck.draw.rfc3797 import (
    HashMode,
    Remaining,
    counter_bytes,
    extend_key,
    is_text,
    pick_index,
)

_COUNTERS = [counter_bytes(j) for j in range(64)]
"""``C(j)`` of the first pick counters, made once."""
OFFICER_FLOOR = 2
"""At least two officers (执法人员) per subject."""


class InspectorKind(enum.Enum):
    """人员类别 Kind of inspector."""

    ENFORCEMENT_OFFICER = "ENFORCEMENT_OFFICER"
    """执法人员: enforcement officer; holds an enforcement certificate (执法证)."""
    SUPERVISION_STAFF = "SUPERVISION_STAFF"
    """日常监管人员: daily-supervision staff."""
    EXPERT = "EXPERT"
    """专家: an expert who assists; never counts towards a minimum number of inspectors."""


class InspectorStatus(enum.Enum):
    """在岗状态 Whether the inspector can be drawn."""

    ACTIVE = "ACTIVE"
    """在岗: on duty; may be drawn."""
    ON_LEAVE = "ON_LEAVE"
    """休假: on leave."""
    SUSPENDED = "SUSPENDED"
    """暂停执法: enforcement suspended."""
    RETIRED = "RETIRED"
    """退休/离岗: retired or left the post."""


class Ineligible(enum.Enum):
    """Why a candidate can be drawn for no subject of the task."""

    INACTIVE = "INACTIVE"
    """Not 在岗 (on leave, suspended, retired)."""
    OTHER_DEPARTMENT = "OTHER_DEPARTMENT"
    """Not of a participating department."""
    CERTIFICATE = "CERTIFICATE"
    """No enforcement certificate (执法证) valid over the whole task."""
    EXPERTISE = "EXPERTISE"
    """Lacks an expertise the task's items need."""
    EXPERT_NOT_NEEDED = "EXPERT_NOT_NEEDED"
    """An expert, and the task asks for none."""


class Excluded(enum.Enum):
    """Why an eligible candidate cannot be drawn for one subject."""

    IN_TEAM = "IN_TEAM"
    """Already in this subject's team: nobody twice in one team."""
    REPLACED = "REPLACED"
    """Replaced out of this inspection before."""
    CONFLICT = "CONFLICT"
    """Declared a conflict of interest (回避) with the subject."""
    ROTATION = "ROTATION"
    """Was on the subject's previous inspection (轮换)."""
    WORKLOAD_CAP = "WORKLOAD_CAP"
    """At the task's workload cap."""


class UnmatchedReason(enum.Enum):
    """Why a subject got no team (or a replacement found nobody)."""

    NO_OFFICER_FROM_DEPARTMENT = "NO_OFFICER_FROM_DEPARTMENT"
    """No eligible officer of a participating department is left."""
    NOT_ENOUGH_OFFICERS = "NOT_ENOUGH_OFFICERS"
    """Fewer eligible officers than the task needs per subject."""
    NOT_ENOUGH_EXPERTS = "NOT_ENOUGH_EXPERTS"
    """Fewer eligible experts than the task needs per subject."""


def _sorted_unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))


class InspectorCandidate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What matching knows of an inspector: staff id, never a name or phone (no persona data).

    ``expertise`` and ``conflicts`` are kept sorted and unique.
    """

    staff_id: str
    department: str
    kind: InspectorKind
    status: InspectorStatus
    certificate_valid_from: date | None = None
    certificate_valid_until: date | None = None
    expertise: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()
    """Subject keys with a declared conflict of interest (回避)."""
    load: int = 0
    """Inspections already held at the committed ledger position (for the workload cap)."""

    def __post_init__(self) -> None:
        force_setattr(self, "expertise", _sorted_unique(self.expertise))
        force_setattr(self, "conflicts", _sorted_unique(self.conflicts))


class SubjectRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A drawn subject as matching sees it."""

    key: str
    previous_inspectors: tuple[str, ...] = ()
    """Staff ids on the subject's previous inspection (轮换: none of them again)."""


class TaskRules(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The task's inspector rules."""

    departments: tuple[str, ...]
    """Participating departments, the lead department (牵头部门) first."""
    start: date
    end: date
    officers_per_subject: int = OFFICER_FLOOR
    experts_per_subject: int = 0
    required_expertise: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    """Department → expertise codes every officer of that department must hold."""
    expert_expertise: tuple[str, ...] = ()
    """Expertise codes every expert must hold."""
    workload_cap: int | None = None
    """At most this many inspections per inspector, counting ``load``; None: no cap."""

    def __post_init__(self) -> None:
        force_setattr(
            self,
            "required_expertise",
            {d: _sorted_unique(v) for d, v in sorted(self.required_expertise.items())},
        )
        force_setattr(self, "expert_expertise", _sorted_unique(self.expert_expertise))


def rules_problems(rules: TaskRules, where: str = "rules") -> list[str]:
    """Why ``rules`` cannot be matched with (empty list: they can)."""
    p: list[str] = []
    if not rules.departments:
        p.append(f"{where}.departments: at least one participating department")
    if len(set(rules.departments)) != len(rules.departments):
        p.append(f"{where}.departments: a department is named twice")
    floor = max(OFFICER_FLOOR, len(rules.departments))
    if rules.officers_per_subject < floor:
        p.append(
            f"{where}.officers_per_subject: {rules.officers_per_subject} is below the floor "
            f"{floor} (at least {OFFICER_FLOOR}, and one per participating department)"
        )
    if rules.experts_per_subject < 0:
        p.append(f"{where}.experts_per_subject: must be >= 0")
    if rules.end < rules.start:
        p.append(f"{where}.end: the task ends before it starts")
    if rules.workload_cap is not None and rules.workload_cap < 1:
        p.append(f"{where}.workload_cap: must be >= 1")
    for d in rules.required_expertise:
        if d not in rules.departments:
            p.append(f"{where}.required_expertise: {d!r} is not a participating department")
    return p


def candidates_problems(
    candidates: Sequence[InspectorCandidate], where: str = "candidates"
) -> list[str]:
    """Each staff id once."""
    ids = [c.staff_id for c in candidates]
    if len(set(ids)) != len(ids):
        return [f"{where}: a staff id is listed twice"]
    return []


def canonical_candidates(candidates: Iterable[InspectorCandidate]) -> list[InspectorCandidate]:
    """Candidates in canonical order: ascending staff id (code point order)."""
    return sorted(candidates, key=lambda c: c.staff_id)


def is_officer(c: InspectorCandidate) -> bool:
    """Counts towards officers per subject: everyone but experts (专家)."""
    return c.kind is not InspectorKind.EXPERT


def ineligibility(c: InspectorCandidate, rules: TaskRules) -> Ineligible | None:
    """The first static rule ``c`` fails for the task, or None if eligible."""
    if c.status is not InspectorStatus.ACTIVE:
        return Ineligible.INACTIVE
    if c.department not in rules.departments:
        return Ineligible.OTHER_DEPARTMENT
    if is_officer(c):
        if (
            c.certificate_valid_from is None
            or c.certificate_valid_until is None
            or not c.certificate_valid_from <= rules.start
            or not rules.end <= c.certificate_valid_until
        ):
            return Ineligible.CERTIFICATE
        needed = rules.required_expertise.get(c.department, ())
    else:
        if rules.experts_per_subject == 0:
            return Ineligible.EXPERT_NOT_NEEDED
        needed = rules.expert_expertise
    if not set(needed) <= set(c.expertise):
        return Ineligible.EXPERTISE
    return None


def matching_key(key: str, subject_key: str, counter: int) -> str:
    """``K ‖ "match:" subject "./" ‖ counter "./"``: counter 0 draws the team, c >= 1 the
    c-th replacement."""
    return extend_key(key, f"match:{subject_key}", [counter])


class Assignment(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One subject's team: one inspection, every participating department's items."""

    subject: str
    lead: str | None
    """主检: the first officer picked (None only if replacements emptied the team)."""
    officers: tuple[str, ...]
    """In pick order, the lead first."""
    experts: tuple[str, ...] = ()


class Unmatched(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A subject (or replacement) for whom no eligible inspector remained."""

    subject: str
    reason: UnmatchedReason
    department: str | None
    """The department without an officer (NO_OFFICER_FROM_DEPARTMENT), else None."""
    needed: int
    found: int
    """Picked before the pool ran empty (or left in the team, for a replacement)."""
    eligible: int
    """Candidates of the empty pool who are eligible for the task."""
    excluded: dict[str, int]
    """How many of those were excluded for this subject, by :class:`Excluded` name."""


class MatchResult(msgspec.Struct, frozen=True, kw_only=True):
    assignments: list[Assignment]
    unmatched: list[Unmatched]
    ineligible: dict[str, Ineligible]
    """Staff id → why that candidate is eligible for no subject of the task."""


class Replacement(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One replaceInspector: who fell out, why, and who the draw put in."""

    subject: str
    counter: int
    replaced: str
    reason: str
    replacement: str | None
    unmatched: Unmatched | None = None
    """Why nobody could replace them (then ``replacement`` is None)."""


class _Pool:
    """A sorted list of staff ids with its Fenwick tree of who is still drawable (everyone
    eligible but those at the workload cap).  A subject's own exclusions (its team so far,
    conflicts, rotation) are not taken out of the tree: a pick skips them
    (:meth:`nth_skipping`), which leaves the tree untouched for the next subject."""

    __slots__ = ("ids", "position", "tree")

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.position = {s: i for i, s in enumerate(ids)}
        self.tree = Remaining(len(ids))

    def remove(self, staff_id: str) -> bool:
        return self.tree.remove(self.position[staff_id])

    def restore(self, staff_id: str) -> None:
        self.tree.restore(self.position[staff_id])

    def nth_skipping(self, index: int, skip: list[int]) -> int:
        """The position of the ``index``-th drawable entry that is not in ``skip`` (sorted
        positions of drawable entries)."""
        tree = self.tree
        whole = tree.count == len(self.ids)  # nobody at the cap: the i-th drawable is i
        position = index if whole else tree.find(index)
        if not skip:
            return position
        # Skipped entries at or before the candidate push it on; at most len(skip) rounds.
        before = 0
        while True:
            now = bisect_right(skip, position)
            if now == before:
                return position
            before = now
            position = index + now if whole else tree.find(index + now)


class PickStep(msgspec.Struct, frozen=True, kw_only=True):
    """One pick of the matching, as the public transcript shows it: counter ``j``, the size of
    the pool it was made from, the index ``H(C(j) ‖ key ‖ C(j)) mod pool`` and who it gave."""

    j: int
    pool: int
    index: int
    pick: str


def _excluded_counts(
    pool_members: Iterable[str],
    *,
    team: Collection[str],
    replaced: Collection[str],
    conflicts: Collection[str],
    previous: Collection[str],
    capped: Collection[str],
) -> dict[str, int]:
    counts = {e.value: 0 for e in Excluded}
    for s in pool_members:
        if s in team:
            counts[Excluded.IN_TEAM.value] += 1
        elif s in replaced:
            counts[Excluded.REPLACED.value] += 1
        elif s in conflicts:
            counts[Excluded.CONFLICT.value] += 1
        elif s in previous:
            counts[Excluded.ROTATION.value] += 1
        elif s in capped:
            counts[Excluded.WORKLOAD_CAP.value] += 1
    return counts


class Matcher:
    """Matching state of one task: the eligible pools and everyone's workload so far."""

    def __init__(
        self,
        key: str,
        candidates: Sequence[InspectorCandidate],
        rules: TaskRules,
        mode: HashMode = HashMode.SHA256,
    ) -> None:
        problems = rules_problems(rules) + candidates_problems(candidates)
        if problems:
            raise ValueError("; ".join(problems))
        self.key, self.rules, self.mode = key, rules, mode
        self._hasher = hashlib.sha256 if mode is HashMode.SHA256 else hashlib.md5
        self._prefix = (key + "match:").encode("utf-8")
        self._states: list[Any] = []
        """Per pick counter j, the hash state that has absorbed ``C(j) ‖ K ‖ "match:"``."""
        self.by_id = {c.staff_id: c for c in candidates}
        self.ineligible: dict[str, Ineligible] = {}
        dept_ids: dict[str, list[str]] = {d: [] for d in rules.departments}
        officer_ids: list[str] = []
        expert_ids: list[str] = []
        self.conflicts_of: dict[str, list[str]] = {}
        for c in canonical_candidates(candidates):  # so every list below is sorted
            why = ineligibility(c, rules)
            if why is not None:
                self.ineligible[c.staff_id] = why
                continue
            if is_officer(c):
                dept_ids[c.department].append(c.staff_id)
                officer_ids.append(c.staff_id)
            else:
                expert_ids.append(c.staff_id)
            for subject in c.conflicts:
                self.conflicts_of.setdefault(subject, []).append(c.staff_id)
        self.departments = {d: _Pool(ids) for d, ids in dept_ids.items()}
        self.officers = _Pool(officer_ids)
        self.experts = _Pool(expert_ids)
        self.assigned: dict[str, int] = {}
        self.capped: set[str] = set()
        self.trace: list[PickStep] | None = None
        """When a list, every pick of :meth:`match` and :meth:`replace` is appended to it."""
        for s in officer_ids + expert_ids:
            if self._at_cap(s):
                self._withdraw(s)
                self.capped.add(s)

    # Pools
    def _eligible(self, staff_id: str) -> bool:
        return staff_id in self.by_id and staff_id not in self.ineligible

    def _withdraw(self, staff_id: str) -> bool:
        """Take an eligible candidate out of their pools; False if already out."""
        c = self.by_id[staff_id]
        if is_officer(c):
            self.departments[c.department].remove(staff_id)
            return self.officers.remove(staff_id)
        return self.experts.remove(staff_id)

    def _put_back(self, staff_id: str) -> None:
        c = self.by_id[staff_id]
        if is_officer(c):
            self.departments[c.department].restore(staff_id)
            self.officers.restore(staff_id)
        else:
            self.experts.restore(staff_id)

    def _at_cap(self, staff_id: str) -> bool:
        cap = self.rules.workload_cap
        load = self.by_id[staff_id].load + self.assigned.get(staff_id, 0)
        return cap is not None and load >= cap

    def _count(self, staff_id: str, delta: int) -> None:
        self.assigned[staff_id] = self.assigned.get(staff_id, 0) + delta
        capped = self._at_cap(staff_id)
        if capped and staff_id not in self.capped:
            self.capped.add(staff_id)
            self._withdraw(staff_id)
        elif not capped and staff_id in self.capped:
            self.capped.discard(staff_id)
            self._put_back(staff_id)

    def _unmatched(
        self,
        subject: SubjectRecord,
        reason: UnmatchedReason,
        department: str | None,
        needed: int,
        found: int,
        pool: _Pool,
        team: Collection[str],
        replaced: Collection[str] = (),
    ) -> Unmatched:
        # The pool is empty: every member is excluded for one of the reasons, so counting
        # the small sets is enough; whoever is left is at the workload cap.
        members = pool.position
        small = {
            s
            for s in (
                *team,
                *replaced,
                *self.conflicts_of.get(subject.key, ()),
                *subject.previous_inspectors,
            )
            if s in members
        }
        counts = _excluded_counts(
            sorted(small),
            team=team,
            replaced=replaced,
            conflicts=self.conflicts_of.get(subject.key, ()),
            previous=subject.previous_inspectors,
            capped=(),
        )
        counts[Excluded.WORKLOAD_CAP.value] = len(members) - len(small)
        return Unmatched(
            subject=subject.key,
            reason=reason,
            department=department,
            needed=needed,
            found=found,
            eligible=len(members),
            excluded=counts,
        )

    # Matching
    def _pick(self, pool: _Pool, excluded: list[str], tail: bytes, j: int) -> str | None:
        """Pick ``j`` of a subject's team from ``pool`` without ``excluded`` (drawable staff
        ids), or None if nobody is left.  ``tail`` is ``x "./0./"``: the hash state that has
        absorbed ``C(j) ‖ K ‖ "match:"`` is made once per counter and copied per subject."""
        position = pool.position
        if not excluded:
            skip = []
        elif len(excluded) == 1:
            p = position.get(excluded[0])
            skip = [] if p is None else [p]
        else:
            skip = sorted(position[s] for s in excluded if s in position)
        size = pool.tree.count - len(skip)
        if not size:
            return None
        states = self._states
        while len(states) <= j:
            states.append(self._hasher(counter_bytes(len(states)) + self._prefix))
        h = states[j].copy()
        h.update(tail + (_COUNTERS[j] if j < len(_COUNTERS) else counter_bytes(j)))
        index = int.from_bytes(h.digest(), "big") % size
        staff_id = pool.ids[pool.nth_skipping(index, skip)]
        if self.trace is not None:
            self.trace.append(PickStep(j=j, pool=size, index=index, pick=staff_id))
        return staff_id

    def match(self, subject: SubjectRecord) -> Assignment | Unmatched:
        """Draw one subject's team (counter 0) and count its workload."""
        rules, x = self.rules, subject.key
        if not is_text(x):
            matching_key(self.key, x, 0)  # raises KeyStringError, saying why
        tail = x.encode("utf-8") + b"./0./"
        # Excluded for this subject: drawable candidates in conflict or on its previous
        # inspection, then everyone picked; each pick skips them in its pool.
        excluded: list[str] = []
        conflicts = self.conflicts_of.get(x, ())
        if conflicts or subject.previous_inspectors:
            excluded = [
                s
                for s in dict.fromkeys((*conflicts, *subject.previous_inspectors))
                if self._eligible(s) and s not in self.capped
            ]
        officers: list[str] = []
        experts: list[str] = []
        j = 0
        for d in rules.departments:
            pool = self.departments[d]
            s = self._pick(pool, excluded, tail, j)
            if s is None:
                return self._unmatched(
                    subject, UnmatchedReason.NO_OFFICER_FROM_DEPARTMENT, d, 1, 0, pool, officers
                )
            j += 1
            excluded.append(s)
            officers.append(s)
        while len(officers) < rules.officers_per_subject:
            s = self._pick(self.officers, excluded, tail, j)
            if s is None:
                return self._unmatched(
                    subject,
                    UnmatchedReason.NOT_ENOUGH_OFFICERS,
                    None,
                    rules.officers_per_subject,
                    len(officers),
                    self.officers,
                    officers,
                )
            j += 1
            excluded.append(s)
            officers.append(s)
        while len(experts) < rules.experts_per_subject:
            s = self._pick(self.experts, excluded, tail, j)
            if s is None:
                return self._unmatched(
                    subject,
                    UnmatchedReason.NOT_ENOUGH_EXPERTS,
                    None,
                    rules.experts_per_subject,
                    len(experts),
                    self.experts,
                    experts,
                )
            j += 1
            excluded.append(s)
            experts.append(s)
        team = (*officers, *experts)
        if rules.workload_cap is None:  # nobody reaches a cap: just count
            assigned = self.assigned
            for s in team:
                assigned[s] = assigned.get(s, 0) + 1
        else:
            for s in team:
                self._count(s, 1)
        return Assignment(
            subject=x, lead=officers[0], officers=tuple(officers), experts=tuple(experts)
        )

    def match_all(self, subjects: Iterable[SubjectRecord]) -> MatchResult:
        assignments: list[Assignment] = []
        unmatched: list[Unmatched] = []
        for subject in subjects:
            r = self.match(subject)
            if isinstance(r, Assignment):
                assignments.append(r)
            else:
                unmatched.append(r)
        return MatchResult(
            assignments=assignments,
            unmatched=unmatched,
            ineligible=dict(sorted(self.ineligible.items())),
        )

    def set_workload(self, counts: Mapping[str, int]) -> None:
        """Start from these inspections per staff id (a fresh matcher, to replace after a
        reload: the teams as they stand, every earlier replacement applied)."""
        if self.assigned:
            raise ValueError("set_workload needs a fresh matcher")
        for s, n in sorted(counts.items()):
            if n and self._eligible(s):
                self._count(s, n)

    # Replacement
    def replace(
        self,
        subject: SubjectRecord,
        team: Assignment,
        staff_id: str,
        reason: str,
        *,
        counter: int,
        replaced_before: Collection[str] = (),
    ) -> tuple[Replacement, Assignment]:
        """replaceInspector: draw who takes ``staff_id``'s place in ``team`` (one pick with
        ``counter``), update the workload, and return the record and the new team.

        Raises ValueError if ``staff_id`` is not in the team or the counter is not >= 1.
        """
        if counter < 1:
            raise ValueError("replacement counters start at 1")
        if not reason.strip():
            raise ValueError("a replacement needs a reason")
        if staff_id in team.officers:
            role_officer = True
        elif staff_id in team.experts:
            role_officer = False
        else:
            raise ValueError(f"{staff_id!r} is not in the team of {subject.key!r}")
        rules = self.rules
        members = (*team.officers, *team.experts)
        replaced = {*replaced_before, staff_id}
        department: str | None = None
        if role_officer:
            c = self.by_id.get(staff_id)
            dept = c.department if c is not None else None
            same = [
                s
                for s in team.officers
                if s != staff_id and s in self.by_id and self.by_id[s].department == dept
            ]
            if dept in self.departments and not same:
                pool, department = self.departments[dept], dept
            else:
                pool = self.officers
        else:
            pool = self.experts
        excluded = (
            set(members)
            | replaced
            | set(self.conflicts_of.get(subject.key, ()))
            | set(subject.previous_inspectors)
        )
        candidates = [s for s in pool.ids if s not in excluded and s not in self.capped]
        key = matching_key(self.key, subject.key, counter).encode("utf-8")
        unmatched: Unmatched | None = None
        new: str | None = None
        if candidates:
            index = pick_index(key, 0, len(candidates), self.mode)
            new = candidates[index]
            if self.trace is not None:
                self.trace.append(PickStep(j=0, pool=len(candidates), index=index, pick=new))
        else:
            if department is not None:
                why, needed, found = UnmatchedReason.NO_OFFICER_FROM_DEPARTMENT, 1, 0
            elif role_officer:
                why = UnmatchedReason.NOT_ENOUGH_OFFICERS
                needed, found = rules.officers_per_subject, len(team.officers) - 1
            else:
                why = UnmatchedReason.NOT_ENOUGH_EXPERTS
                needed, found = rules.experts_per_subject, len(team.experts) - 1
            unmatched = Unmatched(
                subject=subject.key,
                reason=why,
                department=department,
                needed=needed,
                found=found,
                eligible=len(pool.ids),
                excluded=_excluded_counts(
                    pool.ids,
                    team=[s for s in members if s != staff_id],
                    replaced=replaced,
                    conflicts=set(self.conflicts_of.get(subject.key, ())),
                    previous=set(subject.previous_inspectors),
                    capped=self.capped,
                ),
            )

        if self._eligible(staff_id):
            self._count(staff_id, -1)
        if new is not None:
            self._count(new, 1)
        record = Replacement(
            subject=subject.key,
            counter=counter,
            replaced=staff_id,
            reason=reason,
            replacement=new,
            unmatched=unmatched,
        )
        return record, apply_replacement(team, record)


def apply_replacement(team: Assignment, record: Replacement) -> Assignment:
    """The team after ``record``: the replacement takes the replaced member's place (and the
    lead's role); without a replacement the member just leaves, and the lead passes to the
    first officer left."""
    out, new = record.replaced, record.replacement

    def swap(ids: tuple[str, ...]) -> tuple[str, ...]:
        if new is None:
            return tuple(s for s in ids if s != out)
        return tuple(new if s == out else s for s in ids)

    if out in team.officers:
        officers, experts = swap(team.officers), team.experts
    elif out in team.experts:
        officers, experts = team.officers, swap(team.experts)
    else:
        raise ValueError(f"{out!r} is not in the team of {team.subject!r}")
    lead = team.lead
    if lead == out:
        lead = new if new is not None else (officers[0] if officers else None)
    return Assignment(subject=team.subject, lead=lead, officers=officers, experts=experts)


def match(
    key: str,
    subjects: Iterable[SubjectRecord],
    candidates: Sequence[InspectorCandidate],
    rules: TaskRules,
    mode: HashMode = HashMode.SHA256,
) -> MatchResult:
    """Match every subject, in the order given (the draw order)."""
    return Matcher(key, candidates, rules, mode).match_all(subjects)


def workload(teams: Iterable[Assignment]) -> dict[str, int]:
    """Inspections per staff id over ``teams``."""
    counts: dict[str, int] = {}
    for t in teams:
        for s in (*t.officers, *t.experts):
            counts[s] = counts.get(s, 0) + 1
    return counts
