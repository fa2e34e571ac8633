"""Demo data for a Fengtai-district deployment: departments, items, registries, accounts."""
