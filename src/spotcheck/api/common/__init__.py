"""Conventions every area of the API follows: errors, global ids and nodes, pagination."""
