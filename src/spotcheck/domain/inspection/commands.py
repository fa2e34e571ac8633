"""The commands on an inspection and the stream key each is about."""

from __future__ import annotations

from datetime import date

from spotcheck.domain.aggregate import Command
from spotcheck.domain.inspection.model import CASE_PREFIX, CaseSource, ItemResult, TransferStatus


# Commands
class OpenCaseInspection(Command, frozen=True, kw_only=True):
    department: str
    reference: str
    source: CaseSource
    subject: str
    items: list[str]
    officers: list[str]
    """Staff ids, the lead first."""
    reason: str | None = None
    end_date: date


class ScheduleInspection(Command, frozen=True, kw_only=True):
    inspection_id: str
    scheduled_on: date


class SubmitInspectionResults(Command, frozen=True, kw_only=True):
    inspection_id: str
    inspected_on: date
    results: list[ItemResult]


class ReturnInspectionResults(Command, frozen=True, kw_only=True):
    inspection_id: str
    reason: str | None = None


class ApproveInspectionResults(Command, frozen=True, kw_only=True):
    inspection_id: str


class PublishInspectionResults(Command, frozen=True, kw_only=True):
    inspection_id: str


class AmendInspectionResult(Command, frozen=True, kw_only=True):
    inspection_id: str
    result: ItemResult
    reason: str | None = None
    objection_id: str | None = None
    """The open objection (异议) this amendment answers, if any."""


class RecordCorrectionRecheck(Command, frozen=True, kw_only=True):
    inspection_id: str
    item: str
    rechecked_on: date
    corrected: bool
    note: str | None = None


class UpdateCaseTransfer(Command, frozen=True, kw_only=True):
    inspection_id: str
    item: str
    status: TransferStatus
    note: str | None = None


InspectionCommand = (
    OpenCaseInspection
    | ScheduleInspection
    | SubmitInspectionResults
    | ReturnInspectionResults
    | ApproveInspectionResults
    | PublishInspectionResults
    | AmendInspectionResult
    | RecordCorrectionRecheck
    | UpdateCaseTransfer
)


# Keys
def case_inspection_id(department: str, reference: str) -> str:
    return f"{CASE_PREFIX}{department}/{reference}"


def command_key(command: InspectionCommand) -> str:
    if isinstance(command, OpenCaseInspection):
        return case_inspection_id(command.department.strip(), command.reference.strip())
    return command.inspection_id
