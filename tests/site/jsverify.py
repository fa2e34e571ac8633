"""Run the site's JavaScript verifier (``static/verifier.js``) under Node.js, outside a browser.

Node has the same WebCrypto as the browser (SHA-256, Ed25519), so the verifier's logic can be
pinned to the Python verifier on many transcripts in a second, while the browser tests check it
in the page.  The module is copied to ``<tmp>/verifier.mjs`` so Node loads it as an ES module.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

VERIFIER = Path(str(resources.files("spotcheck.site"))) / "static" / "verifier.js"
HARNESS = """
import { verifyTranscript, verifyInclusion } from './verifier.mjs';
const input = JSON.parse(await new Promise((ok) => {
  let s = ''; process.stdin.on('data', (d) => { s += d; }); process.stdin.on('end', () => ok(s));
}));
const out = [];
for (const job of input) {
  if (job.kind === 'transcript') {
    const bytes = Uint8Array.from(Buffer.from(job.bytes, 'base64'));
    const r = await verifyTranscript(bytes, job.published || null);
    out.push({ ok: r.ok, problems: r.problems });
  } else {
    out.push(await verifyInclusion(job.args));
  }
}
console.log(JSON.stringify(out));
"""


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("the verifier tests need Node.js (Debian: nodejs)")
    return found


def run(tmp: Path, jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shutil.copy(VERIFIER, tmp / "verifier.mjs")
    (tmp / "harness.mjs").write_text(HARNESS)
    done = subprocess.run(
        [node(), str(tmp / "harness.mjs")],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def transcript_job(data: bytes, published: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "kind": "transcript",
        "bytes": base64.b64encode(data).decode(),
        "published": published,
    }
