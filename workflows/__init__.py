"""The interpreter workflow and its state. Nothing here does I/O (DESIGN.md, invariant 2)."""
