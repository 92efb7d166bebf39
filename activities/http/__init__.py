"""HTTP: the `http.request` node type (`nodes`), its activity (`request`), the credentials it
sends (`credentials`, bound to `hosts`) and the network it may reach (`network`)."""
