"""Published inspections for the publication tests (一公开), driven through the GraphQL mutations:
case inspections (个案) opened by SCJG's admin, results entered by an assigned officer, approved
and published by SCJG's admin.  Used by test_publications, the CLI export test, the
authorization matrix (abnormal-listing rows) and the personal-data walk.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette

from spotcheck.domain import account as a
from spotcheck.domain import inspection as i
from spotcheck.domain import item as it
from spotcheck.domain import subject as s
from spotcheck.domain.actor import PUBLIC, Actor, Role
from spotcheck.domain.inspection import beijing_date
from spotcheck.domain.kinds import SubjectKind
from spotcheck.eventstore.ledger import ledger_status
from spotcheck.services import accounts, inspections, inspectors, items, subjects
from spotcheck.services.runner import Caller
from tests.api import fixtures_registry as reg
from tests.api.conftest import GQL, SEED

ITEM = "SCJG-PUB"
ITEM_NAME = "食品经营许可检查"
OFFICERS = ("SCJG-PUB-1", "SCJG-PUB-2")
OFFICER_USERS = ("pub-officer-1", "pub-officer-2")
FINDINGS = "现场检查记录：后厨卫生状况较差（内部记录，不公示）"
"""Findings text: entered, never published."""


def uscc(n: int) -> str:
    return reg.uscc(7000 + n)


def name(n: int) -> str:
    return f"丰台区鑫源{n}号商贸有限公司"


def today() -> dt.date:
    return beijing_date(dt.datetime.now(dt.UTC))


async def seed_publishing(app: Starlette, subject_count: int = 3) -> None:
    """SCJG's published item ``ITEM`` (one check point), enterprises ``uscc(n)`` named
    ``name(n)`` maintained by SCJG, and two SCJG officers with certificates and platform
    accounts (``OFFICER_USERS``).  Needs ``seed_people`` first."""
    runner = app.state.runner
    content = reg.item_content(ITEM_NAME)
    for command in (
        it.CreateItem(code=ITEM, department="SCJG", content=content),
        it.PublishItem(code=ITEM),
    ):
        assert (await items.handle(runner, SEED, command)).events
    for n in range(subject_count):
        out = await subjects.handle(
            runner,
            SEED,
            s.RegisterSubject(
                kind=SubjectKind.ENTERPRISE,
                uscc=uscc(n),
                name=name(n),
                region="fangzhuang",
                legal_representative="张" + str(n),
                maintaining_department="SCJG",
            ),
            app.state.regions,
        )
        assert out.events
    for staff, user in zip(OFFICERS, OFFICER_USERS, strict=True):
        out = await inspectors.handle(
            runner,
            SEED,
            reg.officer(staff, valid_until=dt.date(2099, 12, 31), expertise=["FOOD"], user_id=user),
        )
        assert out.events
        out = await accounts.handle(
            runner,
            SEED,
            a.CreateAccount(
                user_id=user, display_name=user, department="SCJG", roles=[Role.INSPECTOR]
            ),
        )
        assert out.events


def result(
    code: str = "R1", follow_up: dict[str, Any] | None = None, item: str = ITEM
) -> dict[str, Any]:
    """One item's result as GraphQL input."""
    return {
        "item": item,
        "checkPoints": [{"point": "1", "mark": "DONE"}],
        "code": code,
        "findings": FINDINGS,
        "followUp": follow_up or {"kind": "NONE"},
    }


def case_key(reference: str) -> str:
    return f"CASE/SCJG/{reference}"


def _mutation(name: str) -> str:
    input_type = name[0].upper() + name[1:] + "Input"
    return (
        f"mutation($input: {input_type}!) {{ r: {name}(input: $input) {{ "
        "inspection { key status } errors { code field message } } }"
    )


async def run(gql: GQL, name: str, user: str, **input: Any) -> dict[str, Any]:
    """Run an inspection mutation; the payload (errors must be empty)."""
    r = await gql(_mutation(name), as_user=user, input=input)
    assert "errors" not in r, r
    payload: dict[str, Any] = r["data"]["r"]
    assert payload["errors"] == [], (name, payload["errors"])
    return payload


async def approved_case(
    gql: GQL, reference: str, subject: str, *results: dict[str, Any], day: dt.date | None = None
) -> str:
    """A case inspection of ``subject`` with ``results`` (default: code 1), approved; opened
    and inspected on ``day`` (default today), which must be the database's today."""
    key = case_key(reference)
    day = day or today()
    await run(
        gql,
        "openCaseInspection",
        "scjg-admin",
        department="SCJG",
        reference=reference,
        source="COMPLAINT",
        subject=subject,
        items=[ITEM],
        officers=list(OFFICERS),
        reason="群众投诉举报",
        endDate=(day + dt.timedelta(days=30)).isoformat(),
    )
    await run(
        gql,
        "submitInspectionResults",
        OFFICER_USERS[0],
        inspectionId=key,
        inspectedOn=day.isoformat(),
        results=list(results) or [result()],
    )
    await run(gql, "approveInspectionResults", "scjg-admin", inspectionId=key)
    return key


async def published_case(
    gql: GQL, reference: str, subject: str, *results: dict[str, Any], day: dt.date | None = None
) -> str:
    """``approved_case``, then published."""
    key = await approved_case(gql, reference, subject, *results, day=day)
    await run(gql, "publishInspectionResults", "scjg-admin", inspectionId=key)
    return key


async def amend(gql: GQL, key: str, new: dict[str, Any], reason: str) -> None:
    await run(
        gql, "amendInspectionResult", "scjg-admin", inspectionId=key, result=new, reason=reason
    )


async def sealed(app: Starlette) -> None:
    """Wait until every committed event has a ledger position."""
    pool = app.state.pool
    while (await ledger_status(pool)).unsealed_count:
        app.state.sealer.wake()
        await asyncio.sleep(0.02)


SCJG_ADMIN = Caller(
    actor=Actor(user_id="scjg-admin", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN}))
)
OFFICER = Caller(
    actor=Actor(user_id=OFFICER_USERS[0], department="SCJG", roles=frozenset({Role.INSPECTOR}))
)


async def seeded_case(
    app: Starlette, reference: str, subject: str, results: list[i.ItemResult]
) -> str:
    """A published case inspection, through the services (for fixtures without a client):
    opened by SCJG's admin, entered by an assigned officer, approved and published."""
    runner = app.state.runner
    key = case_key(reference)
    day = today()
    for caller, command in (
        (
            SCJG_ADMIN,
            i.OpenCaseInspection(
                department="SCJG",
                reference=reference,
                source=i.CaseSource.COMPLAINT,
                subject=subject,
                items=[ITEM],
                officers=list(OFFICERS),
                reason="群众投诉举报",
                end_date=day + dt.timedelta(days=30),
            ),
        ),
        (OFFICER, i.SubmitInspectionResults(inspection_id=key, inspected_on=day, results=results)),
        (SCJG_ADMIN, i.ApproveInspectionResults(inspection_id=key)),
        (SCJG_ADMIN, i.PublishInspectionResults(inspection_id=key)),
    ):
        assert (await inspections.handle(runner, caller, command)).events, command
    return key


def item_result(code: i.ResultCode, follow_up: i.FollowUp | None = None) -> i.ItemResult:
    return i.ItemResult(
        item=ITEM,
        check_points=[i.CheckPointResult(point="1", mark=i.CheckMark.DONE)],
        code=code,
        findings=FINDINGS,
        follow_up=follow_up or i.FollowUp(kind=i.FollowUpKind.NONE),
    )


# The authorization matrix: one published result coded 6 per cell (each raises a proposal).
PROPOSAL_MUTATIONS = frozenset({"confirmAbnormalListing", "rejectAbnormalListing"})


def proposal_of(tag: str, mutation: str) -> str:
    return case_key(f"R6-{mutation}-{tag}")


async def seed_proposals(app: Starlette, mutation: str, tags: Iterable[str]) -> None:
    await seed_publishing(app, subject_count=1)
    for tag in tags:
        await seeded_case(app, f"R6-{mutation}-{tag}", uscc(0), [item_result(i.ResultCode.R6)])


# The personal-data walk: a published result coded 6 with a follow-up (other than NONE).
PLANTED_PUBLICATION = case_key("PLANTED-PUB")
PLANTED_FOLLOW_UP = f"{PLANTED_PUBLICATION}#{ITEM}"


async def seed_planted_publication(app: Starlette) -> None:
    await seed_publishing(app, subject_count=1)
    follow_up = i.FollowUp(kind=i.FollowUpKind.OTHER, description="提请列入经营异常名录")
    await seeded_case(app, "PLANTED-PUB", uscc(0), [item_result(i.ResultCode.R6, follow_up)])
    await seed_planted_objection(app)
    await sealed(app)


# The authorization matrix, credit-risk rows: one subject per cell (a confirmation changes its
# class, so cells must not share one), each with a published result coded 6 (A → B proposed).
RISK_MUTATIONS = frozenset({"confirmRiskClassChange", "rejectRiskClassChange"})


def risk_proposal_of(tag: str, mutation: str) -> str:
    return case_key(f"CR-{mutation}-{tag}")


async def seed_risk_proposals(app: Starlette, mutation: str, tags: Iterable[str]) -> None:
    tags = list(tags)
    await seed_publishing(app, subject_count=len(tags))
    for n, tag in enumerate(tags):
        command = s.UpdateSubject(key=uscc(n), reason="初始分类", risk_class=s.RiskClass.A)
        assert (await subjects.handle(app.state.runner, SEED, command, app.state.regions)).events
        await seeded_case(app, f"CR-{mutation}-{tag}", uscc(n), [item_result(i.ResultCode.R6)])


# 异议 Objections: one published result per cell to object to, one filed objection per cell to
# answer, one confirmed listing per cell to remove (the authorization matrix); one planted
# objection for the personal-data walk.
OBJECTION_MUTATIONS = frozenset({"fileObjection", "answerObjection"})
REMOVAL_MUTATIONS = frozenset({"removeAbnormalListing"})


def objection_target(tag: str) -> str:
    return case_key(f"OBJ-{tag}")


def objection_of(tag: str) -> str:
    return "OBJ-" + tag.encode().hex().upper().rjust(16, "0")[-16:]


async def seed_objections(app: Starlette, tags: Iterable[str]) -> None:
    from spotcheck.domain import objection as ob
    from spotcheck.services import objections

    await seed_publishing(app, subject_count=1)
    for tag in tags:
        key = await seeded_case(app, f"OBJ-{tag}", uscc(0), [item_result(i.ResultCode.D)])
        command = ob.FileObjection(inspection_id=key, uscc=uscc(0), grounds="检查时已停业")
        out = await objections.handle(
            app.state.runner, Caller(actor=PUBLIC), command, key=objection_of(tag)
        )
        assert out.events


async def seed_removals(app: Starlette, tags: Iterable[str]) -> None:
    from spotcheck.domain import abnormal_listing as al
    from spotcheck.services import publications

    await seed_proposals(app, "removeAbnormalListing", tags)
    for tag in tags:
        command = al.ConfirmAbnormalListing(inspection_id=proposal_of(tag, "removeAbnormalListing"))
        assert (await publications.decide_listing(app.state.runner, SCJG_ADMIN, command)).events


PLANTED_OBJECTION = "OBJ-00000000000000AA"


async def seed_planted_objection(app: Starlette) -> None:
    from spotcheck.domain import objection as ob
    from spotcheck.services import objections

    command = ob.FileObjection(
        inspection_id=PLANTED_PUBLICATION, uscc=uscc(0), grounds="企业认为住所可以联系"
    )
    out = await objections.handle(
        app.state.runner, Caller(actor=PUBLIC), command, key=PLANTED_OBJECTION
    )
    assert out.events
