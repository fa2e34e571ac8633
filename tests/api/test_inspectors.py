"""The registry of inspectors (执法检查人员名录库) through the API: who may change and see what."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette

from spotcheck.domain import account as a
from spotcheck.domain import subject as s
from spotcheck.domain.actor import Role
from spotcheck.domain.kinds import SubjectKind
from spotcheck.services import accounts, subjects
from tests.api.conftest import GQL, SEED, People

FIELDS = """
  id staffId name kind status expertise affiliation userId
  department { code }
  certificateNumber certificateValidFrom certificateValidUntil
  valid2026: certificateValidOn(date: "2026-06-01")
  valid2030: certificateValidOn(date: "2030-01-01")
  phone email
  conflicts { subjectKey reason }
"""

REGISTER = f"""
mutation($input: RegisterInspectorInput!) {{
  registerInspector(input: $input) {{
    inspector {{ {FIELDS} }}
    errors {{ code field message }}
  }}
}}"""

UPDATE = """
mutation($input: UpdateInspectorInput!) {
  updateInspector(input: $input) {
    inspector { staffId name certificateValidUntil expertise phone }
    errors { code field }
  }
}"""

STATUS = """
mutation($input: ChangeInspectorStatusInput!) {
  changeInspectorStatus(input: $input) { inspector { status } errors { code field } }
}"""

DECLARE = """
mutation($input: DeclareConflictInput!) {
  declareConflict(input: $input) {
    inspector { conflicts { subjectKey reason } }
    errors { code field }
  }
}"""

WITHDRAW = """
mutation($input: WithdrawConflictInput!) {
  withdrawConflict(input: $input) {
    inspector { conflicts { subjectKey reason } }
    errors { code field }
  }
}"""

ONE = f"query($staffId: String!) {{ inspector(staffId: $staffId) {{ {FIELDS} }} }}"

LIST = """
query($filter: InspectorFilter, $first: Int, $after: String) {
  inspectors(filter: $filter, first: $first, after: $after) {
    nodes { staffId }
    pageInfo { hasNextPage endCursor }
  }
}"""

SELF_USER = "zhang-wei"
PRODUCT = "PRODUCT:SCJG:2026-000123"


def officer(staff_id: str = "SCJG-001", **extra: Any) -> dict[str, Any]:
    return {
        "staffId": staff_id,
        "name": "张伟",
        "department": "SCJG",
        "kind": "ENFORCEMENT_OFFICER",
        "certificateNumber": "11010600001",
        "certificateValidFrom": "2024-01-01",
        "certificateValidUntil": "2026-12-31",
        "expertise": ["FOOD", "SPECIAL_EQUIPMENT"],
        "phone": "13800000001",
        "email": "zhang@example.gov.cn",
        "userId": SELF_USER,
    } | extra


def expert(staff_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "staffId": staff_id,
        "name": "李教授",
        "department": "SCJG",
        "kind": "EXPERT",
        "expertise": ["FOOD"],
        "affiliation": "中国农业大学",
        "phone": "13900000000",
    } | extra


async def event_count(app: Starlette) -> int:
    return int(await app.state.pool.fetchval("SELECT count(*) FROM events"))


@pytest.fixture
async def registered(gql: GQL, people: People, app: Starlette) -> dict[str, Any]:
    """SCJG-001, an officer with an account of their own (INSPECTOR of SCJG)."""
    await accounts.handle(
        app.state.runner,
        SEED,
        a.CreateAccount(
            user_id=SELF_USER, display_name="张伟", department="SCJG", roles=[Role.INSPECTOR]
        ),
    )
    r = await gql(REGISTER, as_user=people.scjg_admin, input=officer())
    payload = r["data"]["registerInspector"]
    assert payload["errors"] == []
    inspector: dict[str, Any] = payload["inspector"]
    return inspector


async def test_register_returns_the_inspector(registered: dict[str, Any]) -> None:
    assert registered["staffId"] == "SCJG-001"
    assert registered["department"] == {"code": "SCJG"}
    assert registered["kind"] == "ENFORCEMENT_OFFICER"
    assert registered["status"] == "ACTIVE"
    assert registered["certificateValidUntil"] == "2026-12-31"
    assert registered["valid2026"] is True
    assert registered["valid2030"] is False
    # The department's administrator sees the personal fields.
    assert registered["certificateNumber"] == "11010600001"
    assert registered["phone"] == "13800000001"


async def test_personal_fields_by_role(
    gql: GQL, people: People, registered: dict[str, Any]
) -> None:
    personal = ("certificateNumber", "phone", "email")
    for user in (people.scjg_admin, people.admin, people.auditor, SELF_USER):
        r = await gql(ONE, as_user=user, staffId="SCJG-001")
        got = r["data"]["inspector"]
        assert [got[f] for f in personal] == [
            "11010600001",
            "13800000001",
            "zhang@example.gov.cn",
        ], user
    for user in (people.sthj_admin, people.inspector, people.liaison):
        r = await gql(ONE, as_user=user, staffId="SCJG-001")
        got = r["data"]["inspector"]
        assert got["name"] == "张伟", user  # staff see the inspector ...
        assert [got[f] for f in personal] == [None, None, None], user  # ... not personal data
    # The public sees no inspector at all, by key, in lists or by global id.
    assert (await gql(ONE, staffId="SCJG-001"))["data"]["inspector"] is None
    assert (await gql(LIST))["data"]["inspectors"]["nodes"] == []
    node = "query($id: ID!) { node(id: $id) { ... on Inspector { staffId phone } } }"
    assert (await gql(node, id=registered["id"]))["data"]["node"] is None
    assert (await gql(node, as_user=people.inspector, id=registered["id"]))["data"]["node"] == {
        "staffId": "SCJG-001",
        "phone": None,
    }


async def test_bad_input_is_typed_and_writes_nothing(
    gql: GQL, people: People, app: Starlette
) -> None:
    before = await event_count(app)
    bad = officer(
        certificateNumber=None,
        certificateValidFrom=None,
        certificateValidUntil=None,
        email="nope",
        expertise=["FOOD", "食品"],
    )
    r = await gql(REGISTER, as_user=people.scjg_admin, input=bad)
    payload = r["data"]["registerInspector"]
    assert payload["inspector"] is None
    assert {(e["code"], e["field"]) for e in payload["errors"]} == {
        ("CERTIFICATE_REQUIRED", "certificateNumber"),
        ("INVALID_FORMAT", "email"),
        ("INVALID_FORMAT", "expertise.1"),
    }
    r = await gql(
        REGISTER,
        as_user=people.scjg_admin,
        input=officer(certificateValidFrom="2026-06-01", certificateValidUntil="2026-05-31"),
    )
    assert r["data"]["registerInspector"]["errors"][0]["code"] == "INVALID_DATE_RANGE"
    assert r["data"]["registerInspector"]["errors"][0]["field"] == "certificateValidUntil"
    other = await gql(REGISTER, as_user=people.sthj_admin, input=officer())
    assert other["data"]["registerInspector"]["errors"][0]["code"] == "FORBIDDEN"
    mine = await gql(REGISTER, as_user=people.inspector, input=officer())
    assert mine["data"]["registerInspector"]["errors"][0]["code"] == "FORBIDDEN"
    public = await gql(REGISTER, input=officer())
    assert public["data"]["registerInspector"]["errors"][0]["code"] == "UNAUTHENTICATED"
    unknown = await gql(REGISTER, as_user=people.admin, input=officer(department="NOPE"))
    assert unknown["data"]["registerInspector"]["errors"] == [
        {"code": "UNKNOWN_DEPARTMENT", "field": "department", "message": "no department 'NOPE'"}
    ]
    assert await event_count(app) == before


async def test_expert_registers_without_certificate_and_duplicate_is_refused(
    gql: GQL, people: People
) -> None:
    r = await gql(REGISTER, as_user=people.admin, input=expert("EXP-01"))
    got = r["data"]["registerInspector"]
    assert got["errors"] == []
    assert got["inspector"]["certificateNumber"] is None
    assert got["inspector"]["affiliation"] == "中国农业大学"
    again = await gql(REGISTER, as_user=people.admin, input=expert("EXP-01"))
    assert again["data"]["registerInspector"]["errors"][0]["code"] == "ALREADY_EXISTS"
    assert again["data"]["registerInspector"]["errors"][0]["field"] == "staffId"


async def test_update_status_and_no_op(
    gql: GQL, people: People, app: Starlette, registered: dict[str, Any]
) -> None:
    before = await event_count(app)
    no_reason = await gql(
        UPDATE, as_user=people.scjg_admin, input={"staffId": "SCJG-001", "reason": " "}
    )
    assert no_reason["data"]["updateInspector"]["errors"] == [
        {"code": "REASON_REQUIRED", "field": "reason"}
    ]
    same = await gql(
        UPDATE,
        as_user=people.scjg_admin,
        input={"staffId": "SCJG-001", "reason": "核对", "name": "张伟"},
    )
    assert same["data"]["updateInspector"]["errors"] == []
    assert await event_count(app) == before  # nothing changed, nothing written
    forbidden = await gql(
        UPDATE,
        as_user=people.sthj_admin,
        input={"staffId": "SCJG-001", "reason": "r", "name": "王五"},
    )
    assert forbidden["data"]["updateInspector"]["errors"][0]["code"] == "FORBIDDEN"
    r = await gql(
        UPDATE,
        as_user=people.scjg_admin,
        input={
            "staffId": "SCJG-001",
            "reason": "换证",
            "certificateValidUntil": "2029-12-31",
            "phone": "",
            "expertise": ["DRUG"],
        },
    )
    assert r["data"]["updateInspector"] == {
        "inspector": {
            "staffId": "SCJG-001",
            "name": "张伟",
            "certificateValidUntil": "2029-12-31",
            "expertise": ["DRUG"],
            "phone": None,
        },
        "errors": [],
    }
    assert await event_count(app) == before + 1
    status = await gql(
        STATUS,
        as_user=people.scjg_admin,
        input={"staffId": "SCJG-001", "status": "SUSPENDED", "reason": "接受调查"},
    )
    assert status["data"]["changeInspectorStatus"] == {
        "inspector": {"status": "SUSPENDED"},
        "errors": [],
    }
    self_status = await gql(
        STATUS,
        as_user=SELF_USER,
        input={"staffId": "SCJG-001", "status": "ACTIVE", "reason": "恢复"},
    )
    assert self_status["data"]["changeInspectorStatus"]["errors"][0]["code"] == "FORBIDDEN"
    row = await app.state.pool.fetchrow(
        "SELECT status, certificate_valid_until FROM inspectors WHERE id = 'SCJG-001'"
    )
    assert dict(row) == {"status": "SUSPENDED", "certificate_valid_until": "2029-12-31"}


async def test_filters_and_paging(gql: GQL, people: People, registered: dict[str, Any]) -> None:
    for inp in (
        officer("SCJG-002", certificateValidUntil="2025-12-31", expertise=["DRUG"], userId=None),
        officer(
            "SCJG-003",
            certificateValidFrom="2026-07-01",
            certificateValidUntil="2028-06-30",
            status="ON_LEAVE",
            userId=None,
        ),
        officer("STHJ-001", department="STHJ", expertise=["ENVIRONMENT"], userId=None),
        expert("EXP-01"),
    ):
        r = await gql(REGISTER, as_user=people.admin, input=inp)
        assert r["data"]["registerInspector"]["errors"] == [], inp

    async def ids(**filter: Any) -> list[str]:
        r = await gql(LIST, as_user=people.inspector, filter=filter)
        return [n["staffId"] for n in r["data"]["inspectors"]["nodes"]]

    assert await ids() == ["EXP-01", "SCJG-001", "SCJG-002", "SCJG-003", "STHJ-001"]
    assert await ids(department="STHJ") == ["STHJ-001"]
    assert await ids(kind="EXPERT") == ["EXP-01"]
    assert await ids(status="ON_LEAVE") == ["SCJG-003"]
    assert await ids(expertise="FOOD") == ["EXP-01", "SCJG-001", "SCJG-003"]
    assert await ids(certificateValidOn="2026-06-01") == ["SCJG-001", "STHJ-001"]
    assert await ids(certificateValidOn="2024-01-01") == ["SCJG-001", "SCJG-002", "STHJ-001"]
    assert await ids(certificateValidOn="2026-12-31") == ["SCJG-001", "SCJG-003", "STHJ-001"]
    assert await ids(certificateValidOn="2028-07-01") == []
    assert await ids(department="SCJG", expertise="FOOD", certificateValidOn="2026-07-01") == [
        "SCJG-001",
        "SCJG-003",
    ]
    page = await gql(LIST, as_user=people.inspector, first=2)
    conn = page["data"]["inspectors"]
    assert [n["staffId"] for n in conn["nodes"]] == ["EXP-01", "SCJG-001"]
    assert conn["pageInfo"]["hasNextPage"] is True
    rest = await gql(LIST, as_user=people.inspector, first=10, after=conn["pageInfo"]["endCursor"])
    assert [n["staffId"] for n in rest["data"]["inspectors"]["nodes"]] == [
        "SCJG-002",
        "SCJG-003",
        "STHJ-001",
    ]
    assert rest["data"]["inspectors"]["pageInfo"]["hasNextPage"] is False
    too_many = await gql(LIST, as_user=people.inspector, first=101)
    assert too_many["errors"][0]["extensions"] == {"code": "OUT_OF_RANGE", "field": "first"}


async def test_conflicts_declare_and_withdraw(
    gql: GQL, people: People, app: Starlette, registered: dict[str, Any]
) -> None:
    out = await subjects.handle(
        app.state.runner,
        SEED,
        s.RegisterSubject(
            kind=SubjectKind.PRODUCT,
            identifier=PRODUCT,
            name="某品牌婴幼儿配方乳粉",
            region="youanmen",
            maintaining_department="SCJG",
        ),
        app.state.regions,
    )
    assert out.key == PRODUCT
    before = await event_count(app)
    unknown = await gql(
        DECLARE,
        as_user=SELF_USER,
        input={"staffId": "SCJG-001", "subjectKey": "PRODUCT:SCJG:none", "reason": "亲属"},
    )
    assert unknown["data"]["declareConflict"] == {
        "inspector": None,
        "errors": [{"code": "NOT_FOUND", "field": "subjectKey"}],
    }
    no_reason = await gql(
        DECLARE,
        as_user=SELF_USER,
        input={"staffId": "SCJG-001", "subjectKey": PRODUCT, "reason": ""},
    )
    assert no_reason["data"]["declareConflict"]["errors"] == [
        {"code": "REASON_REQUIRED", "field": "reason"}
    ]
    colleague = await gql(
        DECLARE,
        as_user=people.inspector,
        input={"staffId": "SCJG-001", "subjectKey": PRODUCT, "reason": "亲属"},
    )
    assert colleague["data"]["declareConflict"]["errors"][0]["code"] == "FORBIDDEN"
    assert await event_count(app) == before
    # The inspector declares their own conflict of interest (回避).
    own = await gql(
        DECLARE,
        as_user=SELF_USER,
        input={"staffId": "SCJG-001", "subjectKey": PRODUCT, "reason": "配偶在生产企业任职"},
    )
    assert own["data"]["declareConflict"] == {
        "inspector": {"conflicts": [{"subjectKey": PRODUCT, "reason": "配偶在生产企业任职"}]},
        "errors": [],
    }
    # Colleagues see that a conflict exists, not why.
    seen = await gql(ONE, as_user=people.inspector, staffId="SCJG-001")
    assert seen["data"]["inspector"]["conflicts"] == [{"subjectKey": PRODUCT, "reason": None}]
    withdraw = {"staffId": "SCJG-001", "subjectKey": PRODUCT, "reason": "已离职"}
    r = await gql(WITHDRAW, as_user=people.scjg_admin, input=withdraw)
    assert r["data"]["withdrawConflict"] == {"inspector": {"conflicts": []}, "errors": []}
    again = await gql(WITHDRAW, as_user=SELF_USER, input=withdraw)
    assert again["data"]["withdrawConflict"]["errors"] == [
        {"code": "NOT_FOUND", "field": "subjectKey"}
    ]
    assert await event_count(app) == before + 2


async def test_idempotency_key(gql: GQL, people: People, app: Starlette) -> None:
    before = await event_count(app)
    first = await gql(
        REGISTER, as_user=people.admin, input=expert("EXP-02", idempotencyKey="insp-1")
    )
    again = await gql(
        REGISTER, as_user=people.admin, input=expert("EXP-02", idempotencyKey="insp-1")
    )
    assert first["data"]["registerInspector"]["errors"] == []
    assert again["data"] == first["data"]
    assert await event_count(app) == before + 1
    other = await gql(
        REGISTER, as_user=people.admin, input=expert("EXP-03", idempotencyKey="insp-1")
    )
    assert other["data"]["registerInspector"]["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.parametrize(
    ("field", "value"),
    [("certificateValidFrom", "1989-12-31"), ("certificateValidUntil", "2101-01-01")],
)
async def test_certificate_dates_are_in_a_sane_range(
    gql: GQL, people: People, app: Starlette, field: str, value: str
) -> None:
    """The Date scalar takes 1900-2199; a certificate's days are 1990-01-01 to 2100-12-31."""
    before = await event_count(app)
    r = await gql(REGISTER, as_user=people.scjg_admin, input=officer(**{field: value}))
    payload = r["data"]["registerInspector"]
    assert payload["inspector"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("OUT_OF_RANGE", field)]
    assert await event_count(app) == before
