"""Seeded records of the liaison system (联络员制度) for the schema-wide tests."""

from __future__ import annotations

from starlette.applications import Starlette

from spotcheck.domain.liaison import report as r
from spotcheck.services import liaisons
from spotcheck.services.actors import load_actor
from spotcheck.services.runner import Caller
from tests.api import fixtures_registry as reg

PLANTED_REPORT = r.report_id("SCJG", reg.PLAN_YEAR, 1)


async def as_user(app: Starlette, user: str) -> Caller:
    return Caller(actor=await load_actor(app.state.pool, user), request_id="test-seed")


async def seed_planted_liaison(app: Starlette) -> None:
    """A work information report of SCJG (its liaison, liaison-scjg)."""
    runner = app.state.runner
    liaison = await as_user(app, "liaison-scjg")
    command = r.SubmitLiaisonReport(
        department="SCJG", year=reg.PLAN_YEAR, quarter=1, progress="季度工作推进情况"
    )
    assert (await liaisons.submit_report(runner, liaison, command)).events
