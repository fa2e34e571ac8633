"""Opening a case inspection (个案检查): the department's administrator names the officers."""

from __future__ import annotations

from datetime import date

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.inspection.commands import OpenCaseInspection, case_inspection_id
from spotcheck.domain.inspection.events import CaseInspectionOpened
from spotcheck.domain.inspection.model import (
    MAX_CASE_DAYS,
    MAX_CASE_OFFICERS,
    MIN_CASE_OFFICERS,
    REFERENCE,
    Inspection,
    InspectionRefs,
)
from spotcheck.domain.inspector import (
    counts_towards_minimum,
    eligible_on,
    has_conflict,
)


def _case_reference(p: Problems, raw: str) -> str:
    reference = raw.strip()
    if not REFERENCE.match(reference):
        p.add(
            ErrorCode.INVALID_FORMAT,
            "reference",
            "the record number has 1-64 ASCII letters, digits and . _ -, starting with a letter "
            "or digit",
        )
    return reference


def _case_items(p: Problems, codes: list[str], department: str, refs: InspectionRefs) -> list[str]:
    """A case's items: each in force and the department's own, in order without repeats."""
    items: list[str] = []
    if not codes:
        p.add(ErrorCode.REQUIRED, "items", "a case inspection checks at least one item")
    for n, raw in enumerate(codes):
        code = raw.strip()
        item = refs.items.get(code)
        if item is None:
            p.add(ErrorCode.UNKNOWN_ITEM, f"items.{n}", f"item {code!r} has no version in force")
        elif item.department != department:
            p.add(
                ErrorCode.FORBIDDEN,
                f"items.{n}",
                f"item {code!r} belongs to {item.department}; a case inspection checks its own "
                "department's items",
            )
        elif code not in items:
            items.append(code)
    return items


def _case_end_date(p: Problems, end_date: date, today: date) -> None:
    if end_date < today:
        p.add(
            ErrorCode.INVALID_DATE_RANGE,
            "endDate",
            f"the end date {end_date.isoformat()} is before today ({today.isoformat()})",
        )
    elif (end_date - today).days > MAX_CASE_DAYS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "endDate",
            f"the end date {end_date.isoformat()} is more than {MAX_CASE_DAYS} days after "
            f"today ({today.isoformat()})",
        )


def _case_officers(
    p: Problems,
    named: list[str],
    department: str,
    subject: str,
    today: date,
    refs: InspectionRefs,
) -> list[str]:
    """The named officers: each on duty in the department, without a conflict; 2 to 10."""
    officers: list[str] = []
    for n, raw in enumerate(named):
        staff = raw.strip()
        field = f"officers.{n}"
        ins = refs.officers.get(staff)
        if staff in officers:
            p.add(ErrorCode.ALREADY_EXISTS, field, f"{staff!r} is named twice")
            continue
        if ins is None:
            p.add(ErrorCode.NOT_FOUND, field, f"no inspector {staff!r}")
        elif ins.department != department:
            p.add(
                ErrorCode.DEPARTMENT_NOT_PARTICIPATING,
                field,
                f"{staff!r} is an inspector of {ins.department}, not of {department}",
            )
        elif not counts_towards_minimum(ins):
            p.add(
                ErrorCode.INSPECTOR_NOT_ELIGIBLE,
                field,
                f"{staff!r} is an expert (专家): experts assist and are not named as officers",
            )
        elif not eligible_on(ins, today):
            p.add(
                ErrorCode.INSPECTOR_NOT_ELIGIBLE,
                field,
                f"{staff!r} is not on duty (在岗) with an enforcement certificate valid today",
            )
        elif has_conflict(ins, subject):
            p.add(
                ErrorCode.CONFLICT_OF_INTEREST,
                field,
                f"{staff!r} declared a conflict of interest (回避) with {subject!r}",
            )
        officers.append(staff)
    if not MIN_CASE_OFFICERS <= len(officers) <= MAX_CASE_OFFICERS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "officers",
            f"name {MIN_CASE_OFFICERS} to {MAX_CASE_OFFICERS} officers (the first is the lead, "
            f"主检), not {len(officers)}",
        )
    return officers


def _open_case(
    state: Inspection | None, c: OpenCaseInspection, actor: Actor, refs: InspectionRefs
) -> list[Event]:
    department = c.department.strip()
    if not (Role.DEPARTMENT_ADMIN in actor.roles and actor.department == department):
        raise rules.forbid(
            "a case inspection (个案) is assigned by the administrator of its department "
            f"({department}), a named person",
            "department",
        )
    p = Problems()
    reference = _case_reference(p, c.reference)
    rules.reason(p, c.reason, "assigning a case inspection")
    subject = c.subject.strip()
    if not refs.subject_exists:
        p.add(ErrorCode.NOT_FOUND, "subject", f"no inspection subject {subject!r}")
    items = _case_items(p, c.items, department, refs)
    today = refs.today
    _case_end_date(p, c.end_date, today)
    officers = _case_officers(p, c.officers, department, subject, today, refs)
    p.raise_if_any()
    key = case_inspection_id(department, reference)
    if state is not None:
        raise DomainError.one(
            ErrorCode.ALREADY_EXISTS,
            "reference",
            f"a case inspection of {department} for record {reference!r} exists",
        )
    return [
        CaseInspectionOpened(
            inspection_id=key,
            department=department,
            reference=reference,
            source=c.source,
            subject=subject,
            items=items,
            departments=[department],
            officers=officers,
            reason=str(c.reason).strip(),
            assigned_by=str(actor.user_id),
            start_date=today,
            end_date=c.end_date,
        )
    ]
