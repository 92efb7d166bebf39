"""How the engine talks to Temporal: client, search attributes, the embedded dev server."""
