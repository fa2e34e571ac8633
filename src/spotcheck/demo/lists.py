"""The demo catalogue's fixed lists, read from ``data/*.json`` (shipped in the package):
departments with their liaisons, fields of expertise, inspection items, industries, and the
demo accounts; the regions come from ``spotcheck/domain/data/regions.json``.

Each file is decoded into a frozen record that forbids unknown fields, so a typo in a data file
fails at import; the rows the services take are derived here.  ``spotcheck.demo.catalogue`` is
the public face of this module and of ``spotcheck.demo.registries``.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, TypeVar

import msgspec

Row = dict[str, Any]
"""A JSON-able row (str keys; str, int, bool, None, list and dict values)."""

DEFAULT_SEED = 20261126
FENGTAI_DIVISION = "110106"
"""行政区划代码 of 丰台区, positions 3-8 of a USCC registered in the district."""
EMAIL_DOMAIN = "fengtai.example"
"""RFC 2606 reserves ``.example``: no address here can reach anyone."""

T = TypeVar("T")


def load_data(name: str, shape: type[T]) -> T:
    """``data/{name}`` (shipped in the package), decoded into ``shape``; a file whose fields
    are unknown, missing or of the wrong type fails loudly here rather than in the demo."""
    ref = resources.files("spotcheck.demo") / "data" / name
    return msgspec.json.decode(ref.read_bytes(), type=shape)


class Record(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A record of a data file: an unknown field is a typo, not something to ignore."""


# ---------------------------------------------------------------------------------------------
# Regions (街道、乡镇)

REGIONS: list[Row] = json.loads(
    (resources.files("spotcheck.domain") / "data" / "regions.json").read_text("utf-8")
)
REGION_NAMES: dict[str, str] = {r["code"]: r["name"] for r in REGIONS}
REGION_CODES: list[str] = [r["code"] for r in REGIONS]


# ---------------------------------------------------------------------------------------------
# Departments (联席会议成员单位): data/departments.json, in the order of the seed's list


class _LiaisonRecord(Record, frozen=True):
    name: str
    phone: str


class _DepartmentRecord(Record, frozen=True):
    code: str
    name: str
    short_name: str
    liaison: _LiaisonRecord
    expertise: list[str]
    """The fields of expertise the department's inspectors may have."""
    inspector_weight: float
    """The department's relative share of the generated inspectors."""
    inspecting_body: str | None = None
    """Who inspects, when not the department under its short name."""
    note: str | None = None


_DEPARTMENT_RECORDS = load_data("departments.json", tuple[_DepartmentRecord, ...])


def _department(d: _DepartmentRecord) -> Row:
    user_id = f"liaison-{d.code.lower()}"
    return {
        "code": d.code,
        "name": d.name,
        "short_name": d.short_name,
        "office": d.code == "SCJG",  # 联席会议办公室设在区市场监管局
        "member": True,
        "liaison": {
            "name": d.liaison.name,
            "phone": d.liaison.phone,
            "email": f"{user_id}@{EMAIL_DOMAIN}",
            "user_id": user_id,
        },
    }


DEPARTMENTS: list[Row] = [_department(d) for d in _DEPARTMENT_RECORDS]
DEPARTMENT_CODES: list[str] = [d["code"] for d in DEPARTMENTS]
_BODY: dict[str, str] = {d.code: d.inspecting_body or d.short_name for d in _DEPARTMENT_RECORDS}

INSPECTOR_WEIGHTS: tuple[tuple[str, float], ...] = tuple(
    (d.code, d.inspector_weight) for d in _DEPARTMENT_RECORDS
)
"""Each department's relative share of the generated inspectors."""

DEPARTMENT_EXPERTISE: dict[str, list[str]] = {
    d.code: list(d.expertise) for d in _DEPARTMENT_RECORDS
}
"""The fields of expertise each department's inspectors may have."""


# ---------------------------------------------------------------------------------------------
# Expertise (专业领域): data/expertise.json


class _ExpertiseRecord(Record, frozen=True):
    code: str
    name: str
    expert_affiliations: tuple[str, ...]
    """Where an expert (专家) of the field works: illustrative, never a named body."""


_EXPERTISE_RECORDS = load_data("expertise.json", tuple[_ExpertiseRecord, ...])
EXPERTISE: list[Row] = [{"code": e.code, "name": e.name} for e in _EXPERTISE_RECORDS]
EXPERT_AFFILIATIONS: dict[str, tuple[str, ...]] = {
    e.code: e.expert_affiliations for e in _EXPERTISE_RECORDS
}


# ---------------------------------------------------------------------------------------------
# Inspection items (随机抽查事项清单): data/items.json

METHODS = ("WRITTEN", "ON_SITE", "ONLINE", "DELEGATED")
"""书面检查, 实地核查, 网络监测, 委托检测/审计."""
TARGET_KINDS = ("ENTERPRISE", "INDIVIDUAL_BUSINESS", "PRODUCT", "PROJECT", "BEHAVIOUR")


class _ItemRecord(Record, frozen=True):
    """One item as written in the file: its department is the code's prefix."""

    code: str
    name: str
    legal_basis: str
    content: str
    methods: list[str]
    target_kind: str
    ratio_cap_percent: int | str | None
    """None makes it a key item (重点检查事项, no cap on the ratio); a str is a decimal."""
    expertise: list[str]
    checklist: list[str]
    """The check points, numbered from 1 in this order."""
    unsuitable_reason: str | None = None
    """Why the item is not suited to random inspection, when it is not."""


def _item(r: _ItemRecord) -> Row:
    department = r.code.split("-", 1)[0]
    return {
        "code": r.code,
        "name": r.name,
        "department": department,
        "legal_basis": r.legal_basis,
        "inspecting_body": _BODY[department],
        "content": r.content,
        "methods": list(r.methods),
        "target_kind": r.target_kind,
        "category": "KEY" if r.ratio_cap_percent is None else "GENERAL",
        "ratio_cap_percent": r.ratio_cap_percent,
        "expertise": list(r.expertise),
        "checklist": [{"code": str(i), "text": t} for i, t in enumerate(r.checklist, 1)],
        "suitable": r.unsuitable_reason is None,
        "unsuitable_reason": r.unsuitable_reason,
    }


ITEMS: list[Row] = [_item(r) for r in load_data("items.json", tuple[_ItemRecord, ...])]
ITEMS_BY_CODE = {i["code"]: i for i in ITEMS}


# ---------------------------------------------------------------------------------------------
# Industries (GB/T 4754-2017 classes found in the district): data/industries.json


class _IndustryRecord(Record, frozen=True):
    code: str
    name: str


INDUSTRIES: list[Row] = [
    {"code": r.code, "name": r.name}
    for r in load_data("industries.json", tuple[_IndustryRecord, ...])
]

DEMO_INSPECTOR_NAME = "赵晨阳"
"""The person behind staff SCJG-0001, the ``inspector`` demo account."""

# ---------------------------------------------------------------------------------------------
# Demo accounts

ACCOUNTS: list[Row] = [
    {
        "user_id": "admin",
        "display_name": "系统管理员（演示）",
        "department": "SCJG",
        "roles": ["SYSTEM_ADMIN"],
        "staff_id": None,
    },
    {
        "user_id": "scjg-admin",
        "display_name": "区市场监管局部门管理员（演示）",
        "department": "SCJG",
        "roles": ["DEPARTMENT_ADMIN"],
        "staff_id": None,
    },
    {
        "user_id": "sthj-admin",
        "display_name": "区生态环境局部门管理员（演示）",
        "department": "STHJ",
        "roles": ["DEPARTMENT_ADMIN"],
        "staff_id": None,
    },
    {
        "user_id": "inspector",
        "display_name": DEMO_INSPECTOR_NAME,
        "department": "SCJG",
        "roles": ["INSPECTOR"],
        "staff_id": "SCJG-0001",
    },
    {
        "user_id": "auditor",
        "display_name": "审计人员（演示）",
        "department": "SCJG",
        "roles": ["AUDITOR"],
        "staff_id": None,
    },
    # Liaisons co-manage their department's accounts by being the liaison, not by a role.
    *(
        {
            "user_id": d["liaison"]["user_id"],
            "display_name": d["liaison"]["name"],
            "department": d["code"],
            "roles": [],
            "staff_id": None,
        }
        for d in DEPARTMENTS
    ),
]
