"""The data of ``spotcheck bench api``, through the real write path: the demo catalogue's
departments, one INSPECTOR account and the demo subjects (bulk importer, else the subjects
service), all sealed before a server starts."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from spotcheck.cli.bench.common import Target, logger
from spotcheck.db.pool import connect, create_pool

if TYPE_CHECKING:
    from spotcheck.domain.regions import Regions
    from spotcheck.services.runner import Caller, CommandRunner

INSPECTOR = "bench-inspector"
INSPECTOR_DEPARTMENT = "SCJG"
LOAD_CONCURRENCY = 8
SEAL_TIMEOUT = 600.0

Results = dict[str, Any]
Row = dict[str, Any]

log = logger("api")


async def seed_departments_and_inspector(runner: CommandRunner) -> int:
    """The demo catalogue's departments and one INSPECTOR account; returns the departments."""
    from spotcheck.demo.catalogue import DEPARTMENTS
    from spotcheck.domain import account as a
    from spotcheck.domain import department as d
    from spotcheck.domain.actor import SYSTEM, Role
    from spotcheck.domain.values import Liaison
    from spotcheck.services import accounts, departments
    from spotcheck.services.runner import Caller

    caller = Caller(actor=SYSTEM, request_id="bench-api-seed")
    for row in DEPARTMENTS:
        liaison = row["liaison"]
        await departments.handle(
            runner,
            caller,
            d.RegisterDepartment(
                code=row["code"],
                name=row["name"],
                member=row["member"],
                liaison=Liaison(
                    name=liaison["name"],
                    phone=liaison["phone"],
                    email=liaison["email"],
                    user_id=liaison["user_id"],
                ),
            ),
        )
    await accounts.handle(
        runner,
        caller,
        a.CreateAccount(
            user_id=INSPECTOR,
            display_name="压测检查员",
            department=INSPECTOR_DEPARTMENT,
            roles=[Role.INSPECTOR],
        ),
    )
    return len(DEPARTMENTS)


def demo_subject_rows(n: int) -> Iterator[Row]:
    """The demo catalogue's first ``n`` subjects, without their inspection items: a subject may
    only name items that exist, loading the item list is another area's work, and the query
    reads none."""
    from spotcheck.demo.catalogue import subjects

    for row in subjects(n):
        yield {**row, "items": []}


async def seed_subjects(runner: CommandRunner, n: int) -> str:
    """``n`` demo subjects through the bulk importer (batches of registrations, each batch one
    transaction), or one RegisterSubject command each through the subjects service where the
    importer is missing; returns how they were loaded."""
    from spotcheck.domain.actor import SYSTEM
    from spotcheck.domain.regions import Regions
    from spotcheck.services.runner import Caller

    caller = Caller(actor=SYSTEM, request_id="bench-api-seed")
    regions = Regions.load()
    try:
        from spotcheck.importer.formats import Row as ImportRow
        from spotcheck.importer.registries import subjects_spec
        from spotcheck.importer.run import DEFAULT_BATCH, import_rows
    except ImportError:
        return await _seed_subjects_one_by_one(runner, caller, regions, n)
    report = await import_rows(
        runner,
        subjects_spec(regions),
        (ImportRow(line, row) for line, row in enumerate(demo_subject_rows(n), start=1)),
        caller,
        reason="spotcheck bench api: demo data",
        total=n,
    )
    log(f"subjects: {report.summary()}")
    if report.rejected or report.registered != n:
        raise RuntimeError(f"the importer did not register every subject: {report.summary()}")
    return f"spotcheck.importer (batches of {DEFAULT_BATCH}); demo catalogue, no items"


async def _seed_subjects_one_by_one(
    runner: CommandRunner, caller: Caller, regions: Regions, n: int
) -> str:
    import msgspec

    from spotcheck.domain import subject as s
    from spotcheck.services import subjects as service

    rows = demo_subject_rows(n)
    done = 0
    step = max(1, n // 10)

    async def worker() -> None:
        nonlocal done
        for row in rows:  # shared: each row goes to one worker
            command = msgspec.convert(row, s.RegisterSubject)
            await service.handle(runner, caller, command, regions)
            done += 1
            if done % step == 0:
                log(f"subjects: {done}/{n}")

    await asyncio.gather(*(worker() for _ in range(min(LOAD_CONCURRENCY, n))))
    return (
        f"spotcheck.services.subjects.handle, one RegisterSubject each from {LOAD_CONCURRENCY} "
        "tasks; demo catalogue, no items"
    )


async def load_data(target: Target, subjects: int) -> Results:
    """Departments, the inspector and the subjects, through the services and the importer,
    all sealed before the server starts (so its sealer has nothing to catch up on)."""
    from spotcheck.eventstore.sealer import Sealer
    from spotcheck.eventstore.store import EventStore
    from spotcheck.services.catalog import event_registry, projections
    from spotcheck.services.runner import CommandRunner

    pool = await create_pool(target.app_url, min_size=2, max_size=LOAD_CONCURRENCY + 2)
    store = EventStore(pool, event_registry())
    sealer = Sealer(target.app_url)
    sealer.follow(store)
    sealer_task = asyncio.create_task(sealer.run())
    owner = await connect(target.owner_url)
    try:
        runner = CommandRunner(store, projections())
        began = time.monotonic()
        departments = await seed_departments_and_inspector(runner)
        log(f"loading {subjects} subjects")
        how = await seed_subjects(runner, subjects)
        loaded = time.monotonic()
        # Seal everything now, so that the server's sealer has nothing to catch up on.
        events = int(await owner.fetchval("SELECT count(*) FROM events"))
        await sealer.wait_sealed(events, timeout=SEAL_TIMEOUT)
        sealed = time.monotonic()
        log(f"loaded in {loaded - began:.1f} s, sealed {events} events in {sealed - loaded:.1f} s")
        return {
            "subjects": subjects,
            "departments": departments,
            "loader": how,
            "events": events,
            "load_seconds": round(loaded - began, 3),
            "seal_seconds": round(sealed - loaded, 3),
        }
    finally:
        sealer_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sealer_task
        await owner.close()
        await pool.close()
