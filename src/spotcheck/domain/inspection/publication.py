"""What the public sees of an inspection (公示): the published record."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from spotcheck.domain.inspection.model import (
    Amendment,
    Inspection,
    ItemResult,
    PublicationRefs,
    PublishedAmendment,
    PublishedItem,
    PublishedRecord,
    beijing_date,
)


# Publication
def published_item(r: ItemResult, name: str) -> PublishedItem:
    return PublishedItem(
        item=r.item,
        item_name=name,
        code=r.code,
        follow_up=r.follow_up.kind,
        correct_by=r.follow_up.correct_by,
        receiving_body=r.follow_up.receiving_body,
    )


def published_amendment(a: Amendment) -> PublishedAmendment:
    return PublishedAmendment(
        number=a.number,
        item=a.item,
        before_code=a.before.code,
        after_code=a.after.code,
        reason=a.reason,
        amended_on=beijing_date(a.at),
    )


def build_record(
    state: Inspection, published_on: date, item_names: Mapping[str, str], pub: PublicationRefs
) -> PublishedRecord:
    assert state.inspected_on is not None and state.approved_on is not None
    return PublishedRecord(
        inspection_id=state.inspection_id,
        origin=state.origin,
        task_id=state.task_id,
        task_title=pub.task_title,
        subject=state.subject,
        subject_name=pub.subject_name,
        uscc=pub.uscc,
        departments=list(state.departments),
        inspected_on=state.inspected_on,
        approved_on=state.approved_on,
        published_on=published_on,
        items=[published_item(r, item_names.get(r.item, r.item)) for r in state.results],
        amendments=[published_amendment(a) for a in state.amendments],
    )
