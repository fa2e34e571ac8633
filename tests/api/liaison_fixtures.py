"""Seeded records of the liaison system (联络员制度) for the schema-wide tests."""

from __future__ import annotations

import datetime as dt

from starlette.applications import Starlette

from spotcheck.domain.liaison import report as r
from spotcheck.domain.liaison import requests as q
from spotcheck.domain.liaison import training as t
from spotcheck.services import liaisons
from spotcheck.services.actors import load_actor
from spotcheck.services.runner import Caller
from tests.api import fixtures_registry as reg
from tests.api.conftest import SEED

PLANTED_REPORT = r.report_id("SCJG", reg.PLAN_YEAR, 1)
PLANTED_REQUEST = "PLANTED-REQ"
PLANTED_TRAINING = "PLANTED-TRAINING"
HELD_ON = dt.date(2024, 5, 20)
REQUEST_MUTATIONS = frozenset({"answerLiaisonReplacement", "answerCoordinationRequest"})
TRAINING_MUTATIONS = frozenset({"recordTrainingAttendance"})


def training_id(tag: str) -> str:
    return f"TR-{tag}"


async def _training(app: Starlette, training: str, attendees: list[str]) -> None:
    command = t.RecordTraining(
        training_id=training,
        department="SCJG",
        title="双随机抽查业务培训",
        held_on=HELD_ON,
        content="抽查事项清单与检查规范",
        attendees=attendees,
    )
    assert (await liaisons.training(app.state.runner, SEED, command)).events


async def seed_matrix_trainings(app: Starlette) -> None:
    """Per role column, an SCJG training attended by ``SELF_INSPECTOR`` (so each column adds
    its own ``staff_id(tag)``)."""
    for tag in reg.TAGS:
        await _training(app, training_id(tag), [reg.SELF_INSPECTOR])


def replacement_id(tag: str) -> str:
    return f"RR-{tag}"


def coordination_id(tag: str) -> str:
    return f"CR-{tag}"


async def _requests(app: Starlette, replacement: str, coordination: str) -> None:
    runner = app.state.runner
    liaison = await as_user(app, "liaison-scjg")
    ask = q.RequestLiaisonReplacement(
        request_id=replacement, department="SCJG", reason="多次未按时报送工作信息"
    )
    assert (await liaisons.replacement(runner, SEED, ask)).events
    raise_ = q.RaiseCoordinationRequest(
        request_id=coordination,
        department="SCJG",
        title="联合检查协调",
        matter="需生态环境局派员参加",
        departments=["STHJ"],
    )
    assert (await liaisons.coordination(runner, liaison, raise_)).events


async def seed_matrix_requests(app: Starlette) -> None:
    """An open replacement request about SCJG's liaison and an open coordination request of
    SCJG, per role column."""
    for tag in reg.TAGS:
        await _requests(app, replacement_id(tag), coordination_id(tag))


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
    await _requests(app, PLANTED_REQUEST, PLANTED_REQUEST)
    await _training(app, PLANTED_TRAINING, [reg.PLANTED_STAFF])
