"""Persistence functions: every write goes through one of these, scoped to an organization."""
