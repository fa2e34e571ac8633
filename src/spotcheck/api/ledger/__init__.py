"""The ledger area of the API: its status for now (audit queries arrive with issue 6)."""
