"""The interpreter workflow and its state. Nothing here does I/O (docs/architecture.md,
invariant 2)."""
