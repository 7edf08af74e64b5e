"""What local mode raises when it cannot serve an app."""


class TemplateError(ValueError):
    """The cloud assembly cannot be served locally; the message says why."""
