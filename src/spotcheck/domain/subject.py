# Over 500 lines: registration, correction and bulk upsert share each field rule.
"""检查对象名录库 registry of inspection subjects: businesses, products, projects, behaviours.

Stream ``subject-{key}``.  A subject is kept by its maintaining department (维护部门), the one
that approves, supervises or produced the record (谁审批、谁监管，谁主管、谁监管，谁生成、谁维护);
only that department's administrator (or the system administrator) registers or corrects it,
and only the system administrator moves it to another department.

Keys
----
* 企业 ENTERPRISE and 个体工商户 INDIVIDUAL_BUSINESS are keyed by their 统一社会信用代码 (USCC,
  GB 32100-2015), normalised to upper case; they carry no ``identifier``.
* 产品 PRODUCT, 项目 PROJECT and 行为 BEHAVIOUR have no USCC; they are keyed by an identifier of
  the scheme ``{KIND}:{DEPT}:{local}``:

  - ``KIND`` is the kind's name (``PRODUCT``, ``PROJECT``, ``BEHAVIOUR``);
  - ``DEPT`` is the code of the department that generated the record, which is its maintaining
    department when it is registered (谁生成、谁维护), e.g. ``SCJG``, ``ZJW``, ``WL``;
  - ``local`` is the department's own number for it: 1 to 64 characters of ``A-Z a-z 0-9 . _ -``.

  Examples: ``PRODUCT:SCJG:2026-000123`` (a product sample number), ``PROJECT:ZJW:FT-2026-0012``
  (a construction project), ``BEHAVIOUR:WL:…``.  The identifier never changes, even when the
  subject later moves to another maintaining department.

Corrections (``UpdateSubject``) always take a reason and record what changed, old and new, in
the API's field spelling (``SubjectChanged.changes``); a correction that changes nothing writes
nothing.  ``decide_upsert`` serves the bulk importer: one row is the full truth about a subject.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any

import msgspec
from msgspec.structs import replace

from spotcheck.domain import rules, uscc
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.regions import Regions


class RegistrationStatus(enum.Enum):
    """登记状态 Registration status of a subject."""

    ACTIVE = "ACTIVE"
    """存续 Active (in business)."""
    DEREGISTERED = "DEREGISTERED"
    """注销 Deregistered."""
    REVOKED = "REVOKED"
    """吊销 Licence revoked."""
    CANCELLED = "CANCELLED"
    """撤销 Registration cancelled."""
    MOVED_OUT = "MOVED_OUT"
    """迁出 Moved out of the jurisdiction."""


class RiskClass(enum.Enum):
    """信用风险分类 Credit risk class: the draw samples higher classes at higher ratios."""

    A = "A"
    """低风险 Low risk."""
    B = "B"
    """一般风险 Ordinary risk."""
    C = "C"
    """较高风险 Elevated risk."""
    D = "D"
    """高风险 High risk."""


BUSINESS_KINDS = frozenset({SubjectKind.ENTERPRISE, SubjectKind.INDIVIDUAL_BUSINESS})
"""Kinds keyed by their USCC."""
LEGAL_REPRESENTATIVE_REQUIRED = frozenset(
    {SubjectKind.ENTERPRISE, SubjectKind.INDIVIDUAL_BUSINESS, SubjectKind.PROJECT}
)
"""Kinds that must name a 法定代表人/经营者 (legal representative or operator)."""

MAX_NAME = 200
MAX_ADDRESS = 300
MAX_LEGAL_REPRESENTATIVE = 50
MAX_TAG = 30
MAX_TAGS = 20
MAX_ITEMS = 200

RETIRED = "RETIRED"
"""The status of an inspection item that may no longer be applied to subjects."""

_IDENTIFIER = re.compile(
    r"^(?P<kind>[A-Z_]+):(?P<dept>[A-Za-z0-9][A-Za-z0-9_.:\-]{0,39}):(?P<local>[A-Za-z0-9._\-]{1,64})$"
)

# GB/T 4754-2017: the section letter (门类) of each 2-digit division (大类).
_SECTIONS = (
    ("A", 1, 5),
    ("B", 6, 12),
    ("C", 13, 43),
    ("D", 44, 46),
    ("E", 47, 50),
    ("F", 51, 52),
    ("G", 53, 60),
    ("H", 61, 62),
    ("I", 63, 65),
    ("J", 66, 69),
    ("K", 70, 70),
    ("L", 71, 72),
    ("M", 73, 75),
    ("N", 76, 79),
    ("O", 80, 82),
    ("P", 83, 83),
    ("Q", 84, 85),
    ("R", 86, 90),
    ("S", 91, 96),
    ("T", 97, 97),
)
SECTION_OF_DIVISION: Mapping[str, str] = {
    f"{n:02d}": letter for letter, lo, hi in _SECTIONS for n in range(lo, hi + 1)
}
_INDUSTRY_PREFIX = re.compile(r"^(?:[A-T]\d{0,4}|\d{2,4})$")


class Subject(msgspec.Struct, frozen=True, kw_only=True):
    """检查对象 An inspection subject as the registry holds it now."""

    key: str
    kind: SubjectKind
    uscc: str | None = None
    identifier: str | None = None
    name: str
    region: str
    industry: str | None = None
    address: str | None = None
    legal_representative: str | None = None
    status: RegistrationStatus = RegistrationStatus.ACTIVE
    risk_class: RiskClass | None = None
    maintaining_department: str
    tags: list[str] = msgspec.field(default_factory=list)
    items: list[str] = msgspec.field(default_factory=list)


class SubjectRefs(msgspec.Struct, frozen=True, kw_only=True):
    """Reference data a decision needs: department codes, the region list, item code → status."""

    departments: frozenset[str]
    regions: Regions
    items: Mapping[str, str]


# Commands
class RegisterSubject(Command, frozen=True, kw_only=True):
    """Register a subject; also the shape of one row for the bulk importer."""

    kind: SubjectKind
    uscc: str | None = None
    identifier: str | None = None
    name: str
    region: str
    industry: str | None = None
    address: str | None = None
    legal_representative: str | None = None
    status: RegistrationStatus = RegistrationStatus.ACTIVE
    risk_class: RiskClass | None = None
    maintaining_department: str
    tags: list[str] = msgspec.field(default_factory=list)
    items: list[str] = msgspec.field(default_factory=list)


class UpdateSubject(Command, frozen=True, kw_only=True):
    """Correct a subject.  ``None`` leaves a field unchanged; an empty string clears an optional
    text field (industry, address, a legal representative the kind does not require); an empty
    list clears tags or items."""

    key: str
    reason: str | None = None
    name: str | None = None
    region: str | None = None
    industry: str | None = None
    address: str | None = None
    legal_representative: str | None = None
    status: RegistrationStatus | None = None
    risk_class: RiskClass | None = None
    maintaining_department: str | None = None
    tags: list[str] | None = None
    items: list[str] | None = None


SubjectCommand = RegisterSubject | UpdateSubject


# Events
class SubjectRegistered(Event, frozen=True, kw_only=True):
    key: str
    kind: SubjectKind
    uscc: str | None
    identifier: str | None
    name: str
    region: str
    industry: str | None
    address: str | None
    legal_representative: str | None
    status: RegistrationStatus
    risk_class: RiskClass | None
    maintaining_department: str
    tags: list[str]
    items: list[str]


class FieldChange(msgspec.Struct, frozen=True, kw_only=True):
    """One changed field: its value before and after (enums as their names)."""

    old: str | list[str] | None
    new: str | list[str] | None


class SubjectChanged(Event, frozen=True, kw_only=True):
    changes: dict[str, FieldChange]
    """Field name in the API's spelling (e.g. ``riskClass``) → old and new value."""
    reason: str
    proposal: str | None = None
    """The credit-risk proposal (its inspection id, stream ``creditrisk-{id}``) a confirmed
    class change carries out; None for a correction by hand."""


# The changeable fields: state attribute → API spelling.
CHANGEABLE: Mapping[str, str] = {
    "name": "name",
    "region": "region",
    "industry": "industry",
    "address": "address",
    "legal_representative": "legalRepresentative",
    "status": "status",
    "risk_class": "riskClass",
    "maintaining_department": "maintainingDepartment",
    "tags": "tags",
    "items": "items",
}
_ATTRIBUTE_OF = {api: attr for attr, api in CHANGEABLE.items()}


def normalise_key(key: str) -> str:
    """A subject key as stored: identifiers (which hold ``:``) as given, USCCs in upper case."""
    key = key.strip()
    return key if ":" in key else uscc.normalise(key)


def subject_key(command: RegisterSubject) -> str:
    """The key a registration is stored under (validated by ``decide``; may be empty)."""
    if command.kind in BUSINESS_KINDS:
        return uscc.normalise(command.uscc or "")
    return (command.identifier or "").strip()


def command_key(command: SubjectCommand) -> str:
    if isinstance(command, RegisterSubject):
        return subject_key(command)
    return normalise_key(command.key)


def normalise_industry(p: Problems, field: str, value: str | None) -> str | None:
    """A GB/T 4754 code in upper case with its section letter (``5211`` → ``F5211``)."""
    if value is None:
        return None
    code = value.strip().upper()
    if not code:
        return None
    before = len(p.items)
    rules.industry(p, field, code)
    if len(p.items) > before:
        return None
    if code[0].isdigit():
        letter = SECTION_OF_DIVISION.get(code[:2])
        if letter is None:
            p.add(ErrorCode.INVALID_INDUSTRY, field, f"{code[:2]!r} is not a GB/T 4754 division")
            return None
        return letter + code
    if len(code) > 1 and SECTION_OF_DIVISION.get(code[1:3]) != code[0]:
        p.add(
            ErrorCode.INVALID_INDUSTRY,
            field,
            f"division {code[1:3]!r} does not belong to section {code[0]!r} of GB/T 4754",
        )
        return None
    return code


def industry_prefix(value: str) -> str | None:
    """A filter's industry prefix with its section letter (``52`` → ``F52``), or None if bad."""
    code = value.strip().upper()
    if not _INDUSTRY_PREFIX.match(code):
        return None
    if code[0].isdigit():
        letter = SECTION_OF_DIVISION.get(code[:2])
        return None if letter is None else letter + code
    return code


def _text(
    p: Problems, field: str, value: str | None, max_len: int, *, required: bool
) -> str | None:
    rules.text(p, field, value, max_len=max_len, required=required)
    if value is None:
        return None
    return value.strip() or None


def _tags(p: Problems, values: list[str]) -> list[str]:
    seen: set[str] = set()
    for i, raw in enumerate(values):
        tag = raw.strip()
        if not tag:
            p.add(ErrorCode.REQUIRED, f"tags.{i}", "a tag may not be empty")
        elif len(tag) > MAX_TAG:
            p.add(
                ErrorCode.TOO_LONG, f"tags.{i}", f"tag has {len(tag)} characters; at most {MAX_TAG}"
            )
        else:
            seen.add(tag)
    if len(seen) > MAX_TAGS:
        p.add(ErrorCode.OUT_OF_RANGE, "tags", f"{len(seen)} tags; at most {MAX_TAGS}")
    return sorted(seen)


def _items(p: Problems, values: list[str], refs: SubjectRefs, kept: list[str]) -> list[str]:
    """Applicable item codes: each must exist and not be retired, unless already applied."""
    codes = sorted(set(values))
    if len(codes) > MAX_ITEMS:
        p.add(ErrorCode.OUT_OF_RANGE, "items", f"{len(codes)} items; at most {MAX_ITEMS}")
    known = refs.items
    for c in codes:
        status = known.get(c)
        if status is None:
            p.add(ErrorCode.UNKNOWN_ITEM, "items", f"no inspection item {c!r}")
        elif status == RETIRED and c not in kept:
            p.add(ErrorCode.UNKNOWN_ITEM, "items", f"inspection item {c!r} is retired")
    return codes


def _region(p: Problems, value: str | None, refs: SubjectRefs) -> str:
    code = (value or "").strip()
    if not code:
        p.add(ErrorCode.REQUIRED, "region", "region is required")
    else:
        refs.regions.check(p, "region", code)
    return code


def _department(p: Problems, value: str, refs: SubjectRefs) -> str:
    if value not in refs.departments:
        p.add(ErrorCode.UNKNOWN_DEPARTMENT, "maintainingDepartment", f"no department {value!r}")
    return value


def _legal_representative(p: Problems, kind: SubjectKind, value: str | None) -> str | None:
    return _text(
        p,
        "legalRepresentative",
        value,
        MAX_LEGAL_REPRESENTATIVE,
        required=kind in LEGAL_REPRESENTATIVE_REQUIRED,
    )


def _check_key(p: Problems, command: RegisterSubject) -> str:
    """Validate the USCC or the identifier of a new subject; returns the key."""
    kind = command.kind
    if kind in BUSINESS_KINDS:
        if command.identifier is not None and command.identifier.strip():
            p.add(
                ErrorCode.INVALID_FORMAT,
                "identifier",
                "a business is identified by its USCC (统一社会信用代码); leave identifier empty",
            )
        if command.uscc is None or not command.uscc.strip():
            p.add(ErrorCode.REQUIRED, "uscc", "a business needs its USCC (统一社会信用代码)")
            return ""
        code = uscc.normalise(command.uscc)
        problem = uscc.problem(code, "uscc")
        if problem is not None:
            p.items.append(problem)
        return code
    if command.uscc is not None and command.uscc.strip():
        p.add(
            ErrorCode.INVALID_FORMAT,
            "uscc",
            f"a {kind.value} subject has no USCC; it is keyed by its identifier",
        )
    ident = (command.identifier or "").strip()
    if not ident:
        p.add(
            ErrorCode.REQUIRED,
            "identifier",
            f"a {kind.value} subject needs an identifier {kind.value}:{{DEPT}}:{{local}}",
        )
        return ""
    m = _IDENTIFIER.match(ident)
    if m is None:
        p.add(
            ErrorCode.INVALID_FORMAT,
            "identifier",
            f"an identifier reads {kind.value}:{{DEPT}}:{{local}}, local being 1-64 characters "
            "of A-Z a-z 0-9 . _ -",
        )
    elif m["kind"] != kind.value:
        p.add(
            ErrorCode.INVALID_FORMAT,
            "identifier",
            f"the identifier starts with {m['kind']!r}, not the subject's kind {kind.value!r}",
        )
    elif m["dept"] != command.maintaining_department:
        p.add(
            ErrorCode.INVALID_FORMAT,
            "identifier",
            f"the identifier's department {m['dept']!r} is not the maintaining department "
            f"{command.maintaining_department!r} (谁生成、谁维护)",
        )
    return ident


def _authorize(actor: Actor, department: str, field: str | None) -> None:
    if not (actor.is_admin or Role.DEPARTMENT_ADMIN in actor.roles):
        raise rules.forbid(
            "only the system administrator and department administrators keep the registry "
            "of inspection subjects"
        )
    if not actor.maintains(department):
        raise DomainError.one(
            ErrorCode.NOT_MAINTAINING_DEPARTMENT,
            field,
            f"subjects maintained by {department!r} are kept by that department "
            "(谁审批、谁监管，谁生成、谁维护)",
        )


def _authorize_move(actor: Actor, state: Subject, department: str) -> None:
    if department != state.maintaining_department and not actor.is_admin:
        raise rules.forbid(
            "only the system administrator moves a subject to another maintaining department",
            "maintainingDepartment",
        )


def _fields(
    p: Problems, command: RegisterSubject, refs: SubjectRefs, kept_items: list[str]
) -> dict[str, Any]:
    """Every changeable field of a registration, validated and normalised."""
    return {
        "name": _text(p, "name", command.name, MAX_NAME, required=True),
        "region": _region(p, command.region, refs),
        "industry": normalise_industry(p, "industry", command.industry),
        "address": _text(p, "address", command.address, MAX_ADDRESS, required=False),
        "legal_representative": _legal_representative(
            p, command.kind, command.legal_representative
        ),
        "status": command.status,
        "risk_class": command.risk_class,
        "maintaining_department": _department(p, command.maintaining_department, refs),
        "tags": _tags(p, command.tags),
        "items": _items(p, command.items, refs, kept_items),
    }


def _plain(value: Any) -> str | list[str] | None:
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, list):
        return list(value)
    return value  # type: ignore[no-any-return]


def _changed(state: Subject, fields: Mapping[str, Any], reason: str) -> list[Event]:
    changes = {
        CHANGEABLE[attr]: FieldChange(old=_plain(old), new=_plain(new))
        for attr, new in fields.items()
        if (old := getattr(state, attr)) != new
    }
    return [SubjectChanged(changes=changes, reason=reason.strip())] if changes else []


def _register(
    state: Subject | None, command: RegisterSubject, actor: Actor, refs: SubjectRefs
) -> list[Event]:
    _authorize(actor, command.maintaining_department, "maintainingDepartment")
    p = Problems()
    key = _check_key(p, command)
    fields = _fields(p, command, refs, [])
    p.raise_if_any()
    if state is not None:
        field = "uscc" if command.kind in BUSINESS_KINDS else "identifier"
        raise DomainError.one(ErrorCode.ALREADY_EXISTS, field, f"subject {key!r} is registered")
    business = command.kind in BUSINESS_KINDS
    return [
        SubjectRegistered(
            key=key,
            kind=command.kind,
            uscc=key if business else None,
            identifier=None if business else key,
            **fields,
        )
    ]


def _update(state: Subject, command: UpdateSubject, actor: Actor, refs: SubjectRefs) -> list[Event]:
    _authorize(actor, state.maintaining_department, None)
    if command.maintaining_department is not None:
        _authorize_move(actor, state, command.maintaining_department)
    p = Problems()
    rules.reason(p, command.reason, "correcting a subject")
    fields: dict[str, Any] = {}
    if command.name is not None:
        fields["name"] = _text(p, "name", command.name, MAX_NAME, required=True)
    if command.region is not None:
        fields["region"] = _region(p, command.region, refs)
    if command.industry is not None:
        fields["industry"] = normalise_industry(p, "industry", command.industry)
    if command.address is not None:
        fields["address"] = _text(p, "address", command.address, MAX_ADDRESS, required=False)
    if command.legal_representative is not None:
        fields["legal_representative"] = _legal_representative(
            p, state.kind, command.legal_representative
        )
    if command.status is not None:
        fields["status"] = command.status
    if command.risk_class is not None:
        fields["risk_class"] = command.risk_class
    if command.maintaining_department is not None:
        fields["maintaining_department"] = _department(p, command.maintaining_department, refs)
    if command.tags is not None:
        fields["tags"] = _tags(p, command.tags)
    if command.items is not None:
        fields["items"] = _items(p, command.items, refs, state.items)
    p.raise_if_any()
    return _changed(state, fields, str(command.reason))


def decide(
    state: Subject | None, command: SubjectCommand, actor: Actor, refs: SubjectRefs
) -> list[Event]:
    if isinstance(command, RegisterSubject):
        return _register(state, command, actor, refs)
    if state is None:
        raise DomainError.one(ErrorCode.NOT_FOUND, "key", f"no subject {command.key!r}")
    return _update(state, command, actor, refs)


def decide_upsert(
    state: Subject | None, register: RegisterSubject, actor: Actor, refs: SubjectRefs, reason: str
) -> list[Event]:
    """For the bulk importer: the row is the whole truth about the subject.

    A new subject is registered; an existing one gets one ``SubjectChanged`` with every field
    that differs (the same authorization and validation as a correction, the reason applying to
    all); an unchanged one gets nothing.  Inspection items already applied to the subject may
    stay after they were retired.
    """
    if state is None:
        return _register(None, register, actor, refs)
    _authorize(actor, state.maintaining_department, None)
    _authorize_move(actor, state, register.maintaining_department)
    p = Problems()
    if register.kind is not state.kind:
        p.add(
            ErrorCode.INVALID_TRANSITION,
            "kind",
            f"subject {state.key!r} is a {state.kind.value}; its kind cannot change",
        )
    if subject_key(register) != state.key:
        field = "uscc" if state.kind in BUSINESS_KINDS else "identifier"
        p.add(ErrorCode.INVALID_FORMAT, field, f"the row is not about subject {state.key!r}")
    fields = _fields(p, register, refs, state.items)
    rules.reason(p, reason, "changing a subject")
    p.raise_if_any()
    return _changed(state, fields, reason)


def _convert(attr: str, value: str | list[str] | None) -> Any:
    if value is None:
        return None
    if attr == "status":
        return RegistrationStatus(value)
    if attr == "risk_class":
        return RiskClass(value)
    if isinstance(value, list):
        return list(value)
    return value


def evolve(state: Subject | None, event: Event) -> Subject:
    if isinstance(event, SubjectRegistered):
        return Subject(
            key=event.key,
            kind=event.kind,
            uscc=event.uscc,
            identifier=event.identifier,
            name=event.name,
            region=event.region,
            industry=event.industry,
            address=event.address,
            legal_representative=event.legal_representative,
            status=event.status,
            risk_class=event.risk_class,
            maintaining_department=event.maintaining_department,
            tags=list(event.tags),
            items=list(event.items),
        )
    assert state is not None, f"{type(event).__name__} before SubjectRegistered"
    if isinstance(event, SubjectChanged):
        updates = {}
        for api, change in event.changes.items():
            attr = _ATTRIBUTE_OF[api]
            updates[attr] = _convert(attr, change.new)
        return replace(state, **updates)
    raise TypeError(f"not a subject event: {event!r}")


SPEC: AggregateSpec[Subject] = AggregateSpec(
    name="subject",
    stream_prefix="subject-",
    events=(SubjectRegistered, SubjectChanged),
    evolve=evolve,
    state_type=Subject,
    born_as=frozenset({"SubjectRegistered"}),
)
