"""Registry records seeded through the services (as ``SYSTEM``), for the cross-area API tests.

``seed_matrix`` gives every column of the authorization matrix records of its own (keyed by the
cell's tag), so that an allowed cell succeeds rather than colliding with another column's.
``seed_planted`` plants distinctive personal values for the personal-data walk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette

from spotcheck.domain import account as a
from spotcheck.domain import inspector as ins
from spotcheck.domain import item as it
from spotcheck.domain import item_list as il
from spotcheck.domain import plan as pl
from spotcheck.domain import subject as s
from spotcheck.domain import task as tk
from spotcheck.domain.actor import Role
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.uscc import check_character
from spotcheck.services import accounts, inspectors, items, plans, subjects, tasks
from tests.api.conftest import SEED

# The authorization matrix: one tag per role column; the seeded keys derive from the tag.
TAGS = tuple(f"C{i}" for i in range(7))
SELF_INSPECTOR = "SCJG-SELF"
"""An SCJG inspector whose platform account is the seeded ``inspector`` account."""
LIVE_ITEM = "SCJG-LIVE"
"""A published SCJG item, so that the district list has something to list."""


def item_code(tag: str) -> str:
    """An SCJG item with an open draft (version 1, never published)."""
    return f"SCJG-{tag}"


def subject_key(tag: str) -> str:
    """An SCJG product with no conflict of interest declared for it."""
    return f"PRODUCT:SCJG:{tag}"


def conflict_subject_key(tag: str) -> str:
    """An SCJG product for which ``SELF_INSPECTOR`` and ``staff_id(tag)`` declared a conflict."""
    return f"PRODUCT:SCJG:W{tag}"


def staff_id(tag: str) -> str:
    """An SCJG inspector with no platform account."""
    return f"SCJG-{tag}"


def uscc(n: int) -> str:
    """A valid USCC numbered n."""
    first17 = f"911101060000{n:05d}"
    return first17 + check_character(first17)


def item_content(name: str) -> it.ItemContent:
    return it.ItemContent(
        name=name,
        legal_basis="《中华人民共和国食品安全法》",
        inspecting_body="区市场监管局",
        content="食品经营许可情况",
        methods=[it.ItemMethod.ON_SITE],
        target_kind=SubjectKind.ENTERPRISE,
        category=it.ItemCategory.KEY,
        checklist=[it.CheckPoint(code="1", text="查验食品经营许可证")],
    )


def item_content_input(name: str) -> dict[str, Any]:
    """The same content as GraphQL input (without code and department)."""
    return {
        "name": name,
        "legalBasis": "《中华人民共和国食品安全法》",
        "inspectingBody": "区市场监管局",
        "content": "食品经营许可情况",
        "methods": ["ON_SITE"],
        "targetKind": "ENTERPRISE",
        "category": "KEY",
        "checklist": [{"code": "1", "text": "查验食品经营许可证"}],
    }


async def _item(app: Starlette, command: it.ItemCommand) -> None:
    out = await items.handle(app.state.runner, SEED, command)
    assert out.events, command


async def _subject(app: Starlette, command: s.RegisterSubject) -> None:
    out = await subjects.handle(app.state.runner, SEED, command, app.state.regions)
    assert out.events, command


async def _inspector(app: Starlette, command: ins.InspectorCommand) -> None:
    out = await inspectors.handle(app.state.runner, SEED, command)
    assert out.events, command


def _product(key: str) -> s.RegisterSubject:
    return s.RegisterSubject(
        kind=SubjectKind.PRODUCT,
        identifier=key,
        name="产品" + key,
        region="fangzhuang",
        maintaining_department="SCJG",
    )


def officer(
    staff_id: str,
    *,
    valid_until: dt.date,
    expertise: list[str] | None = None,
    user_id: str | None = None,
) -> ins.RegisterInspector:
    """An SCJG enforcement officer (执法人员) whose certificate runs from 2024-01-01."""
    return ins.RegisterInspector(
        staff_id=staff_id,
        name="检查员" + staff_id,
        department="SCJG",
        kind=ins.InspectorKind.ENFORCEMENT_OFFICER,
        certificate_number="ZF-" + staff_id,
        certificate_valid_from=dt.date(2024, 1, 1),
        certificate_valid_until=valid_until,
        expertise=expertise or [],
        user_id=user_id,
    )


def _staff(staff_id: str, user_id: str | None = None) -> ins.RegisterInspector:
    return ins.RegisterInspector(
        staff_id=staff_id,
        name="检查员" + staff_id,
        department="SCJG",
        kind=ins.InspectorKind.SUPERVISION_STAFF,
        expertise=["FOOD"],
        user_id=user_id,
    )


async def seed_matrix(app: Starlette, tags: Iterable[str] = TAGS) -> None:
    """Per tag: an SCJG draft item, two SCJG products, an SCJG inspector without an account
    with a conflict declared for the second product; and ``SELF_INSPECTOR`` (linked to the
    ``inspector`` account) with a conflict declared for every tag's second product; and
    ``LIVE_ITEM``, published.  Needs ``seed_people`` first."""
    await _item(app, it.CreateItem(code=LIVE_ITEM, department="SCJG", content=item_content("现行")))
    await _item(app, it.PublishItem(code=LIVE_ITEM))
    await _inspector(app, _staff(SELF_INSPECTOR, user_id="inspector"))
    for tag in tags:
        await _item(
            app,
            it.CreateItem(
                code=item_code(tag), department="SCJG", content=item_content("事项" + tag)
            ),
        )
        await _subject(app, _product(subject_key(tag)))
        await _subject(app, _product(conflict_subject_key(tag)))
        await _inspector(app, _staff(staff_id(tag)))
        for staff in (SELF_INSPECTOR, staff_id(tag)):
            await _inspector(
                app,
                ins.DeclareConflict(
                    staff_id=staff, subject_key=conflict_subject_key(tag), reason="已声明"
                ),
            )


# Personal data: distinctive values, each planted in one personal field.
PLANTED_ACCOUNT = "planted-inspector"
"""The platform account of the planted inspector (INSPECTOR of SCJG)."""
PLANTED_ITEM = "SCJG-PLANTED"
PLANTED_SUBJECT = uscc(4242)
PLANTED_STAFF = "SCJG-PLANTED"
LEGAL_REPRESENTATIVE = "欧阳植入法代"
INSPECTOR_PHONE = "139-4242-4242"
INSPECTOR_EMAIL = "planted.inspector@example.gov.cn"
CERTIFICATE_NUMBER = "ZF-PLANTED-4242"
CONFLICT_REASON = "植入回避理由：配偶任该企业法定代表人"


async def seed_planted(app: Starlette) -> None:
    """An SCJG enterprise with ``LEGAL_REPRESENTATIVE``; an SCJG enforcement officer
    ``PLANTED_STAFF`` (account ``PLANTED_ACCOUNT``) with the planted phone, e-mail and
    certificate number and a conflict with that enterprise for ``CONFLICT_REASON``; a
    published SCJG item and the district list 1.  Needs ``seed_people`` first."""
    await accounts.handle(
        app.state.runner,
        SEED,
        a.CreateAccount(
            user_id=PLANTED_ACCOUNT,
            display_name=PLANTED_ACCOUNT,
            department="SCJG",
            roles=[Role.INSPECTOR],
        ),
    )
    await _item(
        app, it.CreateItem(code=PLANTED_ITEM, department="SCJG", content=item_content("植入"))
    )
    await _item(app, it.PublishItem(code=PLANTED_ITEM))
    out = await items.publish_list(app.state.runner, SEED, il.PublishItemList(note="第一版"))
    assert out.events
    await _subject(
        app,
        s.RegisterSubject(
            kind=SubjectKind.ENTERPRISE,
            uscc=PLANTED_SUBJECT,
            name="北京丰台植入食品有限公司",
            region="fangzhuang",
            legal_representative=LEGAL_REPRESENTATIVE,
            maintaining_department="SCJG",
            items=[PLANTED_ITEM],
        ),
    )
    await _inspector(
        app,
        ins.RegisterInspector(
            staff_id=PLANTED_STAFF,
            name="植入检查员",
            department="SCJG",
            kind=ins.InspectorKind.ENFORCEMENT_OFFICER,
            certificate_number=CERTIFICATE_NUMBER,
            certificate_valid_from=dt.date(2024, 1, 1),
            certificate_valid_until=dt.date(2030, 12, 31),
            expertise=["FOOD"],
            phone=INSPECTOR_PHONE,
            email=INSPECTOR_EMAIL,
            user_id=PLANTED_ACCOUNT,
        ),
    )
    await _inspector(
        app,
        ins.DeclareConflict(
            staff_id=PLANTED_STAFF, subject_key=PLANTED_SUBJECT, reason=CONFLICT_REASON
        ),
    )


# Annual plans (年度抽查工作计划) and inspection tasks (抽查任务), per tag, for the matrix.
PLAN_YEAR = 2026


def plan_id(tag: str) -> str:
    """A draft SCJG plan holding the seeded item."""
    return f"{PLAN_YEAR}-SCJG-{tag}"


def filed_plan_id(tag: str) -> str:
    """A filed (备案) SCJG plan holding the seeded item."""
    return f"{PLAN_YEAR}-SCJG-F{tag}"


def task_id(tag: str) -> str:
    """A draft SCJG task of ``filed_plan_id(tag)`` checking the seeded item."""
    return f"T{PLAN_YEAR}-SCJG-{tag}"


def task_input(title: str, item: str = LIVE_ITEM) -> dict[str, Any]:
    """A task definition as GraphQL input (without taskId and planId): a key item, 10%."""
    return {
        "title": title,
        "items": [item],
        "strata": [{"id": "ALL", "ratioPercent": "10"}],
        "startDate": f"{PLAN_YEAR}-03-01",
        "endDate": f"{PLAN_YEAR}-06-30",
    }


async def seed_plans(app: Starlette, tags: Iterable[str] = TAGS, item: str = LIVE_ITEM) -> None:
    """Per tag: ``plan_id`` (draft), ``filed_plan_id`` (filed) and ``task_id`` (a draft task of
    the filed plan), all SCJG's, on ``item`` (a published SCJG key item: ``seed_matrix`` or
    ``seed_planted`` first)."""
    runner = app.state.runner
    for tag in tags:
        for pid in (plan_id(tag), filed_plan_id(tag)):
            out = await plans.handle(
                runner,
                SEED,
                pl.CreatePlan(
                    plan_id=pid,
                    year=PLAN_YEAR,
                    department="SCJG",
                    title="年度抽查工作计划" + pid,
                    items=[item],
                ),
            )
            assert out.events, pid
        assert (await plans.handle(runner, SEED, pl.FilePlan(plan_id=filed_plan_id(tag)))).events
        out = await tasks.handle(
            runner,
            SEED,
            tk.CreateTask(
                task_id=task_id(tag),
                plan_id=filed_plan_id(tag),
                title="抽查任务" + tag,
                items=[item],
                strata=[tk.StratumSpec(id=tk.ALL, ratio_percent=Decimal(10))],
                start_date=dt.date(PLAN_YEAR, 3, 1),
                end_date=dt.date(PLAN_YEAR, 6, 30),
            ),
            app.state.regions,
        )
        assert out.events, tag


# Draws (抽取), per tag, for the matrix: each draw mutation gets tasks of its own.
DRAW_PLAN = f"{PLAN_YEAR}-SCJG-MATRIX-DRAWS"
DRAW_OFFICERS = ("SCJG-DRAW-1", "SCJG-DRAW-2")
"""The two SCJG officers eligible for the matrix's draws: every team is both of them."""
DRAW_ENTROPY = [{"name": "双色球 2026045 红球", "numbers": [3, 6, 9, 14, 21, 30]}]


def draw_task_id(tag: str, mutation: str) -> str:
    """A published SCJG task on ``LIVE_ITEM`` whose population is one subject,
    ``draw_subject_key(tag, mutation)``: no draw yet for commitDraw, a committed draw for
    executeDraw and voidDraw, an executed one for replaceInspector."""
    return f"TD-{mutation}-{tag}"


def draw_subject_key(tag: str, mutation: str) -> str:
    return f"PRODUCT:SCJG:D-{mutation}-{tag}"


def draw_inspection_id(tag: str, mutation: str) -> str:
    """The one inspection of ``draw_task_id(tag, mutation)``'s executed draw."""
    return f"{draw_task_id(tag, mutation)}/1/{draw_subject_key(tag, mutation)}"


async def seed_draws(app: Starlette, mutation: str, tags: Iterable[str] = TAGS) -> None:
    """Per tag, for one draw mutation: its task, its subject and the draw state it needs (see
    ``draw_task_id``); and ``DRAW_OFFICERS``.  Needs ``seed_matrix`` first (``LIVE_ITEM``)."""
    import msgspec

    from spotcheck.domain import draw as dr
    from spotcheck.draw.transcript import EntropySource, EntropyValue, SourceKind
    from spotcheck.services import draws

    runner = app.state.runner
    for staff in DRAW_OFFICERS:
        await _inspector(
            app,
            ins.RegisterInspector(
                staff_id=staff,
                name="抽取检查员" + staff,
                department="SCJG",
                kind=ins.InspectorKind.ENFORCEMENT_OFFICER,
                certificate_number="ZF-" + staff,
                certificate_valid_from=dt.date(PLAN_YEAR, 1, 1),
                certificate_valid_until=dt.date(PLAN_YEAR, 12, 31),
            ),
        )
    plan = pl.CreatePlan(
        plan_id=DRAW_PLAN, year=PLAN_YEAR, department="SCJG", title="抽取", items=[LIVE_ITEM]
    )
    assert (await plans.handle(runner, SEED, plan)).events
    assert (await plans.handle(runner, SEED, pl.FilePlan(plan_id=DRAW_PLAN))).events
    for tag in tags:
        task = draw_task_id(tag, mutation)
        subject = draw_subject_key(tag, mutation)
        await _subject(app, msgspec.structs.replace(_product(subject), tags=[task[-30:]]))
        for command in (
            tk.CreateTask(
                task_id=task,
                plan_id=DRAW_PLAN,
                title="抽取" + tag,
                items=[LIVE_ITEM],
                strata=[tk.StratumSpec(id=tk.ALL, ratio_percent=Decimal(100))],
                population=tk.PopulationFilter(tags=[task[-30:]]),
                start_date=dt.date(PLAN_YEAR, 3, 1),
                end_date=dt.date(PLAN_YEAR, 6, 30),
            ),
            tk.PublishTask(task_id=task),
        ):
            assert (await tasks.handle(runner, SEED, command, app.state.regions)).events
        if mutation == "commitDraw":
            continue
        source = EntropySource(name=DRAW_ENTROPY[0]["name"], kind=SourceKind.NUMBERS)
        out = await draws.commit(runner, SEED, dr.CommitDraw(task_id=task, sources=[source]))
        assert out.events and out.state is not None
        assert out.state.draws[0].commit.strata[0].size == 1
        if mutation == "replaceInspector":
            value = EntropyValue(name=source.name, value=list(DRAW_ENTROPY[0]["numbers"]))
            out = await draws.execute(runner, SEED, dr.ExecuteDraw(task_id=task, entropy=[value]))
            assert out.state is not None and out.state.draws[0].assigned == 1


# A draw over the planted records, for the personal-data walk.
PLANTED_DRAW_TASK = "TD-PLANTED"
PLANTED_DRAW_SUBJECT = "PRODUCT:SCJG:PLANTED-DRAW"
PLANTED_DRAW_INSPECTION = f"{PLANTED_DRAW_TASK}/1/{PLANTED_DRAW_SUBJECT}"
"""Its one inspection, whose team is ``PLANTED_STAFF`` and ``SCJG-PLANTED-2``."""


async def seed_planted_draw(app: Starlette) -> None:
    """An executed draw of a published SCJG task on ``PLANTED_ITEM`` whose population is
    ``PLANTED_DRAW_SUBJECT``, matched with ``PLANTED_STAFF`` and a second officer.  Needs
    ``seed_planted`` first."""
    import msgspec

    from spotcheck.domain import draw as dr
    from spotcheck.draw.transcript import EntropySource, EntropyValue, SourceKind
    from spotcheck.services import draws

    runner = app.state.runner
    await _inspector(
        app,
        ins.RegisterInspector(
            staff_id="SCJG-PLANTED-2",
            name="第二检查员",
            department="SCJG",
            kind=ins.InspectorKind.ENFORCEMENT_OFFICER,
            certificate_number="ZF-SECOND",
            certificate_valid_from=dt.date(2024, 1, 1),
            certificate_valid_until=dt.date(2030, 12, 31),
            expertise=["FOOD"],
        ),
    )
    await _subject(app, msgspec.structs.replace(_product(PLANTED_DRAW_SUBJECT), tags=["抽取"]))
    plan = pl.CreatePlan(
        plan_id="2026-PLANTED-DRAW",
        year=PLAN_YEAR,
        department="SCJG",
        title="抽取",
        items=[PLANTED_ITEM],
    )
    assert (await plans.handle(runner, SEED, plan)).events
    assert (await plans.handle(runner, SEED, pl.FilePlan(plan_id=plan.plan_id))).events
    for command in (
        tk.CreateTask(
            task_id=PLANTED_DRAW_TASK,
            plan_id=plan.plan_id,
            title="抽取",
            items=[PLANTED_ITEM],
            strata=[tk.StratumSpec(id=tk.ALL, count=1)],
            population=tk.PopulationFilter(tags=["抽取"]),
            start_date=dt.date(PLAN_YEAR, 3, 1),
            end_date=dt.date(PLAN_YEAR, 6, 30),
        ),
        tk.PublishTask(task_id=PLANTED_DRAW_TASK),
    ):
        assert (await tasks.handle(runner, SEED, command, app.state.regions)).events
    source = EntropySource(name="双色球 2026045 蓝球", kind=SourceKind.NUMBERS)
    commit = dr.CommitDraw(task_id=PLANTED_DRAW_TASK, sources=[source])
    assert (await draws.commit(runner, SEED, commit)).events
    value = EntropyValue(name=source.name, value=[12])
    out = await draws.execute(
        runner, SEED, dr.ExecuteDraw(task_id=PLANTED_DRAW_TASK, entropy=[value])
    )
    assert out.state is not None and out.state.draws[0].assigned == 1
