"""HTTP: the `http.request` node type (`nodes`), its activity (`request`), the credentials it
sends (`credentials`, bound to `hosts`) and where it may go (`sandbox`; the
shared `activities.network` guards private addresses)."""
