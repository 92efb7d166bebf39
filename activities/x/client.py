"""tweepy, pointed where settings say and kept from blocking or sleeping.

tweepy 4 hard-codes `https://api.twitter.com` in `Client.request`; a transport adapter
mounted on its public `session` sends those requests to the configured X base URL instead
(the real API, or the emulator). Every request gets a timeout, proxies from the environment
are ignored, and `wait_on_rate_limit` stays off: a rate limit is the activity's to report.

One adapter serves the whole worker: its connection pool (urllib3's, safe across threads)
outlives the per-call clients, each of which carries its own account's token.
"""

from __future__ import annotations

from typing import Any

import requests
import tweepy
from requests.adapters import HTTPAdapter

from activities.transports import Pool
from app.traces import client_span, ended_with, tracing_enabled

TWEEPY_ORIGIN = "https://api.twitter.com"
RESET_HEADER = "x-rate-limit-reset"
POOL_SIZE = 32
"""Connections kept per host: as many as the threads that run tweepy (`ActionServices`)."""


class XAdapter(HTTPAdapter):
    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(max_retries=0, pool_connections=4, pool_maxsize=POOL_SIZE)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if request.url is not None and request.url.startswith(TWEEPY_ORIGIN):
            request.url = self.base_url + request.url[len(TWEEPY_ORIGIN) :]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        if tracing_enabled() and request.url is not None:
            with client_span(request.method or "GET", request.url, request.headers) as span:
                response = super().send(request, *args, **kwargs)
                ended_with(span, response.status_code)
        else:
            response = super().send(request, *args, **kwargs)
        _drop_unreadable_reset(response)
        return response

    def close(self) -> None:
        """A client's session closing leaves the shared pool alone; see `shutdown`."""

    def shutdown(self) -> None:
        """Close the pool's connections (the worker is stopping)."""
        super().close()


def _drop_unreadable_reset(response: requests.Response) -> None:
    """tweepy reads a 429's `x-rate-limit-reset` with int() before anything of ours sees it: a
    value that is not plain digits would escape as a ValueError instead of a rate limit, so it
    goes, and the rate limit is reported with the default delay (`activities.x.errors`)."""
    reset = response.headers.get(RESET_HEADER)
    if reset is not None and not (reset.isascii() and reset.isdigit()):
        del response.headers[RESET_HEADER]


def x_client(access_token: str, adapter: XAdapter) -> tweepy.Client:
    """A tweepy client acting with an OAuth 2.0 user token, answering plain dicts, over the
    worker's shared `adapter`."""
    client = tweepy.Client(bearer_token=access_token, return_type=dict, wait_on_rate_limit=False)
    client.session.trust_env = False
    client.session.mount(TWEEPY_ORIGIN, adapter)
    return client


X_POOL: Pool[XAdapter] = Pool(
    "x",
    make=lambda endpoints: XAdapter(endpoints.x_api_base_url, endpoints.request_timeout),
    close=lambda adapter: adapter.shutdown(),
)
"""tweepy's connections to X, through one adapter per worker."""
