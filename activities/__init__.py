"""Activities: one package per platform (`http`, `x`, `instagram`), each a `Platform` with
its node types, activities and token renewal; `registry` lists them. What every platform
shares: `base` (parameters, heartbeats, the one error-mapping wrapper), `accounts` (tokens
kept fresh, account failures), `services`, `transports` and `endpoints`."""

import logging

# Secrets must never reach logs: httpx logs every request URL at INFO, and Meta (like HTTP
# credentials of the query kind) carries tokens in the URL; tweepy logs request headers,
# bearer token included, at DEBUG. Whoever imports platform code gets these two quietened.
for _name in ("httpx", "tweepy"):
    logging.getLogger(_name).setLevel(logging.WARNING)
