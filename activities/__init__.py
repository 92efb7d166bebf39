"""Activities: one module per platform; `registry` maps node types to them."""
