"""The HTTP API: a thin FastAPI layer over the store and Temporal."""
