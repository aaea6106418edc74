"""Domain errors. The API maps each kind to one HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the domain refuses."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """Input that breaks a rule, naming the field at fault (HTTP 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """The thing asked for does not exist, or is not visible to the caller (HTTP 404)."""


class Conflict(DomainError):
    """The request is valid but the current state does not allow it (HTTP 409)."""

    def __init__(self, message: str, *, allowed: list[str] | None = None) -> None:
        super().__init__(message)
        self.allowed = allowed


class Unavailable(Conflict):
    """The slot or seat is gone (HTTP 409)."""


class TooManyRequests(DomainError):
    """A rate limit held (HTTP 429)."""
