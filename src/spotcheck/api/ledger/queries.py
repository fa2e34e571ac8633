from __future__ import annotations

import strawberry
from strawberry.types import Info

from spotcheck.api.context import Context
from spotcheck.api.ledger.types import LedgerStatus
from spotcheck.eventstore.ledger import ledger_status


@strawberry.type
class LedgerQueries:
    @strawberry.field(description="The ledger's head, unsealed count and sealer lag.")
    async def ledger_status(self, info: Info[Context, None]) -> LedgerStatus:
        return LedgerStatus.from_data(await ledger_status(info.context.pool))
