"""证据材料: content-type allow-list checked against the bytes, uploader roles, one event."""

from __future__ import annotations

import pytest

from spotcheck.domain import evidence as e
from spotcheck.domain.actor import PUBLIC, Actor, Role
from spotcheck.domain.errors import DomainError, ErrorCode

INSPECTOR = Actor(user_id="i", department="SCJG", roles=frozenset({Role.INSPECTOR}))
AUDITOR = Actor(user_id="a", department="SCJG", roles=frozenset({Role.AUDITOR}))
DIGEST = "ab" * 32


def test_sniff() -> None:
    assert e.sniff(b"%PDF-1.4") == "application/pdf"
    assert e.sniff(b"\xff\xd8\xff\xdb") == "image/jpeg"
    assert e.sniff(b"\x89PNG\r\n\x1a\n") == "image/png"
    assert e.sniff(b"RIFF\x00\x00\x00\x00WEBP") == "image/webp"
    assert e.sniff(b"RIFF\x00\x00\x00\x00WAVE") is None
    assert e.sniff(b"\x00\x00\x00\x20ftypisom") == "video/mp4"
    assert e.sniff(b"hello") is None


def test_declared_type_must_match_content() -> None:
    assert e.check_content_type("Application/PDF; x=y", b"%PDF-1.7 ...") == "application/pdf"
    for declared, head in (("image/png", b"%PDF-1.7"), ("text/plain", b"hi"), (None, b"%PDF-")):
        with pytest.raises(DomainError) as caught:
            e.check_content_type(declared, head)
        assert caught.value.code is ErrorCode.UNSUPPORTED_CONTENT_TYPE


def test_uploaders_and_repeat() -> None:
    cmd = e.RecordEvidence(sha256=DIGEST, size=10, content_type="image/png")
    events = e.decide(None, cmd, INSPECTOR)
    assert events == [
        e.EvidenceUploaded(sha256=DIGEST, size=10, content_type="image/png", uploaded_by="i")
    ]
    state = e.SPEC.fold(events)
    assert e.decide(state, cmd, INSPECTOR) == []
    for actor, code in ((AUDITOR, ErrorCode.FORBIDDEN), (PUBLIC, ErrorCode.UNAUTHENTICATED)):
        with pytest.raises(DomainError) as caught:
            e.decide(None, cmd, actor)
        assert caught.value.code is code
