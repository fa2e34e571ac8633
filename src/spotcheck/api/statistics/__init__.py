"""统计 statistics: types and queries."""
