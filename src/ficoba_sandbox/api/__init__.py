"""The HTTP edge: wire schemas, error rendering, resource routers."""
