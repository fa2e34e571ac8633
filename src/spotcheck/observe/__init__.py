"""What an operator sees: health checks, Prometheus metrics and structured JSON logs.

- ``health``: ``/readyz``'s checks (database, migrations, sealer lag, checkpoint lag) and the
  start-up refusal of a database migrated past this code;
- ``metrics``: one ``CollectorRegistry`` per application, served on its own port;
- ``requests``: the middleware that gives every request an id, times it, logs one JSON line
  and counts it;
- ``logs``: the JSON formatter ``serve`` installs, which also blanks what looks like personal
  data or a token.

See docs/operations.md.
"""
