"""随机抽查事项 inspection items and the district list (随机抽查事项清单)."""
