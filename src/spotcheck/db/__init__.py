"""Database plumbing: the embedded server, URLs, migrations and the connection pool."""
