"""Instagram (Graph API content publishing): node types (`nodes`), activities (`actions`,
`publish`, `graph`), errors (`errors`), and long-lived tokens (`tokens`)."""
