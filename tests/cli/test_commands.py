"""The spotcheck command end to end on the test database: demo, import, admin, token."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from spotcheck.auth.tokens import TokenSettings, verify
from spotcheck.cli.main import main
from spotcheck.demo import catalogue
from spotcheck.importer.formats import write_csv
from spotcheck.importer.registries import SUBJECT_COLUMNS
from tests.conftest import Db


@pytest.fixture
def env(db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", db.owner_url)
    monkeypatch.setenv("SPOTCHECK_APP_DATABASE_URL", db.app_url)
    monkeypatch.setenv("SPOTCHECK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SPOTCHECK_ENV", raising=False)
    return tmp_path


@pytest.mark.calendar  # the demo's dates follow today
def test_demo_import_admin_and_token(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--subjects", "0", "--inspectors", "0"]) == 0
    assert "16 departments" in capsys.readouterr().out

    rows = list(catalogue.subjects(30))
    rows[3] = rows[3] | {"region": "nowhere"}
    path = env / "subjects.csv"
    path.write_text(write_csv(rows, list(SUBJECT_COLUMNS)), "utf-8")
    assert main(["import", "subjects", str(path), "--as", "scjg-admin", "--quiet"]) == 1
    out = capsys.readouterr().out
    rejects = list(csv.DictReader((env / "subjects.csv.rejects.csv").open(encoding="utf-8")))
    by_line = {r["line"]: r["code"] for r in rejects}
    assert by_line.pop("5") == "UNKNOWN_REGION"
    # the others: rows another department maintains, which scjg-admin may not import
    elsewhere = {
        str(n) for n, r in enumerate(rows, start=2) if r["maintaining_department"] != "SCJG"
    }
    assert by_line == dict.fromkeys(elsewhere - {"5"}, "NOT_MAINTAINING_DEPARTMENT")
    assert "rejected" in out

    bad_header = env / "typo.csv"
    bad_header.write_text("kind,usc,name\nENTERPRISE,x,y\n", "utf-8")
    assert main(["import", "subjects", str(bad_header), "--as", "admin", "--quiet"]) == 2
    assert "unknown columns usc" in capsys.readouterr().err

    assert main(["admin", "create", "--user", "second-admin", "--name", "李四"]) == 2
    assert "a system administrator exists" in capsys.readouterr().err

    assert main(["token", "--user", "admin", "--hours", "1"]) == 0
    token = capsys.readouterr().out.strip()
    settings = TokenSettings.from_env({}, env / "home", production=False)
    assert verify(token, settings).subject == "admin"


def test_token_refused_in_production(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPOTCHECK_ENV", "production")
    assert main(["token", "--user", "admin"]) == 2
