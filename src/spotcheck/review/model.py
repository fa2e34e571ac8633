"""What a duty-list review (履职清单审查) returns: a verdict per duty, and the events proving it.

尽职照单免责、失职照单问责: an inspector or department that did everything on the list is exempt,
one that did not is accountable.  Every verdict cites ledger positions, so a reviewer can check
it against the log itself (and, offline, against a signed checkpoint).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import msgspec


class Verdict(enum.Enum):
    """审查结论 A duty's verdict."""

    FULFILLED = "FULFILLED"
    """已履职 Done as the rules require."""
    BREACHED = "BREACHED"
    """未履职 Not done, done late, or done by someone not entitled to."""
    NOT_APPLICABLE = "NOT_APPLICABLE"
    """不适用 The duty did not arise (not drawn, not yet due, no follow-up ordered)."""


class DutyKind(enum.Enum):
    """履职事项 The duties a review checks, in the order of the work."""

    IN_POPULATION = "IN_POPULATION"
    """纳入抽查范围 The subject was in the population of each draw whose scope it matched, and that
    draw verifies."""
    SELECTION = "SELECTION"
    """随机抽取 Selection by the verifiable draw (or, for a case, the direct assignment)."""
    ASSIGNMENT = "ASSIGNMENT"
    """随机匹配 The team was matched (or assigned) by the rules."""
    CHECKLIST = "CHECKLIST"
    """照单检查 Every check point of every item done (or not applicable, with why)."""
    RESULTS_ENTRY = "RESULTS_ENTRY"
    """谁检查、谁录入 Results entered by an inspector assigned to the inspection."""
    PUBLICATION = "PUBLICATION"
    """按期公示 Published within the deadline (working days after the task was complete)."""
    FOLLOW_UP = "FOLLOW_UP"
    """后续处置 Follow-ups done on time (re-checks of ordered corrections, transfers recorded)."""
    OBJECTION_ANSWER = "OBJECTION_ANSWER"
    """异议按期答复 Each objection to a published result answered within its working days."""


DUTY_TITLES: dict[DutyKind, str] = {
    DutyKind.IN_POPULATION: "纳入抽查对象范围且抽取可验证",
    DutyKind.SELECTION: "随机抽取",
    DutyKind.ASSIGNMENT: "依规匹配检查人员",
    DutyKind.CHECKLIST: "按清单逐项检查",
    DutyKind.RESULTS_ENTRY: "谁检查、谁录入",
    DutyKind.PUBLICATION: "按期公示检查结果",
    DutyKind.FOLLOW_UP: "后续处置按期完成",
    DutyKind.OBJECTION_ANSWER: "异议按期答复",
}

VERDICT_TITLES: dict[Verdict, str] = {
    Verdict.FULFILLED: "已履职",
    Verdict.BREACHED: "未履职",
    Verdict.NOT_APPLICABLE: "不适用",
}


class Proof(msgspec.Struct, frozen=True, kw_only=True):
    """One event a verdict rests on, by its ledger position."""

    position: int
    stream_id: str
    event_type: str
    recorded_at: datetime
    actor: str | None
    """The user id in the event's metadata."""
    note: str
    """What this event shows for the verdict."""


class Finding(msgspec.Struct, frozen=True):
    """One duty's verdict in one draw or inspection."""

    duty: DutyKind
    verdict: Verdict
    scope: str
    """What the duty is about: ``抽取 {task}#{n}``, an inspection id, or ``{inspection} {item}``."""
    responsible: list[str]
    """Who carried the duty: a department code, or staff ids."""
    explanation: str
    proofs: list[Proof] = msgspec.field(default_factory=list)


class ReviewKind(enum.Enum):
    SUBJECT = "SUBJECT"
    """accountabilityReview: every duty about one subject."""
    INSPECTOR = "INSPECTOR"
    """inspectorReview: every duty of one inspector's inspections."""


class Review(msgspec.Struct, frozen=True, kw_only=True):
    kind: ReviewKind
    key: str
    """The subject key or the inspector's staff id."""
    from_date: date
    to_date: date
    today: date
    """The Beijing date the review was made: duties due later are NOT_APPLICABLE."""
    ledger_position: int
    """The last ledger position the review read: the same review at the same position gives the
    same verdicts."""
    findings: list[Finding]

    def count(self, verdict: Verdict) -> int:
        return sum(1 for f in self.findings if f.verdict is verdict)
