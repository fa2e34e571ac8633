"""Connection URLs: the owner's (migrations), the server's (spotcheck_app) and dbmate's form."""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

APP_ROLE = "spotcheck_app"


def with_user(url: str, user: str, password: str | None = None) -> str:
    """The same URL logged in as ``user`` (with ``password`` when given)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    cred = quote(user) + (f":{quote(password)}" if password else "")
    return urlunsplit((parts.scheme, f"{cred}@{host}", parts.path, parts.query, parts.fragment))


def app_url_from(owner_url: str) -> str:
    """The server's URL: the owner's server and database, as ``spotcheck_app``."""
    return with_user(owner_url, APP_ROLE, os.environ.get("SPOTCHECK_APP_PASSWORD") or None)


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(database), parts.query, ""))


def dbmate_url(url: str) -> str:
    """dbmate spells a Unix-socket directory ``socket=`` where libpq and asyncpg say ``host=``."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    host = query.pop("host", None)
    if host and host.startswith("/"):
        query["socket"] = host
        query.setdefault("sslmode", "disable")
    elif host:
        query["host"] = host
    return urlunsplit(("postgres", parts.netloc, parts.path, urlencode(query), ""))
