"""`create_app(settings)`: builds all state (store, registry, tokens, journal) and the FastAPI app."""
