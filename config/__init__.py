"""One typed settings object, read from the environment with embedded defaults."""

from config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
