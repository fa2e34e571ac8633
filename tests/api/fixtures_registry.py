"""Registry records seeded through the services (as ``SYSTEM``), for the cross-area API tests.

``seed_matrix`` gives every column of the authorization matrix records of its own (keyed by the
cell's tag), so that an allowed cell succeeds rather than colliding with another column's.
``seed_planted`` plants distinctive personal values for the personal-data walk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette

from spotcheck.domain import account as a
from spotcheck.domain import inspector as ins
from spotcheck.domain import item as it
from spotcheck.domain import item_list as il
from spotcheck.domain import subject as s
from spotcheck.domain.actor import Role
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.uscc import check_character
from spotcheck.services import accounts, inspectors, items, subjects
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
