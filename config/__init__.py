"""One typed settings object, read from the environment with embedded defaults."""

from config.settings import Settings, SettingsError, load_settings, settings_or_exit

__all__ = ["Settings", "SettingsError", "load_settings", "settings_or_exit"]
