"""The compiled path (``spotcheck.api.compiled``) answers byte for byte as the general executor.

Hypothesis writes operations over the covered part of the schema (``subjects``, ``subject``,
``departments``, ``department``, ``node``, ``nodes``, ``__typename``): random subsets and
orders of fields, aliases, repeated keys, fragments, nested region and maintaining department
with its liaison, ``@personal`` fields, page sizes, cursors of real pages and made-up ones,
filters, values inline or as variables.  Each is sent through the real ASGI app as each role,
once as is and once with ``X-Spotcheck-Executor: general`` (honoured outside production only);
status, content type and body bytes must be equal.  The ``X-Spotcheck-Executor: compiled``
response header counts the answers the compiled path gave, so the test fails if it never ran.
Uncovered shapes must fall back and still answer; the plan cache stays within its bound.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import httpx
import msgspec
import pytest
from graphql import parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from strawberry.relay.utils import to_base64

from spotcheck.api.common.pagination import encode_cursor
from spotcheck.api.compiled.executor import CompiledOperations
from spotcheck.api.schema import build_schema
from spotcheck.api.view import EXECUTOR_HEADER
from spotcheck.auth.tokens import mint
from spotcheck.domain import inspection as ic
from spotcheck.domain import inspector as ins
from spotcheck.domain import item as it
from spotcheck.domain import subject as s
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.regions import Region, Regions
from spotcheck.domain.uscc import check_character
from spotcheck.services import inspections, inspectors, items, subjects
from tests.api import fixtures_registry as reg
from tests.api import inspection_fixtures as insp_fixtures
from tests.api import publishing as pub
from tests.api.conftest import SEED, TOKENS, seed_people

EXAMPLES = 60
RETIRED_REGION = "retired-town"
"""A region the subjects were registered under that the server's configured list lacks."""

CONFIRM = (
    "mutation($input: ConfirmAbnormalListingInput!) { r: confirmAbnormalListing(input: $input) "
    "{ errors { code } } }"
)
ROLES = [None, "no-account", "liaison-scjg", "inspector", "sthj-admin", "scjg-admin", "auditor"]
ROLES += ["admin"]


def uscc(n: int) -> str:
    first17 = f"911101060000{n:05d}"
    return first17 + check_character(first17)


def _subjects() -> list[s.RegisterSubject]:
    out: list[s.RegisterSubject] = []
    kinds = [SubjectKind.ENTERPRISE, SubjectKind.INDIVIDUAL_BUSINESS, SubjectKind.PRODUCT]
    for i in range(14):
        kind = kinds[i % 3]
        business = kind != SubjectKind.PRODUCT
        dept = "SCJG" if i % 2 else "STHJ"
        out.append(
            s.RegisterSubject(
                kind=kind,
                uscc=uscc(i) if business else None,
                identifier=None if business else f"PRODUCT:{dept}:P-{i:03d}",
                name=f"丰台测试{i}号 \"引号\" \\ 'x' 🚀" if i == 3 else f"丰台测试{i}号",
                region=[RETIRED_REGION, "fangzhuang", "youanmen", "beigong"][i % 4],
                industry=["F5211", "C1310", None, "F52"][i % 4],
                address=None if i % 5 == 0 else f"丰台区测试路{i}号",
                legal_representative=f"法人{i}" if business else None,
                status=[s.RegistrationStatus.ACTIVE, s.RegistrationStatus.REVOKED][i % 7 == 6],
                risk_class=[None, s.RiskClass.A, s.RiskClass.C, s.RiskClass.D][i % 4],
                maintaining_department=dept,
                tags=[["重点"], [], ["a", "b"]][i % 3],
            )
        )
    return out


KEYS = sorted(s.normalise_key(c.uscc or c.identifier or "") for c in _subjects())


def _inspectors() -> list[ins.InspectorCommand]:
    out: list[ins.InspectorCommand] = []
    for n in range(7):
        staff_id = f"{'SCJG' if n % 2 else 'STHJ'}-{n:02d}"
        out.append(
            ins.RegisterInspector(
                staff_id=staff_id,
                name=f"检查员{n}",
                department=staff_id[:4],
                kind=list(ins.InspectorKind)[n % 3],
                certificate_number=f"ZF-{n}" if n % 3 != 2 else None,
                certificate_valid_from=dt.date(2024, 1, 1) if n % 3 != 2 else None,
                certificate_valid_until=dt.date(2027 + n % 2, 6, 30) if n % 3 != 2 else None,
                expertise=[["FOOD"], [], ["FOOD", "SPECIAL_EQUIPMENT"]][n % 3],
                status=[ins.InspectorStatus.ACTIVE, ins.InspectorStatus.ON_LEAVE][n % 4 == 3],
                phone=f"1380000000{n}" if n % 2 else None,
                email=f"i{n}@example.gov.cn",
                user_id="inspector" if n == 1 else None,
                affiliation="某检测院" if n % 3 == 2 else None,
            )
        )
        for key in KEYS[n : n + n % 3]:
            out.append(ins.DeclareConflict(staff_id=staff_id, subject_key=key, reason=f"亲属{n}"))
    return out


STAFF_IDS = sorted(c.staff_id for c in _inspectors() if isinstance(c, ins.RegisterInspector))


def _items() -> list[it.ItemCommand]:
    """A draft never published (STHJ), one published and revised twice (a superseded version
    and an open draft, a ratio cap), one retired."""
    key = reg.item_content("重点事项")
    general = msgspec.structs.replace(
        key, category=it.ItemCategory.GENERAL, ratio_cap_percent=Decimal("12.50")
    )
    return [
        it.CreateItem(code="STHJ-DRAFT", department="STHJ", content=key),
        it.CreateItem(code="SCJG-REV", department="SCJG", content=key),
        it.PublishItem(code="SCJG-REV"),
        it.ReviseItem(code="SCJG-REV", content=general),
        it.PublishItem(code="SCJG-REV"),
        it.ReviseItem(code="SCJG-REV", content=msgspec.structs.replace(general, name="第三版")),
        it.CreateItem(code="STHJ-OLD", department="STHJ", content=general),
        it.PublishItem(code="STHJ-OLD"),
        it.RetireItem(code="STHJ-OLD", reason="不再适用"),
    ]


ITEM_CODES = ["STHJ-DRAFT", "SCJG-REV", "STHJ-OLD", "SCJG-PUB"]


@pytest.fixture
async def seeded(app: Starlette) -> None:
    """Both departments, the accounts of every role, the subjects (registered under a list with
    one more region than the server's configured list) and inspectors with conflicts."""
    await seed_people(app.state.runner)
    wider = Regions([*app.state.regions.values(), Region(RETIRED_REGION, "旧镇")])
    for command in _subjects():
        out = await subjects.handle(app.state.runner, SEED, command, wider)
        assert out.events, command
    for inspector in _inspectors():
        out = await inspectors.handle(app.state.runner, SEED, inspector)
        assert out.events, inspector
    for command in _items():
        assert (await items.handle(app.state.runner, SEED, command)).events, command
    # Published results (public search, credit records), one amended, one listed as abnormal.
    await pub.seed_publishing(app, subject_count=3)
    codes = [ic.ResultCode.R1, ic.ResultCode.R6, ic.ResultCode.A, ic.ResultCode.R1]
    for n, code in enumerate(codes):
        await pub.seeded_case(app, f"CMP-{n}", pub.uscc(n % 3), [pub.item_result(code)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://spotcheck.test") as c:
        gql = {"authorization": f"Bearer {mint('admin', TOKENS)}"}
        confirm = {"inspectionId": pub.case_key("CMP-1"), "note": "无法联系"}
        r = await c.post(
            "/graphql", json={"query": CONFIRM, "variables": {"input": confirm}}, headers=gql
        )
        assert r.json()["data"]["r"]["errors"] == [], r.text
    amend = ic.AmendInspectionResult(
        inspection_id=pub.case_key("CMP-3"), result=pub.item_result(ic.ResultCode.B), reason="更正"
    )
    assert (await inspections.handle(app.state.runner, pub.SCJG_ADMIN, amend)).events


# Selections -------------------------------------------------------------------------------


def _pick(fields: list[str], nested: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[str]:
    """A non-empty selection: a random subset and order of ``fields``, some aliased, some
    asked for twice (merged), nested selections drawn from ``nested``."""

    @st.composite
    def pick(draw: st.DrawFn) -> str:
        chosen = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=8, unique=True))
        parts: list[str] = []
        for i, name in enumerate(chosen):
            alias = draw(st.sampled_from(["", "", "", f"a{i}_{name.strip('_').split('(')[0]}: "]))
            sub = f" {{ {draw(nested[name])} }}" if name in nested else ""
            parts.append(f"{alias}{name}{sub}")
            if draw(st.integers(0, 9)) == 0:  # the same key again: merged, not repeated
                parts.append(f"{alias}{name}{sub}")
        return " ".join(parts)

    return pick()


LIAISON = _pick(["name", "phone", "email", "userId", "__typename"], {})
DEPARTMENT = _pick(["code", "name", "member", "id", "liaison", "__typename"], {"liaison": LIAISON})
REGION = _pick(["code", "name", "__typename"], {})
SUBJECT = _pick(
    [
        "id",
        "key",
        "kind",
        "uscc",
        "identifier",
        "name",
        "industry",
        "address",
        "status",
        "riskClass",
        "tags",
        "items",
        "region",
        "legalRepresentative",
        "maintainingDepartment",
        "__typename",
    ],
    {"region": REGION, "maintainingDepartment": DEPARTMENT},
)
EDGE = _pick(["cursor", "node", "__typename"], {"node": SUBJECT})
PAGE_INFO = _pick(["hasNextPage", "endCursor", "__typename"], {})
CONNECTION = _pick(
    ["nodes", "edges", "pageInfo", "__typename"],
    {"nodes": SUBJECT, "edges": EDGE, "pageInfo": PAGE_INFO},
)

FILTERS: dict[str, st.SearchStrategy[Any]] = {
    "kind": st.sampled_from(["ENTERPRISE", "PRODUCT", "PROJECT"]),
    "region": st.sampled_from(["fangzhuang", RETIRED_REGION, "nowhere"]),
    "industry": st.sampled_from(["F", "F52", "52", "C1310", "not-a-code"]),
    "status": st.sampled_from(["ACTIVE", "REVOKED"]),
    "riskClass": st.sampled_from(["A", "C", "D"]),
    "maintainingDepartment": st.sampled_from(["SCJG", "STHJ", "NONE"]),
    "tag": st.sampled_from(["重点", "a", "zz"]),
    "nameContains": st.sampled_from(["测试1", "%", "_", "引号", "x" * 201]),
}
CURSORS = st.one_of(
    st.sampled_from([encode_cursor(k) for k in KEYS]),
    st.sampled_from([encode_cursor("0"), encode_cursor("ZZZ"), "not a cursor", ""]),
)


def _connection(node: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return _pick(
        ["nodes", "edges", "pageInfo", "__typename"],
        {
            "nodes": node,
            "edges": _pick(["cursor", "node", "__typename"], {"node": node}),
            "pageInfo": PAGE_INFO,
        },
    )


CONFLICT = _pick(["subjectKey", "reason", "__typename"], {})
INSPECTOR = _pick(
    [
        "id",
        "staffId",
        "name",
        "kind",
        "certificateValidFrom",
        "certificateValidUntil",
        "expertise",
        "status",
        "conflicts",
        "affiliation",
        "userId",
        "department",
        "certificateNumber",
        "phone",
        "email",
        "__typename",
    ],
    {"conflicts": CONFLICT, "department": DEPARTMENT},
)
INSPECTOR_CONNECTION = _connection(INSPECTOR)
INSPECTOR_FILTER = st.fixed_dictionaries(
    {},
    optional={
        "department": st.sampled_from(["SCJG", "STHJ"]),
        "kind": st.sampled_from(["EXPERT", "ENFORCEMENT_OFFICER"]),
        "status": st.sampled_from(["ACTIVE", "ON_LEAVE"]),
        "expertise": st.sampled_from(["FOOD", "NONE"]),
        "certificateValidOn": st.sampled_from(["2027-12-31", "2023-01-01", "2026-13-01"]),
    },
)
DEPARTMENT_CONNECTION = _connection(DEPARTMENT)
ITEM_RESULT = _pick(
    [
        "item",
        "itemName",
        "code",
        "codeDescription",
        "followUp",
        "correctBy",
        "receivingBody",
        "__typename",
    ],
    {},
)
AMENDMENT = _pick(
    ["number", "item", "beforeCode", "afterCode", "reason", "amendedOn", "__typename"], {}
)
RECORD = _pick(
    [
        "inspectionId",
        "origin",
        "taskId",
        "taskTitle",
        "subjectKey",
        "subjectName",
        "uscc",
        "departments",
        "inspectedOn",
        "approvedOn",
        "publishedOn",
        "items",
        "amendments",
        "__typename",
    ],
    {"items": ITEM_RESULT, "amendments": AMENDMENT},
)
PUBLISHED = _pick(
    ["id", "key", "record", "publishedAt", "amended", "__typename"], {"record": RECORD}
)
PUBLISHED_CONNECTION = _connection(PUBLISHED)
LISTING = _pick(["inspectionId", "listedAt", "removedAt", "__typename"], {})
CREDIT_RECORD = _pick(
    [
        "subjectKey",
        "subjectName",
        "uscc",
        "inspectionCount",
        "abnormalOperation",
        "inspections",
        "inspections(first: 1)",
        "__typename",
    ],
    {
        "abnormalOperation": LISTING,
        "inspections": PUBLISHED_CONNECTION,
        "inspections(first: 1)": PUBLISHED_CONNECTION,
    },
)
PUBLISHED_FILTER = st.fixed_dictionaries(
    {},
    optional={
        "subjectName": st.sampled_from(["鑫源1", "商贸", "无此名"]),
        "uscc": st.sampled_from([pub.uscc(0).lower(), pub.uscc(1), "123"]),
        "subjectKey": st.sampled_from([pub.uscc(2), "x"]),
        "department": st.sampled_from(["SCJG", "STHJ"]),
        "from": st.sampled_from(["2020-01-01", "2099-01-01"]),
        "to": st.sampled_from(["2099-01-01"]),
        "origin": st.sampled_from(["CASE", "RANDOM"]),
    },
)
CHECK_POINT = _pick(["code", "text", "__typename"], {})
ITEM_VERSION = _pick(
    [
        "number",
        "status",
        "name",
        "legalBasis",
        "inspectingBody",
        "content",
        "methods",
        "targetKind",
        "category",
        "ratioCapPercent",
        "expertise",
        "checklist",
        "suitable",
        "unsuitableReason",
        "__typename",
    ],
    {"checklist": CHECK_POINT},
)
INSPECTION_ITEM = _pick(
    [
        "id",
        "code",
        "status",
        "retiredReason",
        "department",
        "name",
        "category",
        "targetKind",
        "ratioCapPercent",
        "suitable",
        "versions",
        "inForce",
        "draft",
        "__typename",
    ],
    {
        "department": DEPARTMENT,
        "versions": ITEM_VERSION,
        "inForce": ITEM_VERSION,
        "draft": ITEM_VERSION,
    },
)
ITEM_FILTER = st.fixed_dictionaries(
    {},
    optional={
        "department": st.sampled_from(["SCJG", "STHJ"]),
        "category": st.sampled_from(["KEY", "GENERAL"]),
        "targetKind": st.sampled_from(["ENTERPRISE", "PRODUCT"]),
        "status": st.sampled_from(["DRAFT", "PUBLISHED", "RETIRED"]),
    },
)
PUBLISHED_KEYS = [pub.case_key(f"CMP-{n}") for n in range(4)]
NODE_IDS = st.one_of(
    st.sampled_from([to_base64("Subject", k) for k in KEYS]),
    st.sampled_from([to_base64("Department", c) for c in ("SCJG", "STHJ", "NONE")]),
    st.sampled_from(
        [to_base64("Subject", KEYS[0].lower()), to_base64("Account", "admin"), "not an id"]
    ),
)
NODE = _pick(["id", "__typename"], {})
FRAGMENT = st.sampled_from(
    [
        "... on Subject",
        "... on Department",
        "... on Inspector",
        "... on PublishedInspection",
        "... on InspectionItem",
        "... on Node",
        "...",
    ]
)


@st.composite
def node_selection(draw: st.DrawFn) -> str:
    parts = [draw(NODE)] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0 if parts else 1, 3))):
        fragment = draw(FRAGMENT)
        body = {
            "... on Subject": SUBJECT,
            "... on Department": DEPARTMENT,
            "... on Inspector": INSPECTOR,
            "... on PublishedInspection": PUBLISHED,
            "... on InspectionItem": INSPECTION_ITEM,
        }.get(fragment, NODE)
        parts.append(f"{fragment} {{ {draw(body)} }}")
    return " ".join(parts)


def _paging(draw: st.DrawFn, i: int, declared: list[str], variables: dict[str, Any]) -> list[str]:
    args: list[str] = []
    first = draw(st.sampled_from([None, 0, 1, 2, 3, 7, 100, 101, -1]))
    if first is not None:
        if draw(st.booleans()):
            args.append(f"first: {first}")
        else:
            args.append(f"first: $f{i}")
            declared.append(f"$f{i}: Int")
            variables[f"f{i}"] = first
    if draw(st.booleans()):
        args.append(f"after: $a{i}")
        declared.append(f"$a{i}: String")
        variables[f"a{i}"] = draw(st.one_of(st.none(), CURSORS))
    return args


LISTS = ("subjects", "departments", "inspectors", "publishedResults", "inspectionItems")


@st.composite
def operations(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A query over the covered roots, with its variables."""
    roots: list[str] = []
    variables: dict[str, Any] = {}
    declared: list[str] = []
    for i in range(draw(st.integers(1, 3))):
        root = draw(st.sampled_from(sorted(ROOTS)))
        alias = f"r{i}: " if i or draw(st.booleans()) else ""
        arg, arg_type, values, selection = ROOTS[root]
        if root in LISTS:
            args = _paging(draw, i, declared, variables)
            if draw(st.integers(0, 2)) == 0:
                args.append(f"filter: $q{i}")
                declared.append(f"$q{i}: {arg_type}")
                variables[f"q{i}"] = draw(values)
        elif arg:
            args = [f"{arg}: $k{i}"]
            declared.append(f"$k{i}: {arg_type}")
            variables[f"k{i}"] = draw(values)
        else:
            args = []
        arglist = f"({', '.join(args)})" if args else ""
        sub = draw(selection) if selection is not None else ""
        if sub and draw(st.integers(0, 4)) == 0 and root.endswith("s"):
            sub = f"... {{ {sub} }}"
        roots.append(f"{alias}{root}{arglist} {{ {sub} }}" if sub else f"{alias}{root}")
    head = f"query Q({', '.join(declared)})" if declared else "query Q"
    return f"{head} {{ {' '.join(roots)} }}", variables


@st.composite
def subject_filter(draw: st.DrawFn) -> dict[str, Any]:
    given = draw(st.lists(st.sampled_from(sorted(FILTERS)), max_size=3, unique=True))
    return {k: draw(FILTERS[k]) for k in given}


ROOTS: dict[str, tuple[str, str, st.SearchStrategy[Any], st.SearchStrategy[str] | None]] = {
    "__typename": ("", "", st.none(), None),
    "subjects": ("", "SubjectFilter", subject_filter(), CONNECTION),
    "subject": (
        "key",
        "String!",
        st.one_of(st.sampled_from(KEYS), st.just(KEYS[0].lower()), st.just("no")),
        SUBJECT,
    ),
    "departments": (
        "",
        "DepartmentFilter",
        st.one_of(st.none(), st.fixed_dictionaries({"member": st.sampled_from([None, True])})),
        DEPARTMENT_CONNECTION,
    ),
    "inspectors": ("", "InspectorFilter", INSPECTOR_FILTER, INSPECTOR_CONNECTION),
    "inspector": ("staffId", "String!", st.sampled_from([*STAFF_IDS, "scjg-01"]), INSPECTOR),
    "publishedResults": ("", "PublishedResultFilter", PUBLISHED_FILTER, PUBLISHED_CONNECTION),
    "creditRecord": (
        "subject",
        "String!",
        st.sampled_from([pub.uscc(0), pub.uscc(1).lower(), pub.uscc(2), "nothing"]),
        CREDIT_RECORD,
    ),
    "inspectionItems": ("", "InspectionItemFilter", ITEM_FILTER, _connection(INSPECTION_ITEM)),
    "inspectionItem": ("code", "String!", st.sampled_from([*ITEM_CODES, "NONE"]), INSPECTION_ITEM),
    "department": ("code", "String!", st.sampled_from(["SCJG", "STHJ", "scjg"]), DEPARTMENT),
    "node": ("id", "ID!", NODE_IDS, node_selection()),
    "nodes": ("ids", "[ID!]!", st.lists(NODE_IDS, max_size=4), node_selection()),
}


# Sending ----------------------------------------------------------------------------------


async def both(
    client: httpx.AsyncClient, user: str | None, query: str, variables: dict[str, Any]
) -> tuple[httpx.Response, httpx.Response]:
    headers = {"authorization": f"Bearer {mint(user, TOKENS)}"} if user else {}
    body = {"query": query, "variables": variables}
    fast = await client.post("/graphql", json=body, headers=headers)
    slow = await client.post("/graphql", json=body, headers={**headers, EXECUTOR_HEADER: "general"})
    assert slow.headers.get(EXECUTOR_HEADER) is None
    return fast, slow


async def differential(
    client: httpx.AsyncClient,
    strategy: st.SearchStrategy[tuple[str, dict[str, Any]]],
    examples: int,
) -> tuple[int, int]:
    """Send ``examples`` drawn operations as drawn roles both ways; (sent, answered compiled)."""
    loop = asyncio.get_running_loop()
    seen = compiled = 0

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy, st.sampled_from(ROLES))
    def check(operation: tuple[str, dict[str, Any]], user: str | None) -> None:
        nonlocal seen, compiled
        query, variables = operation
        fast, slow = asyncio.run_coroutine_threadsafe(
            both(client, user, query, variables), loop
        ).result(timeout=60)
        assert_same(fast, slow, query)
        seen += 1
        compiled += fast.headers.get(EXECUTOR_HEADER) == "compiled"

    await asyncio.to_thread(check)
    return seen, compiled


def assert_same(fast: httpx.Response, slow: httpx.Response, query: str) -> None:
    assert fast.status_code == slow.status_code, query
    assert fast.headers["content-type"] == slow.headers["content-type"], query
    assert fast.content == slow.content, (query, fast.content[:600], slow.content[:600])


@pytest.mark.usefixtures("seeded")
async def test_compiled_answers_are_byte_identical_for_every_role(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    seen, compiled = await differential(client, operations(), EXAMPLES)
    with capsys.disabled():
        print(f"\n[compiled] {seen} operations, {compiled} answered by the compiled path")
    assert seen >= EXAMPLES
    assert compiled >= seen // 3  # most draws are covered; errors and fallbacks are the rest


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("user", ROLES)
async def test_a_keyset_walk_is_identical_page_by_page(
    client: httpx.AsyncClient, user: str | None
) -> None:
    query = (
        "query Page($after: String) { subjects(first: 4, after: $after) { nodes { key name kind"
        " region { code name } industry status riskClass address legalRepresentative"
        " maintainingDepartment { id code name member liaison { name phone email userId } } }"
        " edges { cursor } pageInfo { endCursor hasNextPage } } }"
    )
    after: str | None = None
    pages = 0
    async with asyncio.timeout(60):
        while True:
            fast, slow = await both(client, user, query, {"after": after})
            assert_same(fast, slow, query)
            assert fast.headers[EXECUTOR_HEADER] == "compiled"
            page = fast.json()["data"]["subjects"]
            pages += 1
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    staff = user not in (None, "no-account")
    assert pages == (5 if staff else 1)  # 14 + 3 subjects, 4 a page; the public sees none


PUBLISHED_ALL = (
    "id key publishedAt amended record { inspectionId origin taskId taskTitle subjectKey"
    " subjectName uscc departments inspectedOn approvedOn publishedOn items { item itemName code"
    " codeDescription followUp correctBy receivingBody } amendments { number item beforeCode"
    " afterCode reason amendedOn } }"
)
FULL = {
    "publishedResults": (
        f"{{ publishedResults(first: 10) {{ nodes {{ {PUBLISHED_ALL} }} pageInfo {{ endCursor }}"
        " } }",
        ("CMP-3", "amendedOn", '"code":"R6"', '"code":"B"'),
    ),
    "creditRecord": (
        f'{{ a: creditRecord(subject: "{pub.uscc(1).lower()}") {{ subjectKey subjectName uscc'
        " inspectionCount abnormalOperation { inspectionId listedAt removedAt }"
        f" inspections {{ edges {{ cursor node {{ {PUBLISHED_ALL} }} }} }} }}"
        f' b: creditRecord(subject: "{pub.uscc(0)}") {{ inspections(first: 1) {{'
        " pageInfo { hasNextPage endCursor } } } }",
        ("listedAt", "inspectionCount"),
    ),
    "inspectionItems": (
        "{ inspectionItems(first: 20) { nodes { id code status retiredReason department { code }"
        " name category targetKind ratioCapPercent suitable versions { number status name"
        " legalBasis inspectingBody content methods targetKind category ratioCapPercent expertise"
        " checklist { code text } suitable unsuitableReason } inForce { number } draft { number"
        " name } } } }",
        ("SCJG-REV", '"12.50"', "SUPERSEDED", "STHJ-OLD"),
    ),
    "inspectors": (
        "{ inspectors(first: 20) { nodes { id staffId name kind certificateValidFrom"
        " certificateValidUntil expertise status affiliation userId certificateNumber phone email"
        " conflicts { subjectKey reason } department { code liaison { phone } } } } }",
        ("reason", "ZF-"),
    ),
}


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("root", sorted(FULL))
async def test_every_field_of_a_covered_root_is_identical(
    client: httpx.AsyncClient, root: str
) -> None:
    query, expected = FULL[root]
    for user in ROLES:
        fast, slow = await both(client, user, query, {})
        assert_same(fast, slow, query)
        assert fast.headers[EXECUTOR_HEADER] == "compiled", fast.text
        if user in ("admin", "auditor") or root != "inspectors":
            assert all(e in fast.text for e in expected), fast.text  # the seeded rows are there


UNCOVERED = [
    # another root field, a mutation, introspection, a directive, an interface fragment
    "{ regions { code name } }",
    "{ subjects(first: 1) { nodes { key } } viewer { userId } }",
    "{ __schema { queryType { name } } }",
    "query($s: Boolean!) { subjects(first: 1) { nodes { key @include(if: $s) name } } }",
    '{ node(id: "QWNjb3VudDphZG1pbg==") { id ... on Subject { key } } }',
    "{ inspectors { nodes { trainings { nodes { id } } } } }",
    "mutation { __typename }",
    # errors: reported by the general executor
    "{ subjects(first: 500) { nodes { key } } }",
    '{ subjects(after: "nope") { nodes { key } } }',
    "{ subjects { nodes { nosuchfield } } }",
    '{ subjects(filter: {industry: "??"}) { nodes { key } } }',
]


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("query", UNCOVERED)
async def test_uncovered_shapes_fall_back_and_still_answer(
    client: httpx.AsyncClient, query: str
) -> None:
    for user in ("admin", None):
        headers = {"authorization": f"Bearer {mint(user, TOKENS)}"} if user else {}
        r = await client.post(
            "/graphql", json={"query": query, "variables": {"s": True}}, headers=headers
        )
        slow = await client.post(
            "/graphql",
            json={"query": query, "variables": {"s": True}},
            headers={**headers, EXECUTOR_HEADER: "general"},
        )
        if user is not None:  # (the public's subjects are an empty page, whatever the filter)
            assert r.headers.get(EXECUTOR_HEADER) is None, query
        assert_same(r, slow, query)
        assert r.json().get("data") is not None or r.json().get("errors"), query


def test_the_plan_cache_is_bounded() -> None:
    cache = CompiledOperations(build_schema()._schema, maxsize=4)
    queries = [f"{{ subjects(first: {n}) {{ nodes {{ key }} }} }}" for n in range(10)]
    for query in queries:
        assert cache.plan(query, None, parse(query)) is not None
    assert cache.plan("{ regions { code } }", None, parse("{ regions { code } }")) is None
    assert len(cache.plans) == 4
    assert [q for q, _ in cache.plans] == [*queries[7:], "{ regions { code } }"]
    cache.plan(queries[7], None, parse(queries[7]))  # used again: now the most recent
    assert next(iter(cache.plans))[0] == queries[8]


def test_the_enums_served_from_state_serialise_to_their_stored_value() -> None:
    for enum in (SubjectKind, s.RegistrationStatus, s.RiskClass):
        assert all(m.name == m.value for m in enum)


# Drawn inspections: a database of their own (tasks, draws), every role, the team's staff ids
# for staff and pseudonyms (general executor) for the public.
MEMBER = _pick(["staffId", "role", "inspector", "__typename"], {"inspector": INSPECTOR})
INSPECTION = _pick(
    [
        "id",
        "key",
        "taskId",
        "drawNumber",
        "subjectKey",
        "items",
        "departments",
        "startDate",
        "endDate",
        "status",
        "lead",
        "officers",
        "experts",
        "subject",
        "members",
        "__typename",
    ],
    {"subject": _pick(["key", "name", "__typename"], {}), "members": MEMBER},
)
INSPECTION_TAGS = ("C0", "C1", "C2")


@st.composite
def inspection_operations(draw: st.DrawFn, keys: list[str]) -> tuple[str, dict[str, Any]]:
    variables: dict[str, Any] = {}
    if draw(st.booleans()):
        declared: list[str] = []
        args = _paging(draw, 0, declared, variables)
        given = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "taskId": st.sampled_from(["TI-submitInspectionResults-C1", "none"]),
                    "subjectKey": st.sampled_from([k.split("/")[-1] for k in keys]),
                    "staffId": st.sampled_from(["SCJG-INS-1", "SCJG-INS-2"]),
                },
            )
        )
        if given:
            args.append("filter: $q")
            declared.append("$q: InspectionFilter")
            variables["q"] = given
        head = f"query Q({', '.join(declared)})" if declared else "query Q"
        arglist = f"({', '.join(args)})" if args else ""
        body = draw(_connection(INSPECTION))
        return f"{head} {{ inspections{arglist} {{ {body} }} }}", variables
    variables["k"] = draw(st.sampled_from([*keys, "none"]))
    if draw(st.booleans()):
        return f"query Q($k: String!) {{ inspection(key: $k) {{ {draw(INSPECTION)} }} }}", variables
    variables["k"] = to_base64("Inspection", variables["k"])
    body = draw(INSPECTION)
    return f"query Q($k: ID!) {{ node(id: $k) {{ ... on Inspection {{ {body} }} }} }}", variables


async def test_inspections_are_byte_identical_for_every_role(
    app: Starlette, client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed_people(app.state.runner)
    await reg.seed_matrix(app, tags=INSPECTION_TAGS)
    await insp_fixtures.seed_inspections(app, "submitInspectionResults", tags=INSPECTION_TAGS)
    keys = [insp_fixtures.inspection_of(t, "submitInspectionResults") for t in INSPECTION_TAGS]
    seen, compiled = await differential(client, inspection_operations(keys), EXAMPLES // 2)
    full = (
        "{ inspections { nodes { id key taskId drawNumber subjectKey items departments startDate"
        " endDate status lead officers experts subject { key name } members { staffId role"
        " inspector { staffId phone } } } } }"
    )
    for user in ROLES:
        fast, slow = await both(client, user, full, {})
        assert_same(fast, slow, full)
        staff = user not in (None, "no-account")
        assert fast.headers.get(EXECUTOR_HEADER) == ("compiled" if staff else None)
        assert keys[0] in fast.text
    with capsys.disabled():
        print(f"\n[compiled] inspections: {seen} operations, {compiled} compiled")
    assert compiled >= seen // 4
