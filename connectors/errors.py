"""Errors the operator must see as one clear line (the CLI prints no traceback for them)."""


class ConnectorError(Exception):
    """An expected failure: a platform, file or setting is wrong or unreachable."""


class ConfigError(ConnectorError):
    """A setting is missing or wrong: the operator must fix configuration."""
