"""检查对象名录库 registry of inspection subjects: types, queries, mutations."""
