"""X (Twitter): node types (`nodes`), activities through tweepy (`actions`, `session`,
`client`), retries that never post twice (`timeline`), errors (`errors`), and connecting
accounts with OAuth 2.0 and PKCE (`oauth`)."""
