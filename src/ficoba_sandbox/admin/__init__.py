"""The admin plane (issue 6): `create_admin_app(app, settings)`, served on its own listener."""

from ficoba_sandbox.admin.app import AdminConfigError, create_admin_app

__all__ = ["AdminConfigError", "create_admin_app"]
