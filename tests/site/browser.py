"""What the browser tests need, installed on first use as the other tools of the suite are.

- Chromium: Debian's ``chromium`` package (``/usr/bin/chromium``) and a CJK font
  (``fonts-wqy-zenhei``, for readable screenshots), installed with apt-get when
  it is missing and the tests run as root (as ``tests/run.py`` installs libfaketime).  Without
  root or apt-get the browser tests are skipped, naming what is missing: they never pass
  without having run.
- axe-core: the npm package, installed into ``tests/.node`` (as the GraphQL-over-HTTP audit
  installs graphql-http), and evaluated in each page by the test.
- Playwright's Python package (the ``dev`` extras) drives Chromium through
  ``executable_path``; ``playwright install`` (a browser download) is never used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.installs import NODE_DIR, install_lock, npm_install

CHROMIUM = Path(os.environ.get("SPOTCHECK_CHROMIUM", "/usr/bin/chromium"))
AXE = "axe-core@4.14.1"


FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
"""A CJK font (Debian's fonts-wqy-zenhei), so that the screenshots show Chinese, not boxes."""


def ensure_chromium() -> Path:
    """Chromium (and the CJK font for readable screenshots), installed if missing."""
    if CHROMIUM.exists() and FONT.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        if CHROMIUM.exists():
            return CHROMIUM  # the screenshots may show boxes for Chinese; the checks hold
        pytest.skip(
            f"no Chromium at {CHROMIUM}, and it cannot be installed here (needs root and "
            "apt-get): install Debian's 'chromium' package to run the browser tests"
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    quiet = {"stdout": subprocess.DEVNULL, "env": env, "check": False, "timeout": 900}
    with install_lock("apt"):  # another worker may be installing it right now
        if not (CHROMIUM.exists() and FONT.exists()):
            subprocess.run(["apt-get", "update", "-qq"], **quiet)  # type: ignore[call-overload]
            packages = ["chromium", "fonts-wqy-zenhei"]
            subprocess.run(["apt-get", "install", "-y", "-qq", *packages], **quiet)  # type: ignore[call-overload]
    if not CHROMIUM.exists():
        pytest.skip(f"apt-get could not install Chromium ({CHROMIUM} is still missing)")
    return CHROMIUM


def ensure_axe() -> str:
    """axe-core's browser build, as text."""
    script = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        if shutil.which("npm") is None:
            pytest.fail("the accessibility checks need npm (Debian: npm) to install axe-core")
        npm_install([AXE], script)
    return script.read_text(encoding="utf-8")
