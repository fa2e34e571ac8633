"""抽取 draws and 检查 inspections: types, queries, mutations."""
