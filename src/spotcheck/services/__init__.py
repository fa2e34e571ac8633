"""Command handlers: load an aggregate, decide, append events and projections in one transaction."""
