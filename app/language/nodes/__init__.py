"""Node types that run inside the workflow: triggers and control steps."""
