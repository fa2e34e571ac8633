"""Tools the tests install on first use (npm packages into ``tests/.node``, Debian packages),
one process at a time: under pytest-xdist two workers may need the same tool at once, and two
``npm install`` runs in one folder, or two ``apt-get`` runs, break each other."""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

NODE_DIR = Path(__file__).resolve().parent / ".node"


@contextlib.contextmanager
def install_lock(name: str) -> Iterator[None]:
    """Held by one process at a time, across the workers of a run."""
    path = Path(tempfile.gettempdir()) / f"spotcheck-tests-{name}.lock"
    with path.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def npm_install(packages: list[str], present: Path) -> None:
    """``packages`` into ``tests/.node`` unless ``present`` exists (checked under the lock);
    each install adds to the folder's package.json, so one never prunes another's packages."""
    if present.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to install " + ", ".join(packages))
    with install_lock("npm"):
        if present.exists():
            return
        NODE_DIR.mkdir(exist_ok=True)
        manifest = NODE_DIR / "package.json"
        if not manifest.exists():
            manifest.write_text('{"private": true, "type": "module"}\n')
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", *packages],
            cwd=NODE_DIR,
            check=True,
            timeout=300,
        )
