"""GraphQL types of the duty-list review (履职清单审查)."""

from __future__ import annotations

import datetime as dt

import strawberry

from spotcheck.api.common.enums import register_enum
from spotcheck.api.scalars import SafeInt
from spotcheck.review import model

register_enum(
    model.Verdict,
    "Verdict",
    "审查结论 A duty's verdict (尽职照单免责、失职照单问责).",
    {
        "FULFILLED": "已履职 Done as the rules require.",
        "BREACHED": "未履职 Not done, late, or done by someone not entitled to.",
        "NOT_APPLICABLE": "不适用 The duty did not arise (not drawn, not yet due, none ordered).",
    },
)
register_enum(
    model.DutyKind,
    "DutyKind",
    "履职事项 A duty the review checks, in the order of the work.",
    {
        "IN_POPULATION": "纳入抽查对象范围 In the population of each draw whose scope the subject "
        "matched, and that draw verifies.",
        "SELECTION": "随机抽取 Selected (or not) by the verifiable draw; a case's direct "
        "assignment.",
        "ASSIGNMENT": "依规匹配 The team matched (or assigned) by the rules.",
        "CHECKLIST": "照单检查 Every check point of every item done, or not applicable with why.",
        "RESULTS_ENTRY": "谁检查、谁录入 Results entered by an assigned inspector's own account.",
        "PUBLICATION": "按期公示 Published within the deadline in working days.",
        "FOLLOW_UP": "后续处置 Ordered corrections re-checked on time; transfers recorded.",
        "OBJECTION_ANSWER": "异议按期答复 Each objection to a published result of the subject "
        "answered by the lead department within its working days.",
    },
)


@strawberry.type(description="证据 One ledger entry a verdict rests on.")
class Proof:
    position: SafeInt = strawberry.field(description="Ledger position (账本位置).")
    stream_id: str
    event_type: str
    recorded_at: dt.datetime
    actor: str | None = strawberry.field(description="The user id in the event's metadata.")
    note: str

    @classmethod
    def of(cls, p: model.Proof) -> Proof:
        return cls(
            position=SafeInt(p.position),
            stream_id=p.stream_id,
            event_type=p.event_type,
            recorded_at=p.recorded_at,
            actor=p.actor,
            note=p.note,
        )


@strawberry.type(description="审查结论 One duty's verdict in one draw or inspection.")
class Finding:
    duty: model.DutyKind
    verdict: model.Verdict
    scope: str = strawberry.field(
        description="`抽取 {task}#{n}`, an inspection id, or `{inspection} {item}`."
    )
    responsible: list[str] = strawberry.field(description="Department codes or staff ids.")
    explanation: str
    proofs: list[Proof]


@strawberry.type(description="履职清单审查 A duty-list review made from the ledger alone.")
class DutyReview:
    key: str = strawberry.field(description="The subject key or the inspector's staff id.")
    from_date: dt.date
    to_date: dt.date
    today: dt.date = strawberry.field(
        description="The Beijing date of the review: duties due later are NOT_APPLICABLE."
    )
    ledger_position: SafeInt = strawberry.field(
        description="The last ledger position read: the same review at the same position "
        "gives the same verdicts."
    )
    fulfilled: int
    breached: int
    not_applicable: int
    findings: list[Finding]

    @classmethod
    def of(cls, r: model.Review) -> DutyReview:
        return cls(
            key=r.key,
            from_date=r.from_date,
            to_date=r.to_date,
            today=r.today,
            ledger_position=SafeInt(r.ledger_position),
            fulfilled=r.count(model.Verdict.FULFILLED),
            breached=r.count(model.Verdict.BREACHED),
            not_applicable=r.count(model.Verdict.NOT_APPLICABLE),
            findings=[
                Finding(
                    duty=f.duty,
                    verdict=f.verdict,
                    scope=f.scope,
                    responsible=list(f.responsible),
                    explanation=f.explanation,
                    proofs=[Proof.of(p) for p in f.proofs],
                )
                for f in r.findings
            ],
        )
