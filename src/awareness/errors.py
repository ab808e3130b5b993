"""Domain errors raised inside the service; `api/errors.py` alone maps them to HTTP responses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field: `field` is a path such as `incidents[3].detected_at`."""

    field: str
    message: str


class AwarenessError(Exception):
    """Base of every error the service raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthenticated(AwarenessError):
    pass


class Forbidden(AwarenessError):
    pass


class NotFound(AwarenessError):
    pass


class InvalidRequest(AwarenessError):
    """Malformed input that cannot be read at all (bad JSON)."""


class UnsupportedMediaType(AwarenessError):
    """A body sent as something other than JSON."""


class ValidationFailed(AwarenessError):
    def __init__(self, errors: list[FieldError], message: str = "invalid request") -> None:
        super().__init__(message)
        self.errors = errors


class Conflict(AwarenessError):
    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLarge(AwarenessError):
    pass


class RateLimited(AwarenessError):
    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(AwarenessError):
    """The database cannot be reached; the client should retry later."""

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after
