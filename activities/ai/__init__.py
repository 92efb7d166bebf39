"""AI: the `ai.generate` node type (`nodes`), the two provider APIs it speaks (`providers`:
OpenAI-compatible Chat Completions, Anthropic Messages), their errors and rate-limit headers
(`errors`) and its activity (`actions`)."""
