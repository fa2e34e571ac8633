"""Every mutation × every role → allowed, or the exact error code.  One table drives it all.

Roles: SYSTEM_ADMIN; DEPARTMENT_ADMIN of the department that owns the record (SCJG) and of
another one (STHJ); INSPECTOR; AUDITOR; the department's liaison (no role); the public.
Each cell runs on its own keys (``tag``), so an allowed cell succeeds rather than colliding.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.api.conftest import GQL, People

OK = "OK"
ROLES = ("admin", "scjg-admin", "sthj-admin", "inspector", "auditor", "liaison-scjg", None)
HEADER = (
    "SYSTEM_ADMIN",
    "DEPT_ADMIN_OWN",
    "DEPT_ADMIN_OTHER",
    "INSPECTOR",
    "AUDITOR",
    "LIAISON",
    "PUBLIC",
)


@dataclass(frozen=True)
class Row:
    mutation: str
    input: Callable[[str], dict[str, Any]]
    expect: tuple[str, str, str, str, str, str, str]  # in HEADER order


def liaison(tag: str) -> dict[str, Any]:
    return {"name": "联络员" + tag, "phone": "010-63800001"}


TABLE: list[Row] = [
    Row(
        "registerDepartment",
        lambda t: {"code": f"D{t}", "name": "部门" + t, "liaison": liaison(t)},
        (OK, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"),
    ),
    # New contact details for the same liaison account, so the liaison stays liaison.
    Row(
        "handOverLiaison",
        lambda t: {"code": "SCJG", "liaison": liaison(t) | {"userId": "liaison-scjg"}},
        (OK, OK, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", OK, "UNAUTHENTICATED"),
    ),
    Row(
        "changeDepartmentMembership",
        lambda t: {"code": "STHJ", "member": True, "reason": "复核"},
        (OK, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"),
    ),
    Row(
        "renameDepartment",
        lambda t: {"code": "STHJ", "name": "生态环境局" + t, "reason": "更名"},
        (OK, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"),
    ),
    Row(
        "createAccount",
        lambda t: {
            "userId": f"u-{t}",
            "displayName": t,
            "department": "SCJG",
            "roles": ["INSPECTOR"],
        },
        (OK, OK, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", OK, "UNAUTHENTICATED"),
    ),
    Row(
        "grantRole",
        lambda t: {"userId": "inspector", "role": "INSPECTOR"},
        (OK, OK, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", OK, "UNAUTHENTICATED"),
    ),
    Row(
        "grantRole",
        lambda t: {"userId": "inspector", "role": "AUDITOR"},
        (OK, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"),
    ),
    Row(
        "revokeRole",
        lambda t: {"userId": "inspector", "role": "DEPARTMENT_ADMIN", "reason": "调岗"},
        (OK, OK, "FORBIDDEN", "FORBIDDEN", "FORBIDDEN", OK, "UNAUTHENTICATED"),
    ),
]


def _input_type(mutation: str) -> str:
    return mutation[0].upper() + mutation[1:] + "Input"


@pytest.mark.parametrize("row", TABLE, ids=lambda r: r.mutation)
async def test_authorization_matrix(gql: GQL, people: People, row: Row) -> None:
    query = (
        f"mutation($input: {_input_type(row.mutation)}!) "
        f"{{ r: {row.mutation}(input: $input) {{ errors {{ code field message }} }} }}"
    )
    got = []
    for i, user in enumerate(ROLES):
        r = await gql(query, as_user=user, input=row.input(f"{i}{row.mutation[:3]}"))
        assert "errors" not in r, r
        errors = r["data"]["r"]["errors"]
        got.append(errors[0]["code"] if errors else OK)
    assert dict(zip(HEADER, got, strict=True)) == dict(zip(HEADER, row.expect, strict=True))
