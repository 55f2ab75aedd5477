"""The admin plane: `create_admin_app(sandbox, settings)`, served on its own listener."""

from ficoba_sandbox.admin.app import AdminConfigError, create_admin_app

__all__ = ["AdminConfigError", "create_admin_app"]
