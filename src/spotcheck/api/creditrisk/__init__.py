"""信用风险分类联动 Credit-risk linkage: proposals, decisions, per-class draw figures."""
