"""The draw transcript: commit, execute, replace, and verify with no database.

docs/draw-protocol.md ("Transcript" and "Verifying") is the contract.

* :func:`commit_draw` (commitDraw) freezes the populations (their digests), the parameters,
  the inspector candidates (their digest), the public entropy sources named in advance and the
  commitment ``SHA-256(server seed)``: the :class:`Commit`, public at once.
* :func:`draw` (executeDraw) takes the entropy values and the server seed (checked against the
  commitment), builds the key string, selects per stratum, draws the batch order and matches
  inspectors: the :class:`Transcript`.
* :func:`replace_inspector` (replaceInspector) appends a replacement drawn from the same key.
* :func:`verify` recomputes everything from the transcript alone.
* :func:`publish` derives the public transcript (inspectors by per-draw pseudonyms, no
  eligibility facts); :func:`verify_public` checks it, :func:`derived_from` ties it to the full one.

Serialised as RFC 8785 canonical JSON (msgspec with sorted keys, over a domain without
floats: the same bytes as rfc8785's and as the orjson encoding of the first transcripts, as
tests/draw/test_transcript.py shows).  Staff ids only: no
inspector's name, phone or certificate number is ever in a transcript.

The package's parts: ``model`` (formats, encoding, shared checks), ``execute`` (commit, draw,
replace) and ``verification``.  Every public name is re-exported here, so
``from spotcheck.draw import transcript as tr`` and ``tr.verify`` keep working.
"""

from __future__ import annotations

from spotcheck.draw.transcript.execute import (
    Selected,
    commit_draw,
    current_teams,
    draw,
    match_draw,
    replace_inspector,
    select_draw,
)
from spotcheck.draw.transcript.model import (
    FORMAT,
    HASH,
    MAX_SAFE_INTEGER,
    SEED_BYTES,
    VERSION,
    Commit,
    DrawError,
    EntropySource,
    EntropyValue,
    Population,
    SourceKind,
    StratumCommit,
    Transcript,
    candidates_digest,
    canonical,
    commit_digest,
    commitment_of,
    draw_key,
    dumps,
    loads,
    sha256_hex,
)
from spotcheck.draw.transcript.public import (
    PUBLIC_FORMAT,
    PublicTranscript,
    derived_from,
    is_public,
    pseudonym,
    pseudonym_key_id,
    public_dumps,
    public_loads,
    publish,
)
from spotcheck.draw.transcript.verification import (
    VerifyResult,
    verify,
    verify_bytes,
    verify_public,
)

__all__ = [
    "FORMAT",
    "HASH",
    "MAX_SAFE_INTEGER",
    "PUBLIC_FORMAT",
    "SEED_BYTES",
    "VERSION",
    "Commit",
    "DrawError",
    "EntropySource",
    "EntropyValue",
    "Population",
    "PublicTranscript",
    "Selected",
    "SourceKind",
    "StratumCommit",
    "Transcript",
    "VerifyResult",
    "candidates_digest",
    "canonical",
    "commit_digest",
    "commit_draw",
    "commitment_of",
    "current_teams",
    "derived_from",
    "draw",
    "draw_key",
    "dumps",
    "is_public",
    "loads",
    "match_draw",
    "pseudonym",
    "pseudonym_key_id",
    "public_dumps",
    "public_loads",
    "publish",
    "replace_inspector",
    "select_draw",
    "sha256_hex",
    "verify",
    "verify_bytes",
    "verify_public",
]
