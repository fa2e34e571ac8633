"""成员单位 member departments: types, queries, mutations."""
