"""Which PostgreSQL to use: ``DATABASE_URL`` when set, else the embedded server."""

from __future__ import annotations

from dataclasses import dataclass

from spotcheck.config import Settings
from spotcheck.db.embedded import EmbeddedPostgres
from spotcheck.db.urls import APP_ROLE, app_url_from, with_database, with_user

EMBEDDED_DATABASE = "spotcheck"


@dataclass(frozen=True)
class DatabaseUrls:
    owner: str
    app: str
    embedded: EmbeddedPostgres | None = None
    started_here: bool = False
    """True when this process started the embedded server (and so should stop it)."""

    def release(self) -> None:
        """Stop the embedded server if this process started it; leave a shared one running."""
        if self.embedded is not None and self.started_here:
            self.embedded.stop()


def resolve(settings: Settings) -> DatabaseUrls:
    if settings.database_url:
        owner = settings.database_url
        return DatabaseUrls(owner=owner, app=settings.app_database_url or app_url_from(owner))
    pg = EmbeddedPostgres.prepare(settings.home / "pgdata")
    started = not pg.running()
    pg.start()
    owner = with_database(pg.url(), EMBEDDED_DATABASE)
    return DatabaseUrls(
        owner=owner, app=with_user(owner, APP_ROLE), embedded=pg, started_here=started
    )
