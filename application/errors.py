"""What a use case can answer besides success. Each entry point maps these once: HTTP to problem+json
(404/403/409/422/503), the CLI to one line and a non-zero exit, the workbench to a message.

Messages are safe to show: they never carry personal data."""

from __future__ import annotations

from domain.decide import ActionRefused, NotPermitted


class ApplicationError(Exception):
    """Base class: ``str(exc)`` is the message for the person who asked; ``code`` and ``data``, when set, say
    the same for a program (a refusal of the domain's, domain/rules.py ``Refusal``)."""

    def __init__(self, message: str, code: str | None = None, data: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.data = data or {}


class NotFound(ApplicationError):
    """No such case, task or department (HTTP 404)."""


class Forbidden(ApplicationError):
    """This person's role or department may not do this (HTTP 403)."""


class Refused(ApplicationError):
    """The case is not in a state that allows this now (HTTP 409)."""


class InvalidInput(ApplicationError):
    """The request names something that does not exist or does not fit (HTTP 422). ``field`` is where."""

    def __init__(self, message: str, field: str | None = None, code: str | None = None,
                 data: dict[str, str] | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message, code, data)
        self.field = field


class TooLarge(ApplicationError):
    """The upload is bigger than allowed (HTTP 413)."""


class UnsupportedType(ApplicationError):
    """The upload's type is not one we accept, or its content is not what it claims (HTTP 415)."""


class Unavailable(ApplicationError):
    """PostgreSQL or Temporal cannot be reached just now; repeating later may work (HTTP 503)."""

    retry_after_s = 5


def from_domain(exc: ActionRefused | NotPermitted) -> ApplicationError:
    """The domain's two refusals, as the application reports them."""
    if isinstance(exc, NotPermitted):
        return Forbidden(str(exc), exc.code, exc.data)
    return Refused(str(exc), exc.code, exc.data)
