"""Plug-ins that cannot be used: Flowhold must report each and start without it."""
