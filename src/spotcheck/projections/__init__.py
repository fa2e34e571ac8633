"""Read tables fed in the append transaction, and their rebuild from the ledger."""
