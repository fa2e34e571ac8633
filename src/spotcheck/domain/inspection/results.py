"""Checking entered results (检查结果) against the item versions in force."""

from __future__ import annotations

from datetime import date

from spotcheck.domain import rules
from spotcheck.domain.errors import ErrorCode, Problems
from spotcheck.domain.inspection.model import (
    MAX_BODY,
    MAX_CORRECTION_DAYS,
    MAX_EVIDENCE,
    MAX_FINDINGS,
    MAX_NOTE,
    PROBLEM_CODES,
    SHA256,
    TRANSFER_KINDS,
    CheckMark,
    CheckPointResult,
    EvidenceRef,
    FollowUp,
    FollowUpKind,
    Inspection,
    InspectionRefs,
    ItemRef,
    ItemResult,
    ResultCode,
    TransferStatus,
)
from spotcheck.domain.item import ItemMethod


# Rules: results
def _check_follow_up(
    p: Problems, field: str, f: FollowUp, inspected_on: date, refs: InspectionRefs
) -> FollowUp:
    needs = {
        FollowUpKind.ORDER_TO_CORRECT: "correct_by",
        FollowUpKind.CASE_TRANSFER: "receiving_body",
        FollowUpKind.JUDICIAL_TRANSFER: "receiving_body",
        FollowUpKind.NOTIFY_DEPARTMENT: "notify_department",
        FollowUpKind.OTHER: "description",
    }
    api = {
        "correct_by": "correctBy",
        "receiving_body": "receivingBody",
        "notify_department": "notifyDepartment",
        "description": "description",
    }
    wanted = needs.get(f.kind)
    for attr, name in api.items():
        value = getattr(f, attr)
        if isinstance(value, str) and not value.strip():
            value = None
        if attr == wanted and value is None:
            p.add(ErrorCode.REQUIRED, f"{field}.{name}", f"{f.kind.value} needs {name}")
        elif attr != wanted and value is not None:
            p.add(
                ErrorCode.INVALID_FORMAT,
                f"{field}.{name}",
                f"{name} is given only for "
                + ", ".join(k.value for k, a in needs.items() if a == attr),
            )
    if f.correct_by is not None and f.correct_by < inspected_on:
        p.add(
            ErrorCode.INVALID_DATE_RANGE,
            f"{field}.correctBy",
            f"the deadline {f.correct_by.isoformat()} is before the inspection "
            f"({inspected_on.isoformat()})",
        )
    elif f.correct_by is not None and (f.correct_by - inspected_on).days > MAX_CORRECTION_DAYS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            f"{field}.correctBy",
            f"the deadline {f.correct_by.isoformat()} is more than {MAX_CORRECTION_DAYS} days "
            f"after the inspection ({inspected_on.isoformat()})",
        )
    for attr in ("receiving_body", "description"):
        value = getattr(f, attr)
        if value is not None and value.strip():
            rules.text(
                p,
                f"{field}.{api[attr]}",
                value,
                max_len=MAX_BODY if attr != "description" else MAX_NOTE,
                multiline=attr == "description",
            )
    dept = f.notify_department.strip() if f.notify_department else None
    if dept and dept not in refs.departments:
        p.add(ErrorCode.UNKNOWN_DEPARTMENT, f"{field}.notifyDepartment", f"no department {dept!r}")
    return FollowUp(
        kind=f.kind,
        correct_by=f.correct_by if wanted == "correct_by" else None,
        receiving_body=f.receiving_body.strip()
        if wanted == "receiving_body" and f.receiving_body
        else None,
        notify_department=dept if wanted == "notify_department" else None,
        description=f.description.strip() if wanted == "description" and f.description else None,
        transfer_status=TransferStatus.TRANSFERRED if f.kind in TRANSFER_KINDS else None,
    )


def _check_evidence(
    p: Problems, field: str, evidence: list[EvidenceRef], item: ItemRef | None, refs: InspectionRefs
) -> list[EvidenceRef]:
    out: list[EvidenceRef] = []
    if len(evidence) > MAX_EVIDENCE:
        p.add(ErrorCode.OUT_OF_RANGE, field, f"at most {MAX_EVIDENCE} evidence files per item")
    seen: set[str] = set()
    for n, e in enumerate(evidence):
        ef = f"{field}.{n}"
        digest = e.sha256.strip().lower()
        if not SHA256.match(digest):
            p.add(ErrorCode.INVALID_FORMAT, f"{ef}.sha256", "a SHA-256 is 64 hexadecimal digits")
        elif digest in seen:
            p.add(ErrorCode.ALREADY_EXISTS, f"{ef}.sha256", f"evidence {digest} is given twice")
        elif digest in refs.collected_evidence:
            p.add(
                ErrorCode.EVIDENCE_COLLECTED,
                f"{ef}.sha256",
                f"evidence {digest} was collected: no result referenced it within the "
                "unattached time (SPOTCHECK_EVIDENCE_UNATTACHED_TTL) and its file is deleted; "
                "upload it again with POST /evidence",
            )
        elif digest not in refs.known_evidence:
            p.add(
                ErrorCode.NOT_FOUND,
                f"{ef}.sha256",
                f"no uploaded evidence {digest} (upload it with POST /evidence first)",
            )
        elif digest in refs.unreadable_evidence:
            p.add(
                ErrorCode.FORBIDDEN,
                f"{ef}.sha256",
                f"evidence {digest} was uploaded by another department and is not referenced "
                "by an inspection of yours: a result references only evidence its author may "
                "read (upload your own copy)",
            )
        seen.add(digest)
        rules.text(p, f"{ef}.description", e.description, max_len=MAX_NOTE, multiline=True)
        body = e.delegated_body.strip() if e.delegated_body and e.delegated_body.strip() else None
        if body is not None:
            rules.text(p, f"{ef}.delegatedBody", body, max_len=MAX_BODY)
            if item is not None and ItemMethod.DELEGATED not in item.methods:
                p.add(
                    ErrorCode.INVALID_FORMAT,
                    f"{ef}.delegatedBody",
                    f"item {item.code!r} is not inspected by delegated testing or audit "
                    "(委托检测/审计); delegatedBody is not given",
                )
        out.append(
            EvidenceRef(sha256=digest, description=e.description.strip(), delegated_body=body)
        )
    if (
        item is not None
        and ItemMethod.DELEGATED in item.methods
        and out
        and all(e.delegated_body is None for e in out)
    ):
        p.add(
            ErrorCode.REQUIRED,
            f"{field}.0.delegatedBody",
            f"item {item.code!r} is inspected by delegated testing or audit (委托检测/审计): "
            "name the body whose report is given",
        )
    return out


def check_result(
    p: Problems, field: str, r: ItemResult, inspected_on: date, refs: InspectionRefs
) -> ItemResult:
    """One item's result, checked against its item version in force; returned normalised."""
    item = refs.items.get(r.item)
    if item is None:
        p.add(ErrorCode.UNKNOWN_ITEM, f"{field}.item", f"item {r.item!r} has no version in force")
    points: list[CheckPointResult] = []
    marked: set[str] = set()
    for n, cp in enumerate(r.check_points):
        cf = f"{field}.checkPoints.{n}"
        if item is not None and cp.point not in item.checklist:
            p.add(
                ErrorCode.NOT_FOUND,
                f"{cf}.point",
                f"{cp.point!r} is not a check point of item {r.item!r}",
            )
        elif cp.point in marked:
            p.add(
                ErrorCode.ALREADY_EXISTS, f"{cf}.point", f"check point {cp.point!r} is marked twice"
            )
        marked.add(cp.point)
        note = cp.note.strip() if cp.note and cp.note.strip() else None
        if cp.mark is CheckMark.NOT_APPLICABLE and note is None:
            p.add(ErrorCode.REQUIRED, f"{cf}.note", "a check point not applicable needs a note why")
        rules.text(p, f"{cf}.note", note, max_len=MAX_NOTE, required=False, multiline=True)
        points.append(CheckPointResult(point=cp.point, mark=cp.mark, note=note))
    if item is not None:
        missing = [c for c in item.checklist if c not in marked]
        if missing:
            p.add(
                ErrorCode.REQUIRED,
                f"{field}.checkPoints",
                f"mark every check point of item {r.item!r}; missing: {', '.join(missing)}",
            )
    findings = r.findings.strip()
    rules.text(
        p,
        f"{field}.findings",
        findings,
        max_len=MAX_FINDINGS,
        required=r.code in PROBLEM_CODES,
        multiline=True,
    )
    if r.code is ResultCode.R1 and r.follow_up.kind is not FollowUpKind.NONE:
        p.add(
            ErrorCode.INVALID_FORMAT,
            f"{field}.followUp.kind",
            "code 1 (未发现问题 no problem found) takes no follow-up",
        )
    follow_up = _check_follow_up(p, f"{field}.followUp", r.follow_up, inspected_on, refs)
    evidence = _check_evidence(p, f"{field}.evidence", r.evidence, item, refs)
    return ItemResult(
        item=r.item,
        check_points=points,
        code=r.code,
        findings=findings,
        follow_up=follow_up,
        evidence=evidence,
    )


def check_results(
    p: Problems,
    items: list[str],
    results: list[ItemResult],
    inspected_on: date,
    refs: InspectionRefs,
) -> list[ItemResult]:
    """Exactly one result per item of the inspection, each checked; in the inspection's item
    order."""
    out: dict[str, ItemResult] = {}
    for n, r in enumerate(results):
        field = f"results.{n}"
        if r.item not in items:
            p.add(
                ErrorCode.UNKNOWN_ITEM,
                f"{field}.item",
                f"item {r.item!r} is not an item of this inspection",
            )
            continue
        if r.item in out:
            p.add(ErrorCode.ALREADY_EXISTS, f"{field}.item", f"item {r.item!r} has two results")
            continue
        out[r.item] = check_result(p, field, r, inspected_on, refs)
    missing = [i for i in items if i not in out and i not in {r.item for r in results}]
    if missing:
        p.add(
            ErrorCode.REQUIRED,
            "results",
            f"give one result per item of the inspection; missing: {', '.join(missing)}",
        )
    return [out[i] for i in items if i in out]


def _check_inspected_on(p: Problems, state: Inspection, day: date, refs: InspectionRefs) -> None:
    if state.start_date is not None and day < state.start_date:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "inspectedOn",
            f"{day.isoformat()} is before the start date {state.start_date.isoformat()}",
        )
    if day > refs.today:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "inspectedOn",
            f"{day.isoformat()} is in the future (today is {refs.today.isoformat()}, Beijing)",
        )
