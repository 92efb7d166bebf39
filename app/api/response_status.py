"""The status an ASGI app answered a request with, for the middlewares that report it (the
access log, the request metrics)."""

from __future__ import annotations

from starlette.types import Message, Send


class ResponseStatus:
    """An ASGI `send` that passes every message on and keeps the status its response started
    with: 500 until then, as the server answers a request whose app raised first."""

    def __init__(self, send: Send) -> None:
        self.code = 500
        self._send = send

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.code = message["status"]
        await self._send(message)
