"""Wrote ``ledger-v1.jsonl`` (and ``ledger-v1.pub.pem``) ONCE, with the code of 2026 (issue 14).

DO NOT RE-RUN THIS TO OVERWRITE THE FIXTURE.  The fixture is a ledger written by the code as it
was when it was frozen: the tests (``tests/vectors/test_ledger_v1.py``) check that every later
version of the code still verifies, decodes, folds and rebuilds it.  Writing it again with newer
code would hide exactly the breakage it is there to catch.  When event types are added, freeze a
new ledger next to it (``ledger-v2.jsonl``, a copy of this script writing that file) and keep
this one.

It builds a small world through the real services (the API test fixtures: ``scripted_year``, the
publication and inspection fixtures, then one command for each event type they leave out), lets
the sealer seal it, signs a checkpoint with a fixed test key, and writes the audit export
(``spotcheck audit export``, docs/audit-format.md) and the key's public half.  It refuses to
write unless every event type of ``event_registry()`` appears at least once.

    PYTHONPATH=src python -m tests.vectors.make_ledger_v1 --out /tmp/ledger-v1.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import tempfile
from collections.abc import Awaitable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from starlette.applications import Starlette

from spotcheck.api.app import create_app
from spotcheck.auth.tokens import mint
from spotcheck.db.pool import connect
from spotcheck.domain import abnormal_listing as al
from spotcheck.domain import account as a
from spotcheck.domain import department as d
from spotcheck.domain import holiday_schedule as h
from spotcheck.domain import inspection as i
from spotcheck.domain import inspector as ins
from spotcheck.domain import item as it
from spotcheck.domain import item_list as il
from spotcheck.domain import plan as pl
from spotcheck.domain import task as tk
from spotcheck.domain.actor import Role
from spotcheck.domain.values import Liaison
from spotcheck.evidence.storage import FilesystemEvidenceStorage
from spotcheck.merkle.note import public_key_pem
from spotcheck.services import (
    accounts,
    departments,
    holiday_schedules,
    inspections,
    inspectors,
    items,
    plans,
    publications,
    tasks,
)
from spotcheck.services import evidence as evidence_service
from spotcheck.services.catalog import event_registry
from spotcheck.services.runner import Outcome
from spotcheck.transparency.export import export
from tests.api import fixtures_registry as reg
from tests.api import publishing as pub
from tests.api.conftest import SEED, TOKENS, seed_people
from tests.api.test_rebuild import YEAR_TAG, scripted_year
from tests.cli.audit_world import sign_all
from tests.dbutil import drop_database, fresh_database, make_template, start_cluster

KEY_SEED = b"spotcheck ledger-v1 test key 32b"
"""The fixed test signing key (never a real one): its public half is ``ledger-v1.pub.pem``."""
assert len(KEY_SEED) == 32
KEY = Ed25519PrivateKey.from_private_bytes(KEY_SEED)


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(out, "PNG")
    return out.getvalue()


async def _ok(outcome: Awaitable[Outcome[Any]]) -> None:
    assert (await outcome).events, "the command wrote nothing"


async def the_rest(app: Starlette, evidence_root: Path) -> None:
    """One command (at least) for each event type ``scripted_year`` leaves out."""
    runner, regions = app.state.runner, app.state.regions
    today = pub.today()

    # Departments and accounts.
    liaison = Liaison(name="联络员交接", phone="010-63800001", user_id="liaison-sthj")
    await _ok(departments.handle(runner, SEED, d.HandOverLiaison(code="STHJ", liaison=liaison)))
    await _ok(
        departments.handle(runner, SEED, d.ChangeMembership(code="STHJ", member=False, reason="x"))
    )
    await _ok(
        departments.handle(
            runner, SEED, d.RenameDepartment(code="STHJ", name="丰台区生态环境局", reason="更名")
        )
    )
    await _ok(accounts.handle(runner, SEED, a.GrantRole(user_id="inspector", role=Role.AUDITOR)))
    await _ok(
        accounts.handle(
            runner, SEED, a.RevokeRole(user_id="inspector", role=Role.AUDITOR, reason="调岗")
        )
    )

    # Items and the district list.
    draft = reg.item_code(YEAR_TAG)
    await _ok(items.handle(runner, SEED, it.ReviseItem(code=draft, content=reg.item_content("改"))))
    content = reg.item_content("修订现行")
    await _ok(items.handle(runner, SEED, it.ReviseItem(code=reg.LIVE_ITEM, content=content)))
    old = "SCJG-RETIRED"
    await _ok(
        items.handle(
            runner, SEED, it.CreateItem(code=old, department="SCJG", content=reg.item_content("旧"))
        )
    )
    await _ok(items.handle(runner, SEED, it.PublishItem(code=old)))
    await _ok(items.handle(runner, SEED, it.RetireItem(code=old, reason="法规废止")))
    await _ok(items.publish_list(runner, SEED, il.PublishItemList(note="第一版")))

    # Inspectors.
    staff = reg.staff_id(YEAR_TAG)
    await _ok(
        inspectors.handle(
            runner, SEED, ins.UpdateInspector(staff_id=staff, phone="010-63800002", reason="更正")
        )
    )
    await _ok(
        inspectors.handle(
            runner,
            SEED,
            ins.ChangeInspectorStatus(
                staff_id=staff, status=ins.InspectorStatus.ON_LEAVE, reason="休假"
            ),
        )
    )
    await _ok(
        inspectors.handle(
            runner,
            SEED,
            ins.WithdrawConflict(
                staff_id=staff, subject_key=reg.conflict_subject_key(YEAR_TAG), reason="已解除"
            ),
        )
    )

    # Plans and tasks: a draft plan revised, a draft task revised and cancelled.
    await reg.seed_plans(app, [YEAR_TAG])
    await _ok(plans.handle(runner, SEED, pl.RevisePlan(plan_id=reg.plan_id(YEAR_TAG), title="修")))
    task = reg.task_id(YEAR_TAG)
    revised = tk.ReviseTask(
        task_id=task,
        title="修订任务",
        items=[reg.LIVE_ITEM],
        strata=[tk.StratumSpec(id=tk.ALL, ratio_percent=Decimal(5))],
        start_date=dt.date(reg.PLAN_YEAR, 3, 1),
        end_date=dt.date(reg.PLAN_YEAR, 7, 31),
        reason="调整比例",
    )
    await _ok(tasks.handle(runner, SEED, revised, regions))
    await _ok(tasks.handle(runner, SEED, tk.CancelTask(task_id=task, reason="计划调整"), regions))

    # A holiday schedule published, then revised.
    for reason in (None, "补充调休"):
        schedule = h.PublishHolidaySchedule(
            year=2031,
            holidays=[dt.date(2031, 1, 1)],
            working_weekends=[] if reason is None else [dt.date(2031, 1, 4)],
            source="国务院办公厅通知",
            reason=reason,
        )
        await _ok(holiday_schedules.publish(runner, SEED, schedule))

    # Evidence: two uploads, one attached to a result, the other collected.
    app.state.evidence = FilesystemEvidenceStorage(evidence_root)
    officer = pub.OFFICER_USERS[0]
    transport = httpx.ASGITransport(app=app)
    digests = []
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for colour in ((200, 30, 30), (30, 200, 30)):
            r = await client.post(
                "/evidence",
                content=_png(colour),
                headers={
                    "authorization": f"Bearer {mint(officer, TOKENS)}",
                    "content-type": "image/png",
                },
            )
            assert r.status_code == 201, r.text
            digests.append(str(r.json()["sha256"]))
    kept, dropped = digests
    assert await evidence_service.collect_one(runner, dropped, dt.timedelta(seconds=0))

    # A case scheduled, submitted with evidence, returned, resubmitted with an order to
    # correct, approved and re-checked.
    key = pub.case_key("TS-LEDGER-1")
    opened = i.OpenCaseInspection(
        department="SCJG",
        reference="TS-LEDGER-1",
        source=i.CaseSource.COMPLAINT,
        subject=pub.uscc(0),
        items=[pub.ITEM],
        officers=list(pub.OFFICERS),
        reason="群众投诉举报",
        end_date=today + dt.timedelta(days=30),
    )
    photo = [i.EvidenceRef(sha256=kept, description="现场照片")]
    first = [msgspec.structs.replace(pub.item_result(i.ResultCode.R1), evidence=photo)]
    order = i.FollowUp(kind=i.FollowUpKind.ORDER_TO_CORRECT, correct_by=today)
    for caller, command in (
        (pub.SCJG_ADMIN, opened),
        (pub.OFFICER, i.ScheduleInspection(inspection_id=key, scheduled_on=today)),
        (
            pub.OFFICER,
            i.SubmitInspectionResults(inspection_id=key, inspected_on=today, results=first),
        ),
        (pub.SCJG_ADMIN, i.ReturnInspectionResults(inspection_id=key, reason="照片不清")),
        (
            pub.OFFICER,
            i.SubmitInspectionResults(
                inspection_id=key,
                inspected_on=today,
                results=[pub.item_result(i.ResultCode.A, order)],
            ),
        ),
        (pub.SCJG_ADMIN, i.ApproveInspectionResults(inspection_id=key)),
        (
            pub.SCJG_ADMIN,
            i.RecordCorrectionRecheck(
                inspection_id=key, item=pub.ITEM, rechecked_on=today, corrected=True
            ),
        ),
    ):
        await _ok(inspections.handle(runner, caller, command))

    # A case transferred, its transfer accepted.
    transfer = i.FollowUp(kind=i.FollowUpKind.CASE_TRANSFER, receiving_body="区市场监管局执法队")
    key = await pub.seeded_case(
        app, "TS-LEDGER-2", pub.uscc(0), [pub.item_result(i.ResultCode.D, transfer)]
    )
    accepted = i.UpdateCaseTransfer(
        inspection_id=key, item=pub.ITEM, status=i.TransferStatus.ACCEPTED
    )
    await _ok(inspections.handle(runner, pub.SCJG_ADMIN, accepted))

    # Abnormal-operation proposals: scripted_year's confirmed, another rejected.
    await _ok(
        publications.decide_listing(
            runner, SEED, al.ConfirmAbnormalListing(inspection_id=pub.case_key("TS-2026-0001"))
        )
    )
    key = await pub.seeded_case(app, "TS-LEDGER-3", pub.uscc(0), [pub.item_result(i.ResultCode.R6)])
    await _ok(
        publications.decide_listing(
            runner, SEED, al.RejectAbnormalListing(inspection_id=key, reason="住所已核实")
        )
    )


async def write(out: Path) -> None:
    cluster = start_cluster()
    try:
        await make_template(cluster)
        name = await fresh_database(cluster)
        app = create_app(cluster.app(name), tokens=TOKENS, log_key=KEY)
        with tempfile.TemporaryDirectory() as tmp:
            async with app.router.lifespan_context(app):
                await seed_people(app.state.runner)
                await scripted_year(app)
                await the_rest(app, Path(tmp) / "evidence")
                await sign_all(app)
                pool = app.state.pool
                seen = {r[0] for r in await pool.fetch("SELECT DISTINCT event_type FROM events")}
                missing = set(event_registry().names()) - seen
                assert not missing, f"no event of type {sorted(missing)}"
            conn = await connect(cluster.owner(name))
            try:
                with out.open("wb") as f:
                    report = await export(conn, f)
            finally:
                await conn.close()
        print(report.summary())
        out.with_suffix(".pub.pem").write_text(public_key_pem(KEY.public_key()), encoding="ascii")
        await drop_database(cluster, name)
    finally:
        if cluster.embedded is not None:
            cluster.embedded.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    asyncio.run(write(parser.parse_args().out))


if __name__ == "__main__":
    main()
