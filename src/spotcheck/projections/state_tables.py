"""The aggregates' state tables: one row per aggregate, its current state folded from its
events (:class:`~spotcheck.projections.state_table.StateTableProjection`, one generic
projection for all of them).  Each table's name is defined here, once; ``services/catalog.py``
pairs each with its aggregate.  ``inspection_records``, the inspection aggregate's, is named in
``spotcheck.projections.inspections`` with the other inspection read model.

Reading them: by key through :func:`by_keys` (the API's DataLoaders), and each screen's own
filtered keyset page in ``api/``, which names its table through these constants (the filters
use the generated columns the migrations define for that screen).
"""

from __future__ import annotations

DEPARTMENTS = "departments"
ACCOUNTS = "accounts"
INSPECTION_ITEMS = "inspection_items"
INSPECTORS = "inspectors"
SUBJECTS = "subjects"
PLANS = "plans"
TASKS = "tasks"
DRAWS = "draws"
HOLIDAY_SCHEDULES = "holiday_schedules"
EVIDENCE_FILES = "evidence_files"
RISK_CLASS_PROPOSALS = "risk_class_proposals"
OBJECTIONS = "objections"
LIAISON_REPORTS = "liaison_reports"
LIAISON_REPLACEMENT_REQUESTS = "liaison_replacement_requests"
COORDINATION_REQUESTS = "coordination_requests"
TRAININGS = "trainings"
JOINT_MEETING_COMPOSITIONS = "joint_meeting_compositions"
MEETINGS = "meetings"
ACTION_ITEMS = "action_items"


def by_keys(table: str) -> str:
    """The states of the rows whose key is in ``$1`` (a text array), with their keys."""
    return f"SELECT id, state FROM {table} WHERE id = ANY($1::text[])"
