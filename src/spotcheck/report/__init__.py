"""年度工作总结 The annual report, assembled from the read tables and proved by the ledger."""
