"""``spotcheck demo``: load the demo catalogue through the same services every user goes through.

Departments, accounts and inspection items are registered with commands; subjects and
inspectors go through the bulk importer; conflicts of interest are declared with commands.
Everything is recorded as done by the actor ``system`` with the reason ``demo data``, sealed
into the ledger like any other change.  Loading twice writes nothing new the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from spotcheck.clock import beijing_today
from spotcheck.demo import activity, catalogue
from spotcheck.demo.activity import ActivityReport
from spotcheck.domain import account as a
from spotcheck.domain import department as d
from spotcheck.domain import inspector as ins
from spotcheck.domain import item as it
from spotcheck.domain import item_list as il
from spotcheck.domain.actor import SYSTEM
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.domain.regions import Regions
from spotcheck.domain.values import Liaison
from spotcheck.importer.formats import Row
from spotcheck.importer.registries import inspectors_spec, subjects_spec
from spotcheck.importer.run import import_rows
from spotcheck.services import accounts, departments, inspectors, items
from spotcheck.services.runner import Caller, CommandRunner

DEMO = Caller(actor=SYSTEM, request_id="demo")
REASON = "demo data"


@dataclass
class DemoReport:
    departments: int = 0
    accounts: int = 0
    items: int = 0
    item_list: int | None = None
    subjects: int = 0
    inspectors: int = 0
    conflicts: int = 0
    activity: ActivityReport | None = None

    def summary(self) -> str:
        return (
            f"demo: {self.departments} departments, {self.accounts} accounts, {self.items} "
            f"inspection items (district list no. {self.item_list}), {self.subjects} subjects, "
            f"{self.inspectors} inspectors, {self.conflicts} conflicts of interest (new this run)"
            + (f"; {self.activity.summary()}" if self.activity else "")
        )


async def _once(coro: Any) -> bool:
    """Run a command; True if it wrote something, False if it was already there."""
    try:
        outcome = await coro
    except DomainError as exc:
        if exc.code is ErrorCode.ALREADY_EXISTS:
            return False
        raise
    return bool(outcome.events)


def _item_content(row: dict[str, Any]) -> it.ItemContent:
    fields = {k: v for k, v in row.items() if k in it.ItemContent.__struct_fields__}
    return msgspec.convert(fields, it.ItemContent)


async def load_demo(
    runner: CommandRunner,
    regions: Regions,
    *,
    subjects: int = 20_000,
    inspector_count: int = 300,
    progress: bool = False,
) -> DemoReport:
    report = DemoReport()
    for dep in catalogue.DEPARTMENTS:
        cmd = d.RegisterDepartment(
            code=dep["code"],
            name=dep["name"],
            liaison=msgspec.convert(dep["liaison"], Liaison),
            member=dep["member"],
        )
        report.departments += await _once(departments.handle(runner, DEMO, cmd))
    for acc in catalogue.ACCOUNTS:  # one per role, and each liaison's
        fields = {k: v for k, v in acc.items() if k in a.CreateAccount.__struct_fields__}
        cmd_a = msgspec.convert(fields, a.CreateAccount)
        report.accounts += await _once(accounts.handle(runner, DEMO, cmd_a))
    for row in catalogue.ITEMS:
        created = await _once(
            items.handle(
                runner,
                DEMO,
                it.CreateItem(
                    code=row["code"], department=row["department"], content=_item_content(row)
                ),
            )
        )
        if created:
            await items.handle(runner, DEMO, it.PublishItem(code=row["code"]))
            report.items += 1
    if report.items:
        listed = await items.publish_list(
            runner, DEMO, il.PublishItemList(note="丰台区随机抽查事项清单（演示数据）")
        )
        report.item_list = listed.state.number if listed.state else None
    subject_rows = list(catalogue.subjects(subjects))
    imported = await import_rows(
        runner,
        subjects_spec(regions),
        [Row(n, r) for n, r in enumerate(subject_rows, start=1)],
        DEMO,
        reason=REASON,
        total=len(subject_rows),
        progress=progress,
    )
    _no_rejects(imported.rejected, "subjects")
    report.subjects = imported.registered
    year = (await beijing_today(runner.store.pool)).year
    inspector_rows = list(catalogue.inspectors(inspector_count, year=year))
    imported = await import_rows(
        runner,
        inspectors_spec(),
        [Row(n, r) for n, r in enumerate(inspector_rows, start=1)],
        DEMO,
        reason=REASON,
        total=len(inspector_rows),
        progress=progress,
    )
    _no_rejects(imported.rejected, "inspectors")
    report.inspectors = imported.registered
    keys = [r["uscc"] or r["identifier"] for r in subject_rows]
    for c in catalogue.conflicts(keys, [r["staff_id"] for r in inspector_rows]):
        cmd_c = ins.DeclareConflict(
            staff_id=c["staff_id"], subject_key=c["subject_key"], reason=c["reason"]
        )
        report.conflicts += bool((await inspectors.handle(runner, DEMO, cmd_c)).events)
    checklists = {
        r["code"]: len(r["checklist"]) for r in catalogue.ITEMS if r["code"] in activity.ITEMS
    }
    report.activity = await activity.load_activity(runner, regions, checklists)
    return report


def _no_rejects(rejected: int, what: str) -> None:
    if rejected:
        raise RuntimeError(f"the demo catalogue has {rejected} {what} the registry rejects")
