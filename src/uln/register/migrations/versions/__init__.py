"""The schema versions, oldest first."""
