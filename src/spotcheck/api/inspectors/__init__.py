"""执法检查人员名录库 registry of inspectors: types, queries, mutations."""
