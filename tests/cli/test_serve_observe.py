"""``serve`` as a real process: JSON log lines only, ``/metrics`` on its own port and never on
the API's."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import Db

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_logs_json_and_serves_metrics_on_their_own_port(db: Db, tmp_path: Path) -> None:
    api, metrics = _free_port(), _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SPOTCHECK_")},
        "DATABASE_URL": db.owner_url,
        "SPOTCHECK_APP_DATABASE_URL": db.app_url,
        "SPOTCHECK_HOME": str(tmp_path / "home"),
        "SPOTCHECK_PORT": str(api),
        "SPOTCHECK_METRICS_PORT": str(metrics),
        "SPOTCHECK_RATE_LIMIT": "off",
        "PYTHONPATH": str(ROOT / "src"),
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "spotcheck.cli.main", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                if httpx.get(f"http://127.0.0.1:{api}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve did not answer in time"
            time.sleep(0.1)
        query = {"query": "query Head { ledgerStatus { headPosition } }"}
        r = httpx.post(f"http://127.0.0.1:{api}/graphql", json=query, timeout=5)
        assert r.status_code == 200 and r.headers["x-request-id"]
        assert httpx.get(f"http://127.0.0.1:{api}/metrics", timeout=5).status_code == 404
        assert httpx.get(f"http://127.0.0.1:{metrics}/graphql", timeout=5).status_code == 404
        scraped = httpx.get(f"http://127.0.0.1:{metrics}/metrics", timeout=5)
        assert scraped.status_code == 200
        assert (
            'spotcheck_requests_total{operation="Head",outcome="ok",route="/graphql"} 1.0'
            in scraped.text
        )
        assert "spotcheck_database_up 1.0" in scraped.text
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]  # JSON, every one
    assert any(
        line["logger"] == "spotcheck.request" and line.get("operation") == "Head" for line in lines
    ), err
    started = [line["message"] for line in lines if line["logger"].startswith("uvicorn")]
    assert any(f":{metrics}" in m for m in started), started
    assert "Traceback" not in out + err
