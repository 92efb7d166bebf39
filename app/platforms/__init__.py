"""Talking to the platforms about accounts: OAuth 2.0 with PKCE for X, long-lived tokens for
Instagram, and `TokenKeeper`, which hands out working access tokens and refreshes them safely
when several workers need one at once. The API and the activities both use it."""

import logging

# Secrets must never reach logs: httpx logs every request URL at INFO, and Meta (like HTTP
# credentials of the query kind) carries tokens in the URL; tweepy logs request headers,
# bearer token included, at DEBUG. Whoever imports platform code gets these two quietened.
for _name in ("httpx", "tweepy"):
    logging.getLogger(_name).setLevel(logging.WARNING)
