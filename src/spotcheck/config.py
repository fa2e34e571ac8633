"""Settings read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from spotcheck.auth.tokens import TokenSettings
from spotcheck.domain.regions import Regions


@dataclass(frozen=True)
class Settings:
    """Process settings.

    ``database_url`` is the owner's connection (migrations run with it); ``app_database_url`` is
    the connection the server uses, as a role that holds only SELECT and INSERT on the event
    tables.  When neither is set an embedded PostgreSQL under ``home`` is used.
    """

    home: Path
    database_url: str | None
    app_database_url: str | None
    env: str
    host: str
    port: int
    regions_file: str | None = None
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    """``serve``'s second listener, for ``GET /metrics`` only; None: no metrics listener."""
    log_level: str = "INFO"

    def tokens(self) -> TokenSettings:
        """How bearer tokens are verified (see spotcheck.auth.tokens)."""
        return TokenSettings.from_env(os.environ, self.home, production=self.production)

    def regions(self) -> Regions:
        return Regions.load(self.regions_file)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            home=Path(os.environ.get("SPOTCHECK_HOME", ".spotcheck")).resolve(),
            database_url=os.environ.get("DATABASE_URL") or None,
            app_database_url=os.environ.get("SPOTCHECK_APP_DATABASE_URL") or None,
            env=os.environ.get("SPOTCHECK_ENV", "development"),
            host=os.environ.get("SPOTCHECK_HOST", "127.0.0.1"),
            port=int(os.environ.get("SPOTCHECK_PORT", "8000")),
            regions_file=os.environ.get("SPOTCHECK_REGIONS_FILE") or None,
            metrics_host=os.environ.get("SPOTCHECK_METRICS_HOST") or "127.0.0.1",
            metrics_port=_port_or_none(os.environ.get("SPOTCHECK_METRICS_PORT", "")),
            log_level=(os.environ.get("SPOTCHECK_LOG_LEVEL") or "INFO").strip().upper(),
        )

    def check(self) -> None:
        """Raise ValueError naming a setting that is out of its rule (``serve``'s start)."""
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"SPOTCHECK_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        if self.metrics_port == 0:
            raise ValueError("SPOTCHECK_METRICS_PORT must be a port number from 1 to 65535")


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _port_or_none(raw: str) -> int | None:
    """A port number, None when unset; 0 for anything that is not one (refused by ``check``)."""
    raw = raw.strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 65535 else 0
