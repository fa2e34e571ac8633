"""The workload of ``spotcheck bench eventstore``: the event every writer appends (ours and the
peers write the same data and metadata), and the rates the phases report."""

from __future__ import annotations

from typing import Any

from spotcheck.cli.bench.common import Results
from spotcheck.eventstore import Metadata, NewEvent

EVENT_TYPE = "BenchEventRecorded"


def bench_data(writer: int, i: int) -> dict[str, Any]:
    """A small inspection record: strings and integers only (the store takes no floats)."""
    return {
        "inspection_id": f"FT-2026-{writer:03d}-{i:07d}",
        "entity_credit_code": "91110106MA01C2XK3R",
        "entity_name": "北京丰台某某商贸有限公司",
        "item_code": "SC-0412",
        "inspector_ids": ["J01017", "J02208"],
        "result": "compliant",
        "score": 87,
        "writer": writer,
        "attempt": i,
    }


def bench_metadata(writer: int, i: int) -> Metadata:
    return Metadata(
        actor=f"inspector-{writer:03d}", role="inspector", request_id=f"req-{writer}-{i}"
    )


def bench_event(writer: int, i: int) -> NewEvent:
    return NewEvent(EVENT_TYPE, bench_data(writer, i), bench_metadata(writer, i))


def rate(events: int, seconds: float) -> float:
    return round(events / seconds, 1) if seconds > 0 else 0.0


def timed_rounds(events_per_round: int, round_seconds: list[float]) -> Results:
    total = sum(round_seconds)
    return {
        "rounds": len(round_seconds),
        "events_per_round": events_per_round,
        "events": events_per_round * len(round_seconds),
        "seconds": round(total, 6),
        "round_seconds": [round(s, 6) for s in round_seconds],
        "events_per_s": rate(events_per_round * len(round_seconds), total),
    }
