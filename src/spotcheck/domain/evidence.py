"""证据材料 Evidence files: photos, scans, reports and videos that back an inspection's results.

Stream ``evidence-{sha256}``.  A file is uploaded over HTTP (``POST /evidence``), stored
content-addressed by its SHA-256 (``spotcheck.evidence``) and referenced by that hash from the
results (``EvidenceRef.sha256``).  The event records what a reader of the ledger needs: the hash,
the size, the content type and who uploaded it.  The same bytes uploaded again (by anyone) are
the same file: no new event.

Who: inspectors (执法检查人员, INSPECTOR), department administrators and the system
administrator; auditors and the public do not upload.

Content types (allow-list, each checked against the file's first bytes, its "magic number"):
PDF, JPEG, PNG, WebP and MP4.  Plain text is not accepted: it has no signature to check, and a
written note belongs in the result's findings.
"""

from __future__ import annotations

import re

import msgspec

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode

SHA256 = re.compile(r"^[0-9a-f]{64}$")
UPLOADER_ROLES = frozenset({Role.INSPECTOR, Role.DEPARTMENT_ADMIN, Role.SYSTEM_ADMIN})
SNIFF_BYTES = 12
"""How many leading bytes ``sniff`` needs to tell every allowed type apart."""


def _is_mp4(head: bytes) -> bool:
    return head[4:8] == b"ftyp"


def _is_webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "video/mp4": "MP4",
}
"""The content types accepted, with a readable name."""


def sniff(head: bytes) -> str | None:
    """The allowed content type the leading bytes show, or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if _is_webp(head):
        return "image/webp"
    if _is_mp4(head):
        return "video/mp4"
    return None


def media_type(header: str | None) -> str | None:
    """The media type of a Content-Type header, lower case, without parameters."""
    if not header:
        return None
    return header.split(";", 1)[0].strip().lower() or None


def check_content_type(declared: str | None, head: bytes) -> str:
    """The declared type when it is allowed and the bytes show it; else UNSUPPORTED_CONTENT_TYPE."""
    kind = media_type(declared)
    allowed = ", ".join(ALLOWED_TYPES)
    if kind not in ALLOWED_TYPES:
        raise DomainError.one(
            ErrorCode.UNSUPPORTED_CONTENT_TYPE,
            "contentType",
            f"content type {kind or '(none)'!r} is not accepted; send one of {allowed}",
        )
    found = sniff(head)
    if found != kind:
        shown = ALLOWED_TYPES[found] if found else "none of the accepted types"
        raise DomainError.one(
            ErrorCode.UNSUPPORTED_CONTENT_TYPE,
            "contentType",
            f"the file is declared {kind} but its content is {shown}",
        )
    return kind


def check_uploader(actor: Actor) -> None:
    """Only inspectors and administrators upload evidence."""
    if actor.is_public:
        raise DomainError.one(ErrorCode.UNAUTHENTICATED, None, "sign in to upload evidence")
    if not actor.roles & UPLOADER_ROLES:
        raise rules.forbid(
            "only inspectors (INSPECTOR), department administrators and the system "
            "administrator upload evidence (证据材料)"
        )


class EvidenceFile(msgspec.Struct, frozen=True, kw_only=True):
    """Current state of an evidence file: as first uploaded."""

    sha256: str
    size: int
    content_type: str
    uploaded_by: str


class RecordEvidence(Command, frozen=True, kw_only=True):
    """Record a stored file (the service stores the bytes first; the hash is of those bytes)."""

    sha256: str
    size: int
    content_type: str


class EvidenceUploaded(Event, frozen=True, kw_only=True):
    sha256: str
    size: int
    content_type: str
    uploaded_by: str


def decide(state: EvidenceFile | None, command: RecordEvidence, actor: Actor) -> list[Event]:
    check_uploader(actor)
    if not SHA256.match(command.sha256):
        raise DomainError.one(ErrorCode.INVALID_FORMAT, "sha256", "not a lower-case SHA-256")
    if command.content_type not in ALLOWED_TYPES:
        raise DomainError.one(
            ErrorCode.UNSUPPORTED_CONTENT_TYPE,
            "contentType",
            f"content type {command.content_type!r} is not accepted",
        )
    if state is not None:
        return []
    assert actor.user_id is not None
    return [
        EvidenceUploaded(
            sha256=command.sha256,
            size=command.size,
            content_type=command.content_type,
            uploaded_by=actor.user_id,
        )
    ]


def evolve(state: EvidenceFile | None, event: Event) -> EvidenceFile:
    if isinstance(event, EvidenceUploaded):
        return EvidenceFile(
            sha256=event.sha256,
            size=event.size,
            content_type=event.content_type,
            uploaded_by=event.uploaded_by,
        )
    raise TypeError(f"not an evidence event: {event!r}")


SPEC: AggregateSpec[EvidenceFile] = AggregateSpec(
    name="evidence",
    stream_prefix="evidence-",
    events=(EvidenceUploaded,),
    evolve=evolve,
    state_type=EvidenceFile,
)
