"""Personal data never reaches the public, and reaches staff only where their work needs it.

The test walks the whole schema: for each root field it asks for every field reachable from
it (every type, every nesting, through nodes and connections), as each role, over data with
planted personal values, and looks for those values in the answers.  It also checks that the
walk does reach them for a role that may see them, so it cannot pass by asking for nothing.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import graphql
import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
)
from starlette.applications import Starlette

from spotcheck.api.app import create_app
from spotcheck.api.cost import Budgets
from spotcheck.api.schema import build_schema
from tests.api import fixtures_registry as reg
from tests.api import jointmeeting_fixtures as jm
from tests.api import liaison_fixtures as lia
from tests.api import publishing as pub
from tests.api.conftest import GQL, TOKENS, People
from tests.api.schema_walk import root_queries, strings
from tests.conftest import Db

SCHEMA = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"

# Planted values, by the personal field (Type.field) that carries them.
LIAISON_PHONE = "010-63800000"  # seeded by seed_people for both departments
LIAISON_EMAIL = "SCJG@example.gov.cn"
PLANTED: dict[str, str] = {
    "Liaison.phone": LIAISON_PHONE,
    "Liaison.email": LIAISON_EMAIL,
    "Subject.legalRepresentative": reg.LEGAL_REPRESENTATIVE,
    "Inspector.phone": reg.INSPECTOR_PHONE,
    "Inspector.email": reg.INSPECTOR_EMAIL,
    "Inspector.certificateNumber": reg.CERTIFICATE_NUMBER,
    "ConflictOfInterest.reason": reg.CONFLICT_REASON,
    "JointMeetingSeat.name": jm.SEAT_NAME,
}
# Who may see which: groups of planted fields.
LIAISON = frozenset({"Liaison.phone", "Liaison.email"})
LEGAL_REPRESENTATIVE = frozenset({"Subject.legalRepresentative"})
INSPECTOR_CONTACT = frozenset({"Inspector.phone", "Inspector.email", "Inspector.certificateNumber"})
CONFLICT_REASON = frozenset({"ConflictOfInterest.reason"})
SEAT_NAMES = frozenset({"JointMeetingSeat.name"})
"""The persons in the joint meeting's seats: any staff, never the public."""
STAFF = LIAISON | SEAT_NAMES
EVERYTHING = STAFF | LEGAL_REPRESENTATIVE | INSPECTOR_CONTACT | CONFLICT_REASON

PLAN_TAG = "P"
"""The tag of the plans and task seeded on the planted item (``reg.seed_plans``)."""
# One global id per object type, each of a seeded object.
NODE_KEYS = {
    "Department": "SCJG",
    "Account": reg.PLANTED_ACCOUNT,
    "InspectionItem": reg.PLANTED_ITEM,
    "ItemList": "1",
    "Inspector": reg.PLANTED_STAFF,
    "Subject": reg.PLANTED_SUBJECT,
    "AnnualPlan": reg.filed_plan_id(PLAN_TAG),
    "InspectionTask": reg.task_id(PLAN_TAG),
    "Draw": f"{reg.PLANTED_DRAW_TASK}/1",
    "Inspection": reg.PLANTED_DRAW_INSPECTION,
    "HolidaySchedule": str(reg.PLAN_YEAR),
    "PublicationDeadline": reg.PLANTED_DRAW_TASK,
    "InspectionRecord": reg.PLANTED_DRAW_INSPECTION,
    "PublishedInspection": pub.PLANTED_PUBLICATION,
    "AbnormalListingProposal": pub.PLANTED_PUBLICATION,
    "RiskClassProposal": pub.PLANTED_PUBLICATION,
    "FollowUpTracking": pub.PLANTED_FOLLOW_UP,
    "Objection": pub.PLANTED_OBJECTION,
    "LiaisonReport": lia.PLANTED_REPORT,
    "LiaisonReplacementRequest": lia.PLANTED_REQUEST,
    "CoordinationRequest": lia.PLANTED_REQUEST,
    "Training": lia.PLANTED_TRAINING,
    "Meeting": jm.meeting_id(PLAN_TAG),
    "ActionItem": jm.action_id(PLAN_TAG),
}


def global_id(type_name: str, key: str) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def _s(value: str) -> str:
    return f'"{value}"'


def root_args(node_type: str = "Department") -> dict[str, dict[str, str]]:
    """Arguments for every root field that takes a key: the keys of the planted records."""
    ids = [global_id(t, k) for t, k in NODE_KEYS.items()]
    return {
        "department": {"code": _s("SCJG")},
        "account": {"userId": _s(reg.PLANTED_ACCOUNT)},
        "inspectionItem": {"code": _s(reg.PLANTED_ITEM)},
        "itemList": {"number": "1"},
        "inspector": {"staffId": _s(reg.PLANTED_STAFF)},
        "subject": {"key": _s(reg.PLANTED_SUBJECT)},
        "plan": {"planId": _s(reg.filed_plan_id(PLAN_TAG))},
        "task": {"taskId": _s(reg.task_id(PLAN_TAG))},
        "draws": {"taskId": _s(reg.PLANTED_DRAW_TASK)},
        "draw": {"taskId": _s(reg.PLANTED_DRAW_TASK), "number": "1"},
        "drawTranscript": {"taskId": _s(reg.PLANTED_DRAW_TASK), "number": "1"},
        "drawPublicTranscript": {"taskId": _s(reg.PLANTED_DRAW_TASK), "number": "1"},
        "verifyDraw": {"taskId": _s(reg.PLANTED_DRAW_TASK), "number": "1"},
        "inspection": {"key": _s(reg.PLANTED_DRAW_INSPECTION)},
        "workingCalendar": {"year": str(reg.PLAN_YEAR)},
        "inspectionRecord": {"key": _s(reg.PLANTED_DRAW_INSPECTION)},
        "statistics": {"year": str(reg.PLAN_YEAR)},
        "riskClassFigures": {"year": str(reg.PLAN_YEAR)},
        "annualReport": {"year": str(reg.PLAN_YEAR)},
        "liaisonReportFigures": {"department": _s("SCJG"), "year": str(reg.PLAN_YEAR)},
        "creditRecord": {"subject": _s(pub.uscc(0))},
        "objection": {"key": _s(pub.PLANTED_OBJECTION)},
        "objectionStatus": {"key": _s(pub.PLANTED_OBJECTION), "uscc": _s(pub.uscc(0))},
        "history": {"id": _s("subject-" + reg.PLANTED_SUBJECT)},
        "accountabilityReview": {
            "subject": _s(reg.PLANTED_SUBJECT),
            "from": _s(f"{reg.PLAN_YEAR}-01-01"),
            "to": _s(f"{reg.PLAN_YEAR}-12-31"),
        },
        "inspectorReview": {
            "inspector": _s(reg.PLANTED_STAFF),
            "from": _s(f"{reg.PLAN_YEAR}-01-01"),
            "to": _s(f"{reg.PLAN_YEAR}-12-31"),
        },
        "asOf": {"id": _s("subject-" + reg.PLANTED_SUBJECT), "position": "1000000"},
        "node": {"id": _s(global_id(node_type, NODE_KEYS[node_type]))},
        "nodes": {"ids": "[" + ", ".join(_s(i) for i in ids) + "]"},
        "inclusionProof": {"position": "1", "treeSize": "1"},
        "meeting": {"meetingId": _s(jm.meeting_id(PLAN_TAG))},
        "actionItem": {"actionId": _s(jm.action_id(PLAN_TAG))},
        "consistencyProof": {"fromSize": "1", "toSize": "1"},
    }


def schema() -> GraphQLSchema:
    return build_schema()._schema


def queries() -> dict[str, str]:
    """One query per root field (per possible type for ``node`` and ``nodes``); ``node:T`` asks
    for the planted object of type T."""
    s = schema()
    out = root_queries(s, root_args())
    for type_name in NODE_KEYS:
        key = f"node:{type_name}"
        out[key] = root_queries(s, root_args(type_name))[key]
    return out


# Root fields that refuse callers without the right with a GraphQL error (and a null answer):
# the audit queries and the full draw transcript, for AUDITOR and SYSTEM_ADMIN only; the
# annual report, for them and a department's admin (its own department).
REFUSING_ROOTS = frozenset(
    {
        "auditLog",
        "history",
        "asOf",
        "accountabilityReview",
        "inspectorReview",
        "drawTranscript",
        "annualReport",
    }
)


def _refused(name: str, r: dict[str, Any]) -> bool:
    return (
        name in REFUSING_ROOTS
        and r.get("data") == {name: None}
        and all(e["extensions"]["code"] in ("UNAUTHENTICATED", "FORBIDDEN") for e in r["errors"])
    )


async def walk(gql: GQL, user: str | None) -> tuple[set[str], dict[str, Any]]:
    """Every string in the answers to every root query, and each root query's data."""
    seen: set[str] = set()
    data: dict[str, Any] = {}
    for name, query in queries().items():
        r = await gql(query, as_user=user)
        assert "errors" not in r or _refused(name, r), (user, name, r["errors"])
        assert r.get("data") is not None, (user, name, r)
        data[name] = r["data"]
        seen |= strings(r["data"])
    return seen, data


def personal_fields() -> set[str]:
    """Every ``Type.field`` that carries ``@personal`` in schema/schema.graphql."""
    sdl = graphql.build_schema(SCHEMA.read_text(encoding="utf-8"))
    return {
        f"{t.name}.{name}"
        for t in sdl.type_map.values()
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
        for name, field in t.fields.items()
        if field.ast_node is not None
        and any(d.name.value == "personal" for d in field.ast_node.directives or ())
    }


def test_every_personal_field_has_a_planted_value() -> None:
    """A new @personal field without a planted value fails here."""
    fields = personal_fields()
    assert fields, "no @personal field found: is the directive still called that?"
    assert fields == set(PLANTED), (
        f"without a planted value: {fields - set(PLANTED)}; "
        f"planted for no @personal field: {set(PLANTED) - fields}"
    )
    assert len(set(PLANTED.values())) == len(PLANTED), "planted values must be distinct"


def test_the_walk_skips_no_root_field() -> None:
    s = schema()
    assert s.query_type is not None
    given = root_args()
    for name, f in s.query_type.fields.items():
        for arg_name, arg in f.args.items():
            if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined:
                assert arg_name in given.get(name, {}), f"{name}({arg_name}:) has no root arg"
    node = s.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType)
    assert {t.name for t in s.get_possible_types(node)} == set(NODE_KEYS), (
        "every Node type needs a seeded object (NODE_KEYS)"
    )
    walked = {name.split(":")[0] for name in queries()}
    assert walked == set(s.query_type.fields)


@pytest.fixture
async def app(db: Db) -> AsyncIterator[Starlette]:
    """The server with a query budget the walk fits: it selects every field of every root at
    once (millions by the cost model), which no screen does; it tests visibility, not cost."""
    application = create_app(
        db.app_url, tokens=TOKENS, cost_budgets=Budgets(public=10**9, staff=10**9)
    )
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def planted(app: Starlette, people: People) -> People:
    await reg.seed_planted(app)
    await reg.seed_plans(app, [PLAN_TAG], item=reg.PLANTED_ITEM)
    await reg.seed_planted_draw(app)
    await pub.seed_planted_publication(app)
    await lia.seed_planted_liaison(app)
    await jm.seed_joint_meeting(app, [PLAN_TAG])
    return people


def _values(fields: frozenset[str]) -> set[str]:
    return {PLANTED[f] for f in fields}


def _found(seen: set[str]) -> set[str]:
    return {f for f, v in PLANTED.items() if v in seen}


def _non_null(value: Any) -> bool:
    """A root answer with something in it: an object, or a list or connection not empty."""
    if value is None:
        return False
    if isinstance(value, list):
        return bool(value) and all(v is not None for v in value)
    if isinstance(value, dict) and "nodes" in value:
        return bool(value["nodes"])
    return True


# Who sees which planted personal values (and nobody sees more).
VISIBLE: list[tuple[str, str | None, frozenset[str]]] = [
    ("PUBLIC", None, frozenset()),
    ("NO_ACCOUNT", "no-account", frozenset()),
    ("DEPT_ADMIN_OTHER", "sthj-admin", STAFF),
    ("INSPECTOR", "inspector", STAFF | LEGAL_REPRESENTATIVE),
    ("INSPECTOR_THEMSELF", reg.PLANTED_ACCOUNT, EVERYTHING),
    ("DEPT_ADMIN_OWN", "scjg-admin", EVERYTHING),
    ("AUDITOR", "auditor", EVERYTHING),
    ("SYSTEM_ADMIN", "admin", EVERYTHING),
]


@pytest.mark.parametrize(("who", "user", "fields"), VISIBLE, ids=[v[0] for v in VISIBLE])
async def test_who_sees_personal_data(
    gql: GQL, planted: People, who: str, user: str | None, fields: frozenset[str]
) -> None:
    seen, _ = await walk(gql, user)
    assert _found(seen) == set(fields), who
    assert _values(fields) <= seen  # the walk reaches what the role may see


@pytest.mark.parametrize("user", ["auditor", "admin"])
async def test_the_walk_reaches_every_root_for_district_readers(
    gql: GQL, planted: People, user: str
) -> None:
    """Every root query returns data for those who read everything: the root args are right."""
    _, data = await walk(gql, user)
    empty = [name for name, d in data.items() if not _non_null(d[name.split(":")[0]])]
    assert empty == []
    for type_name in NODE_KEYS:
        assert data[f"node:{type_name}"]["node"]["__typename"] == type_name
