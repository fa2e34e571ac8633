"""The compiled path: a covered query answered by one SQL statement that builds its JSON.

See ``executor`` (plans, cache, execution), ``shapes`` (the covered types as SQL) and
``selection`` (merging a validated operation's fields); docs/architecture.md says what is
covered and how its identity with the general executor is proven.
"""
