from __future__ import annotations

import strawberry

from spotcheck.api.scalars import SafeInt
from spotcheck.eventstore.ledger import LedgerStatus as LedgerStatusData


@strawberry.type(
    description=(
        "The sealed ledger's state (账本状态): the hash-chained order of every event, which "
        "auditors verify (全程留痕、责任可追溯)."
    )
)
class LedgerStatus:
    head_position: SafeInt = strawberry.field(
        description="Position of the last sealed event; 0 when nothing is sealed yet."
    )
    head_hash: str | None = strawberry.field(
        description="Chain hash at the head, lower-case hex SHA-256; null when the ledger is empty."
    )
    unsealed_count: SafeInt = strawberry.field(
        description="Committed events the sealer has not yet given a position."
    )
    sealer_lag_ms: float = strawberry.field(
        description="Age in milliseconds of the oldest committed event not yet sealed; 0 when none."
    )

    @classmethod
    def from_data(cls, d: LedgerStatusData) -> LedgerStatus:
        return cls(
            head_position=SafeInt(d.head_position),
            head_hash=d.head_hash.hex() if d.head_hash is not None else None,
            unsealed_count=SafeInt(d.unsealed_count),
            sealer_lag_ms=round(d.sealer_lag_ms, 3),
        )
