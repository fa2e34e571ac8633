"""年度抽查工作计划 annual plans and 抽查任务 inspection tasks: types, queries, mutations."""
