"""证据材料 Evidence files: photos, scans, reports and videos that back an inspection's results.

Stream ``evidence-{sha256}``.  A file is uploaded over HTTP (``POST /evidence``), stored
content-addressed by its SHA-256 (``spotcheck.evidence``) and referenced by that hash from the
results (``EvidenceRef.sha256``).  The event records what a reader of the ledger needs: the hash,
the size, the content type, who uploaded it and for which department.  The same bytes uploaded
again are the same file: no new event, unless the uploader's department is not yet among the
file's departments (it then holds the bytes too, and may read the file: one more
``EvidenceUploaded``).

Who: inspectors (执法检查人员, INSPECTOR), department administrators and the system
administrator; auditors and the public do not upload.

Content types (allow-list, each checked against the file's first bytes, its "magic number", and
then the whole file by a parser for its type, ``spotcheck.evidence.validate``): PDF, JPEG, PNG,
WebP and MP4.  Plain text is not accepted: it has no signature to check, and a written note
belongs in the result's findings.

Collection (:class:`EvidenceCollected`): a file that no submitted result references
(``evidence_attachments``) within the unattached time (``SPOTCHECK_EVIDENCE_UNATTACHED_TTL``,
counted from its latest upload) is collected by the platform (actor ``system``): the event says
why, and the file's bytes are deleted.  A collected file cannot be attached
(``EVIDENCE_COLLECTED``); uploading the same bytes again starts it anew.  A file once referenced
by a result is never collected (events are forever, and so is what they reference).

Quota: the bytes of an account's files not yet attached and not collected may not pass
``SPOTCHECK_EVIDENCE_QUOTA_BYTES``; an upload over it is refused (``EVIDENCE_QUOTA_EXCEEDED``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import msgspec
from msgspec.structs import replace

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
    """Current state of an evidence file."""

    sha256: str
    size: int
    content_type: str
    uploaded_by: str
    """Who uploaded it first (since its last collection): its bytes count in their quota."""
    departments: list[str] = msgspec.field(default_factory=list)
    """The departments of everyone who uploaded these bytes (they may read the file)."""
    collected: bool = False
    """Collected unattached: the bytes are deleted; an upload of the same bytes starts anew."""
    collected_reason: str | None = None


class RecordEvidence(Command, frozen=True, kw_only=True):
    """Record an uploaded file (validated whole; the hash is of those bytes)."""

    sha256: str
    size: int
    content_type: str


class CollectEvidence(Command, frozen=True, kw_only=True):
    """Collect an upload left unattached past the unattached time."""

    sha256: str


class Quota(msgspec.Struct, frozen=True, kw_only=True):
    """The uploader's unattached bytes now, and the most allowed (None: no quota)."""

    unattached_bytes: int
    limit: int | None


class Unattached(msgspec.Struct, frozen=True, kw_only=True):
    """What collecting a file reads: the instants and whether a result references it."""

    now: datetime
    uploaded_at: datetime
    """The instant of its latest upload."""
    attached: bool
    ttl: timedelta


class EvidenceUploaded(Event, frozen=True, kw_only=True):
    sha256: str
    size: int
    content_type: str
    uploaded_by: str
    department: str | None = None
    """The uploader's department when uploading (None in events written before it was kept)."""


class EvidenceCollected(Event, frozen=True, kw_only=True):
    """收回 An upload no result referenced within the unattached time; its bytes are deleted."""

    sha256: str
    size: int
    uploaded_by: str
    unattached_ttl_seconds: int
    reason: str


QUOTA_SETTING = "SPOTCHECK_EVIDENCE_QUOTA_BYTES"
TTL_SETTING = "SPOTCHECK_EVIDENCE_UNATTACHED_TTL"


def check_quota(size: int, quota: Quota, actor: Actor) -> None:
    """An upload of ``size`` new bytes stays within the uploader's quota of unattached bytes."""
    if quota.limit is None or quota.unattached_bytes + size <= quota.limit:
        return
    raise DomainError.one(
        ErrorCode.EVIDENCE_QUOTA_EXCEEDED,
        "file",
        f"account {actor.user_id!r} has {quota.unattached_bytes} bytes of evidence not attached "
        f"to any result; {size} more would pass its quota of {quota.limit} bytes "
        f"({QUOTA_SETTING}): attach uploaded files to results first, or wait until unattached "
        f"ones are collected ({TTL_SETTING})",
    )


def decide(
    state: EvidenceFile | None,
    command: RecordEvidence,
    actor: Actor,
    quota: Quota | None = None,
) -> list[Event]:
    """``quota`` is checked when the bytes are new (or were collected)."""
    check_uploader(actor)
    if not SHA256.match(command.sha256):
        raise DomainError.one(ErrorCode.INVALID_FORMAT, "sha256", "not a lower-case SHA-256")
    if command.content_type not in ALLOWED_TYPES:
        raise DomainError.one(
            ErrorCode.UNSUPPORTED_CONTENT_TYPE,
            "contentType",
            f"content type {command.content_type!r} is not accepted",
        )
    assert actor.user_id is not None
    uploaded = EvidenceUploaded(
        sha256=command.sha256,
        size=command.size,
        content_type=command.content_type,
        uploaded_by=actor.user_id,
        department=actor.department,
    )
    if state is None or state.collected:
        if quota is not None:
            check_quota(command.size, quota, actor)
        return [uploaded]
    if actor.department is not None and actor.department not in state.departments:
        return [uploaded]
    return []


def decide_collect(
    state: EvidenceFile | None, command: CollectEvidence, actor: Actor, refs: Unattached
) -> list[Event]:
    """Only the platform (SYSTEM_ADMIN, run as ``system``) collects; a file referenced by a
    result, or uploaded less than the unattached time ago, is never collected."""
    if not actor.is_admin:
        raise rules.forbid("only the platform collects unattached evidence", "sha256")
    if state is None:
        raise rules.not_found("evidence file", command.sha256, "sha256")
    if state.collected:
        raise DomainError.one(
            ErrorCode.EVIDENCE_COLLECTED, "sha256", f"evidence {command.sha256} is collected"
        )
    if refs.attached:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "sha256",
            f"evidence {command.sha256} is referenced by a result: it is kept",
        )
    if refs.now - refs.uploaded_at < refs.ttl:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "sha256",
            f"evidence {command.sha256} was uploaded less than {refs.ttl} ago ({TTL_SETTING})",
        )
    seconds = int(refs.ttl.total_seconds())
    return [
        EvidenceCollected(
            sha256=state.sha256,
            size=state.size,
            uploaded_by=state.uploaded_by,
            unattached_ttl_seconds=seconds,
            reason=(
                f"not attached to any result within {refs.ttl} ({TTL_SETTING}) of its upload "
                f"at {refs.uploaded_at.isoformat()}: collected, its bytes deleted"
            ),
        )
    ]


def evolve(state: EvidenceFile | None, event: Event) -> EvidenceFile:
    if isinstance(event, EvidenceUploaded):
        dept = [event.department] if event.department else []
        if state is None or state.collected:
            kept = state.departments if state is not None else []
            return EvidenceFile(
                sha256=event.sha256,
                size=event.size,
                content_type=event.content_type,
                uploaded_by=event.uploaded_by,
                departments=sorted({*kept, *dept}),
            )
        return replace(state, departments=sorted({*state.departments, *dept}))
    if isinstance(event, EvidenceCollected):
        assert state is not None
        return replace(state, collected=True, collected_reason=event.reason)
    raise TypeError(f"not an evidence event: {event!r}")


SPEC: AggregateSpec[EvidenceFile] = AggregateSpec(
    name="evidence",
    stream_prefix="evidence-",
    events=(EvidenceUploaded, EvidenceCollected),
    evolve=evolve,
    state_type=EvidenceFile,
)
