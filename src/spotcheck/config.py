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
        )
