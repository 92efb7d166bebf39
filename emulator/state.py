"""The whole state of one emulator instance, kept on `app.state.emulator`."""

from __future__ import annotations

from typing import cast

from fastapi import Request

from emulator.ai_state import AiState
from emulator.config import EmulatorConfig
from emulator.faults import Faults
from emulator.instagram_state import InstagramState
from emulator.rate_limits import MetaUsage, XRateLimits
from emulator.record import Record
from emulator.x_state import XState


class EmulatorState:
    """The platforms' data, their rate limits, queued failures and the record.

    Everything runs on the server's event loop, and no handler awaits between reading and
    changing state, so requests never see each other half done."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.clock = config.clock
        self.record = Record()
        self.faults = Faults()
        self.x = XState(config, self.record)
        self.x_limits = XRateLimits(config.x_tier, config.clock)
        self.instagram = InstagramState(config, self.record)
        self.meta_usage = MetaUsage(config.instagram_calls_per_hour, config.clock)
        self.ai = AiState(config.clock, config.ai_requests_per_minute)


def emulator_of(request: Request) -> EmulatorState:
    return cast(EmulatorState, request.app.state.emulator)


def keep_headers(request: Request, headers: dict[str, str]) -> None:
    """Headers every answer to this request carries, errors raised later included (X's
    rate-limit headers, Meta's usage headers)."""
    request.state.answer_headers = headers


def kept_headers(request: Request) -> dict[str, str]:
    return cast(dict[str, str], getattr(request.state, "answer_headers", {}))
