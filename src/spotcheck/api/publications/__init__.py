"""Publication (一公开): public search, credit records, the feed, proposals, follow-ups."""
