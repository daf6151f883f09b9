"""The HTTP API of contenthubd (docs/api.md): an entry point beside ``cli/``.

Like the CLI it writes rows and reads state through ``services/``; it never drives the daemon's
loops. ``app.create_app`` builds the FastAPI application (every router is mounted there),
``server`` runs it inside contenthubd's task group.
"""
