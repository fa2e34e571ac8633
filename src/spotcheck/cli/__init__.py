"""The ``spotcheck`` command."""
