"""Domain errors. The API maps each kind to one HTTP status."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schedq.domain.site_status import SiteStatus


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


class SiteClosed(Conflict):
    """The site does not take this join now (HTTP 409); `status` says why and when it opens again."""

    def __init__(self, status: SiteStatus) -> None:
        super().__init__(status.message("en"), allowed=[])
        self.status = status


class Unavailable(Conflict):
    """The slot or seat is gone (HTTP 409)."""


class TooManyRequests(DomainError):
    """A rate limit held (HTTP 429, with `Retry-After`: whole seconds until the limit lets a request in).

    `per` names the limit that held (`contact`: a day's writes by one phone or
    email; `address`: an hour's from one client address) and `count` its
    number, so a page can say in words which one it was.
    """

    def __init__(
        self, message: str, *, retry_after_seconds: int, per: str | None = None, count: int | None = None
    ) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(int(retry_after_seconds), 1)
        self.per = per
        self.count = count
