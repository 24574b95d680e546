"""Modal dialogs: each returns a typed result with ``dismiss(result)``."""
