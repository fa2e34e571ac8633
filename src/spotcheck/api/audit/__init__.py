"""审计 The audit area: the event log as an API, entity history, state as of a position."""
