"""Authentication: bearer tokens (JWT) and who they name."""
