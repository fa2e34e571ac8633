"""证据材料: content-type allow-list checked against the bytes, uploader roles, one event per
new file or new department, collection of unattached uploads, the quota."""

from __future__ import annotations

import datetime as dt

import pytest

from spotcheck.domain import evidence as e
from spotcheck.domain.actor import PUBLIC, SYSTEM, Actor, Role
from spotcheck.domain.errors import DomainError, ErrorCode

INSPECTOR = Actor(user_id="i", department="SCJG", roles=frozenset({Role.INSPECTOR}))
AUDITOR = Actor(user_id="a", department="SCJG", roles=frozenset({Role.AUDITOR}))
SCJG_ADMIN = Actor(user_id="d", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN}))
STHJ_ADMIN = Actor(user_id="s", department="STHJ", roles=frozenset({Role.DEPARTMENT_ADMIN}))
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
        e.EvidenceUploaded(
            sha256=DIGEST, size=10, content_type="image/png", uploaded_by="i", department="SCJG"
        )
    ]
    state = e.SPEC.fold(events)
    assert e.decide(state, cmd, INSPECTOR) == []
    for actor, code in ((AUDITOR, ErrorCode.FORBIDDEN), (PUBLIC, ErrorCode.UNAUTHENTICATED)):
        with pytest.raises(DomainError) as caught:
            e.decide(None, cmd, actor)
        assert caught.value.code is code


NOW = dt.datetime(2026, 10, 9, 12, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)
UPLOADED = e.SPEC.fold(
    e.decide(None, e.RecordEvidence(sha256=DIGEST, size=10, content_type="image/png"), INSPECTOR)
)


def unattached(age: dt.timedelta, attached: bool = False) -> e.Unattached:
    return e.Unattached(now=NOW, uploaded_at=NOW - age, attached=attached, ttl=WEEK)


def test_another_department_uploading_the_same_bytes_may_read_them() -> None:
    cmd = e.RecordEvidence(sha256=DIGEST, size=10, content_type="image/png")
    state = e.SPEC.fold(e.decide(None, cmd, INSPECTOR))
    assert state is not None and state.departments == ["SCJG"]
    assert e.decide(state, cmd, SCJG_ADMIN) == []  # same department: nothing new
    state = e.SPEC.fold(e.decide(state, cmd, STHJ_ADMIN), state)
    assert state is not None and state.departments == ["SCJG", "STHJ"]
    assert state.uploaded_by == "i"  # the bytes still count in the first uploader's quota


def test_collection_rules() -> None:
    cmd = e.CollectEvidence(sha256=DIGEST)
    [collected] = e.decide_collect(UPLOADED, cmd, SYSTEM, unattached(WEEK))
    assert isinstance(collected, e.EvidenceCollected)
    assert "not attached to any result within 7 days" in collected.reason
    assert collected.unattached_ttl_seconds == WEEK.total_seconds()
    for state, actor, refs, code in (
        (UPLOADED, SYSTEM, unattached(WEEK - dt.timedelta(seconds=1)), "INVALID_TRANSITION"),
        (UPLOADED, SYSTEM, unattached(WEEK * 2, attached=True), "INVALID_TRANSITION"),
        (UPLOADED, INSPECTOR, unattached(WEEK), "FORBIDDEN"),
        (None, SYSTEM, unattached(WEEK), "NOT_FOUND"),
        (e.SPEC.fold([collected], UPLOADED), SYSTEM, unattached(WEEK), "EVIDENCE_COLLECTED"),
    ):
        with pytest.raises(DomainError) as caught:
            e.decide_collect(state, cmd, actor, refs)
        assert caught.value.code.value == code


def test_a_collected_file_uploaded_again_lives_anew_within_the_quota() -> None:
    cmd = e.RecordEvidence(sha256=DIGEST, size=10, content_type="image/png")
    gone = e.SPEC.fold(
        e.decide_collect(UPLOADED, e.CollectEvidence(sha256=DIGEST), SYSTEM, unattached(WEEK)),
        UPLOADED,
    )
    assert gone is not None and gone.collected
    with pytest.raises(DomainError) as caught:
        e.decide(gone, cmd, STHJ_ADMIN, e.Quota(unattached_bytes=95, limit=100))
    assert caught.value.code is ErrorCode.EVIDENCE_QUOTA_EXCEEDED
    assert "SPOTCHECK_EVIDENCE_QUOTA_BYTES" in caught.value.problems[0].message
    again = e.SPEC.fold(
        e.decide(gone, cmd, STHJ_ADMIN, e.Quota(unattached_bytes=90, limit=100)), gone
    )
    assert again is not None and not again.collected and again.uploaded_by == "s"
    # Known bytes cost no quota.
    assert e.decide(again, cmd, STHJ_ADMIN, e.Quota(unattached_bytes=100, limit=100)) == []
