"""一公开 for people: the public pages and the in-browser verifier (docs: README "Public pages")."""
