"""The pure domain: commands, events, ``decide`` and ``evolve`` per aggregate, and their rules.

Nothing here does I/O.  A service loads an aggregate's events, folds them with ``evolve``,
asks ``decide`` what a command means for that state, and appends what it returns.
"""
