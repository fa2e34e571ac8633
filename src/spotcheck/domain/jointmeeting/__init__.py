"""联席会议 The joint meeting (附件1): its composition, its meetings and minutes, and the action
items (议定事项) its decisions assign to departments.  One module per aggregate."""
