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


def resolve(settings: Settings) -> DatabaseUrls:
    if settings.database_url:
        owner = settings.database_url
        return DatabaseUrls(owner=owner, app=settings.app_database_url or app_url_from(owner))
    pg = EmbeddedPostgres.prepare(settings.home / "pgdata")
    pg.start()
    owner = with_database(pg.url(), EMBEDDED_DATABASE)
    return DatabaseUrls(owner=owner, app=with_user(owner, APP_ROLE), embedded=pg)
