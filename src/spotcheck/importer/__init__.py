"""Bulk import of registry rows (``spotcheck import subjects|inspectors FILE``)."""
