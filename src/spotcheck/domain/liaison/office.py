"""联席会议办公室 The office of the joint meeting, and who speaks for a member department.

The office sits at the district market regulation bureau (区市场监管局, code ``SCJG``; 附件1).
On the platform it is the system administrator (SYSTEM_ADMIN, "联席会议办公室 … runs the
platform", ``domain/actor.py``) and SCJG's department administrators (DEPARTMENT_ADMIN of
``SCJG``): the bureau's staff who run the office's business day to day.  Nobody else acts for
the office; an auditor reads, never acts.

A department speaks through its liaison (联络员, the account linked as its liaison) and its
administrator (DEPARTMENT_ADMIN of that department).  The system administrator does not speak
for a department: the office receives what departments report, it does not write it for them.
"""

from __future__ import annotations

from spotcheck.domain.actor import Actor, Role

OFFICE_DEPARTMENT = "SCJG"
"""区市场监管局, where the office of the joint meeting (联席会议办公室) sits."""


def is_office(actor: Actor) -> bool:
    """Acts for the office of the joint meeting."""
    return actor.is_admin or (
        Role.DEPARTMENT_ADMIN in actor.roles and actor.department == OFFICE_DEPARTMENT
    )


def speaks_for(actor: Actor, department: str) -> bool:
    """The department's liaison or its administrator."""
    return department in actor.liaison_of or (
        Role.DEPARTMENT_ADMIN in actor.roles and actor.department == department
    )
