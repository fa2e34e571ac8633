"""Logs as one JSON object per line (stdlib ``logging``), for a collector to parse.

A small formatter of our own rather than ``python-json-logger``: twenty lines, orjson, and the
redaction below in the same pass, with no dependency to keep up.

Every line has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``; the fields a
caller passes with ``extra={...}`` are added as they are (the request line, the sealer's batch
line); an exception adds ``exception`` (the traceback).

No personal data and no tokens: the product logs ids, codes, counts and durations, never
inputs.  As a second line of defence the formatter blanks, in the message, the traceback and
string fields, anything shaped like a bearer token or JWT, an e-mail address, a mainland
mobile or landline number, an 18-character resident identity number or an enforcement
certificate number (``京`` + division + digits): an exception message from a driver (a
constraint's DETAIL names the duplicate value) would otherwise carry it into the log.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import sys
from typing import Any

import orjson

REDACTED = "[redacted]"

_SENSITIVE = re.compile(
    "|".join(
        (
            r"(?i:bearer)\s+[A-Za-z0-9._~+/=-]+",  # an Authorization header's value
            r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",  # a JWT
            r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",  # an e-mail address
            r"(?<![0-9A-Za-z])(?:\+?86[ -]?)?1[3-9]\d{9}(?![0-9A-Za-z])",  # a mobile number
            r"(?<![0-9A-Za-z])0\d{2,3}[ -]\d{7,8}(?![0-9A-Za-z])",  # a landline number
            r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])",  # a resident identity number
            r"[\u4e00-\u9fff]\d{12}",  # an enforcement certificate number (京110106123456)
        )
    )
)

# Attributes every LogRecord has: anything else came from ``extra``.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


def redact(text: str) -> str:
    """``text`` with token-, e-mail-, phone-, id- and certificate-shaped parts blanked."""
    return _SENSITIVE.sub(REDACTED, text)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = _clean(value)
        if record.exc_info:
            out["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            out["stack"] = redact(self.formatStack(record.stack_info))
        return orjson.dumps(out, default=str).decode()


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on standard error for every logger (uvicorn's included, which ``serve`` runs
    with ``log_config=None`` so that its loggers reach this handler)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
