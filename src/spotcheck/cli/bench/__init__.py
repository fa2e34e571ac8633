"""Benchmarks: ``spotcheck bench …``; each measures its named peer in the same run."""
