"""联席会议 The joint meeting: composition, meetings and minutes, action items (议定事项)."""
