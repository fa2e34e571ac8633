"""Who is acting: roles and department come from the account registry, never from the token."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Role(enum.Enum):
    """Platform roles (角色)."""

    SYSTEM_ADMIN = "SYSTEM_ADMIN"
    """联席会议办公室 at the district market regulation bureau: runs the platform."""
    DEPARTMENT_ADMIN = "DEPARTMENT_ADMIN"
    """A member department's administrator: keeps its registries and lists."""
    INSPECTOR = "INSPECTOR"
    """执法检查人员: inspects and enters results."""
    AUDITOR = "AUDITOR"
    """Reads everything, changes nothing (accountability reviews, 审计)."""


# Roles that only the system administrator may grant: they reach beyond one department.
DISTRICT_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.AUDITOR})


@dataclass(frozen=True)
class Actor:
    """The caller of a command or query.  ``user_id`` None is the anonymous public (公众)."""

    user_id: str | None
    department: str | None = None
    roles: frozenset[Role] = frozenset()
    liaison_of: frozenset[str] = field(default_factory=frozenset)
    """Departments whose liaison (联络员) this user is: they co-manage its accounts."""

    @property
    def is_public(self) -> bool:
        return self.user_id is None

    @property
    def is_staff(self) -> bool:
        """Signed in with at least one role or a liaison duty."""
        return not self.is_public and (bool(self.roles) or bool(self.liaison_of))

    @property
    def is_admin(self) -> bool:
        return Role.SYSTEM_ADMIN in self.roles

    @property
    def reads_everything(self) -> bool:
        return Role.SYSTEM_ADMIN in self.roles or Role.AUDITOR in self.roles

    def maintains(self, department: str) -> bool:
        """May change a department's registry entries (谁审批、谁监管，谁生成、谁维护)."""
        return self.is_admin or (
            Role.DEPARTMENT_ADMIN in self.roles and self.department == department
        )

    def manages_accounts_of(self, department: str) -> bool:
        """May grant and revoke roles of a department's users: its admin or its liaison."""
        return self.maintains(department) or department in self.liaison_of

    def belongs_to(self, department: str) -> bool:
        return self.department == department and self.is_staff

    def metadata_role(self) -> str | None:
        """The roles the actor held when acting, as stored in event metadata."""
        if self.is_public:
            return "PUBLIC"
        names = sorted(r.value for r in self.roles)
        names += [f"LIAISON:{d}" for d in sorted(self.liaison_of)]
        return ",".join(names) or None


PUBLIC = Actor(user_id=None)
SYSTEM = Actor(user_id="system", roles=frozenset({Role.SYSTEM_ADMIN}))
"""The platform itself (bootstrap, demo loading): recorded as actor ``system``."""
