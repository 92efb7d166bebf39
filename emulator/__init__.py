"""A local emulator of the platform APIs the engine calls: X API v2 (with OAuth 2.0), the
Instagram Graph API's publishing and insights, and Meta webhooks. Tests serve it over real
HTTP (`testing.running_emulator`); `python -m emulator` runs it for the sandbox.

It imports nothing of the engine (`app`, `workflows`, `activities`)."""

from emulator.app import create_app
from emulator.clock import Clock
from emulator.config import BASIC, FREE, PRO, EmulatorConfig, XTier

__all__ = ["BASIC", "FREE", "PRO", "Clock", "EmulatorConfig", "XTier", "create_app"]
