"""检查记录 the inspection lifecycle and results: types, queries, mutations."""
