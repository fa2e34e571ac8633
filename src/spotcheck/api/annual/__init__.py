"""The annual report query (年度工作总结)."""
