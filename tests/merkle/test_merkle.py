"""The Merkle tree, its proofs and signed checkpoints, against an independent RFC 6962 code."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from spotcheck.merkle import note, proofs, tree
from spotcheck.transparency import keys
from tests.merkle import rfc6962 as ref

MAX = 70


def contents(n: int) -> list[bytes]:
    return [hashlib.sha256(f"event {i}".encode()).digest() for i in range(n)]


LEAVES = [ref.leaf(c) for c in contents(MAX)]


def all_nodes(n: int) -> dict[tree.NodeId, bytes]:
    """Every complete subtree of a tree of n leaves, as the checkpointer stores them."""
    f = tree.Frontier()
    out: dict[tree.NodeId, bytes] = {}
    for i, c in enumerate(contents(n)):
        out[(0, i)] = tree.leaf_hash(c)
        out.update(f.append(tree.leaf_hash(c)))
    return out


NODES = all_nodes(MAX)


def test_hashes_are_rfc_6962() -> None:
    c = contents(1)[0]
    assert tree.leaf_hash(c) == hashlib.sha256(b"\x00" + c).digest()
    assert (
        tree.node_hash(b"a" * 32, b"b" * 32)
        == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    assert tree.root_of([]) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("n", range(MAX + 1))
def test_root_from_leaves_and_from_stored_subtrees(n: int) -> None:
    expected = ref.mth(LEAVES[:n])
    assert tree.root_of(tree.leaf_hash(c) for c in contents(n)) == expected
    assert tree.range_hash(0, n, NODES) == expected


def test_frontier_yields_every_complete_subtree_once() -> None:
    for (level, index), digest in NODES.items():
        start, end = tree.span((level, index))
        assert digest == ref.mth(LEAVES[start:end])
    assert len(NODES) == sum(MAX >> lv for lv in range(7))


@pytest.mark.parametrize("n", range(1, MAX + 1))
def test_inclusion_proofs(n: int) -> None:
    root = ref.mth(LEAVES[:n])
    wrong = ref.mth(LEAVES[: n + 1]) if n < MAX else b"\x00" * 32
    for m in range(n):
        ranges = proofs.inclusion_ranges(m, n)
        path = proofs.proof_hashes(ranges, NODES)
        assert path == ref.path(m, LEAVES[:n])
        assert ref.verify_inclusion(m, n, LEAVES[m], path, root)
        assert proofs.verify_inclusion(LEAVES[m], m, n, path, root)
        # the wrong root, the wrong leaf, the wrong index, a truncated path: all fail
        assert not proofs.verify_inclusion(LEAVES[m], m, n, path, wrong)
        assert not ref.verify_inclusion(m, n, LEAVES[m], path, wrong)
        assert not proofs.verify_inclusion(LEAVES[(m + 1) % MAX], m, n, path, root)
        if n > 1:
            assert not proofs.verify_inclusion(LEAVES[m], (m + 1) % n, n, path, root)
            assert not proofs.verify_inclusion(LEAVES[m], m, n, path[:-1], root)


def test_consistency_proofs_between_every_pair_of_sizes() -> None:
    roots = [ref.mth(LEAVES[:n]) for n in range(MAX + 1)]
    for new in range(1, MAX + 1):
        for old in range(1, new + 1):
            ranges = proofs.consistency_ranges(old, new)
            path = proofs.proof_hashes(ranges, NODES)
            assert path == ref.consistency(old, LEAVES[:new]), (old, new)
            assert ref.verify_consistency(old, new, roots[old], roots[new], path), (old, new)
            assert proofs.verify_consistency(old, new, roots[old], roots[new], path), (old, new)
            if old < new:
                other = roots[old - 1] if old > 1 else b"\x01" * 32
                assert not proofs.verify_consistency(old, new, other, roots[new], path)
                assert not proofs.verify_consistency(old, new, roots[old], roots[new - 1], path)
                assert not ref.verify_consistency(old, new, roots[old], roots[new - 1], path)
                assert not proofs.verify_consistency(old, new, roots[old], roots[new], path[:-1])


def test_a_rewritten_history_has_no_consistency_proof() -> None:
    altered = list(LEAVES[:40])
    altered[7] = ref.leaf(b"\xff" * 32)
    old_root = ref.mth(altered[:20])
    path = proofs.proof_hashes(proofs.consistency_ranges(20, 40), NODES)
    assert not proofs.verify_consistency(20, 40, old_root, ref.mth(LEAVES[:40]), path)


def test_compact_ranges_extend_a_frontier() -> None:
    for start in range(MAX):
        for end in range(start, MAX + 1):
            f = tree.Frontier.of(start, NODES)
            for level, index in tree.compact_range(start, end):
                f.append_node(level, NODES[(level, index)])
            assert f.size == end and f.root() == ref.mth(LEAVES[:end]), (start, end)


def test_a_misaligned_subtree_is_refused() -> None:
    f = tree.Frontier.of(3, NODES)
    with pytest.raises(ValueError, match="cannot start at leaf 3"):
        f.append_node(1, NODES[(1, 1)])


def test_bad_proof_arguments() -> None:
    with pytest.raises(ValueError):
        proofs.inclusion_ranges(5, 5)
    with pytest.raises(ValueError):
        proofs.consistency_ranges(0, 5)
    with pytest.raises(ValueError):
        proofs.consistency_ranges(6, 5)


# Signed checkpoints
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WHEN = datetime(2026, 11, 26, 1, 30, 0, 123456, tzinfo=UTC)


def test_checkpoint_body_is_exactly_documented() -> None:
    root = bytes(range(32))
    body = note.checkpoint_body(5, root, WHEN)
    assert body == (
        b"spotcheck/ledger\n5\n" + base64.b64encode(root) + b"\ntime 2026-11-26T01:30:00.123456Z\n"
    )


def test_checkpoint_signature_verifies_with_the_public_key_only() -> None:
    cp = note.sign(KEY, 5, b"\x07" * 32, WHEN)
    assert cp.verify(KEY.public_key())
    assert not cp.verify(Ed25519PrivateKey.generate().public_key())
    for changed in (
        note.Checkpoint(6, cp.root_hash, cp.signed_at, cp.signature, cp.key_id),
        note.Checkpoint(5, b"\x08" * 32, cp.signed_at, cp.signature, cp.key_id),
        note.Checkpoint(5, cp.root_hash, "2026-11-26T01:30:01.123456Z", cp.signature, cp.key_id),
    ):
        assert not changed.verify(KEY.public_key())


def test_key_id_is_c2sp_signed_note_key_hash() -> None:
    raw = note.raw_public_key(KEY.public_key())
    expected = hashlib.sha256(b"spotcheck/ledger\n\x01" + raw).digest()[:4].hex()
    assert note.key_id(KEY.public_key()) == expected
    cp = note.sign(KEY, 5, b"\x07" * 32, WHEN)
    text = note.signed_note(cp)
    body, sig_line = text.split("\n\n")
    assert body.encode() + b"\n" == cp.body()
    stamp = base64.b64decode(sig_line.removeprefix("\u2014 spotcheck/ledger ").strip())
    assert stamp[:4].hex() == cp.key_id and stamp[4:] == cp.signature


def test_public_key_forms() -> None:
    public = KEY.public_key()
    raw_b64 = base64.b64encode(note.raw_public_key(public)).decode()
    for text in (note.public_key_pem(public), raw_b64, f"  {raw_b64}\n"):
        assert note.raw_public_key(note.parse_public_key(text)) == note.raw_public_key(public)
    for bad in ("not a key", base64.b64encode(b"short").decode()):
        with pytest.raises(ValueError):
            note.parse_public_key(bad)


# The signing key's configuration
def test_signing_key_forms(tmp_path: Path) -> None:
    raw = bytes(range(32))
    for name, data in (
        ("k.pem", keys.private_key_pem(KEY)),
        ("k.raw", raw),
        ("k.hex", raw.hex().encode() + b"\n"),
    ):
        (tmp_path / name).write_bytes(data)
        got = keys.signing_key_from_env(
            {keys.ENV_KEY_FILE: str(tmp_path / name)}, tmp_path, production=True
        )
        assert note.raw_public_key(got.public_key()) == note.raw_public_key(KEY.public_key())
    (tmp_path / "bad").write_bytes(b"nonsense")
    with pytest.raises(ValueError, match="expected a PEM Ed25519 private key"):
        keys.signing_key_from_env(
            {keys.ENV_KEY_FILE: str(tmp_path / "bad")}, tmp_path, production=False
        )
    with pytest.raises(ValueError, match="cannot read"):
        keys.signing_key_from_env(
            {keys.ENV_KEY_FILE: str(tmp_path / "none")}, tmp_path, production=False
        )


def test_production_needs_a_configured_key(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must name the Ed25519 log signing key in production"):
        keys.signing_key_from_env({}, tmp_path, production=True)
    assert not (tmp_path / keys.DEV_KEY_FILE).exists()


def test_development_key_is_generated_once(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = keys.signing_key_from_env({}, home, production=False)
    path = home / keys.DEV_KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    again = keys.signing_key_from_env({}, home, production=False)
    assert note.raw_public_key(first.public_key()) == note.raw_public_key(again.public_key())
