"""公示时限 Working-day calendar (工作日), holiday schedules and publication deadlines."""
