"""FHIR search for the read API: parameter values, date prefixes, searchset Bundles and their paging.

Pages are cut by key, not by offset: a `next` link names the last entry it
follows (`_page_after`) and a `previous` link the first entry it precedes
(`_page_before`), so a slot booked or freed between two pages neither
repeats an entry nor skips one: every entry the search still matches is met
exactly once walking `next` to the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import request

from schedq.api.fhir.errors import FhirError
from schedq.api.fhir.negotiation import check_parameters

DEFAULT_COUNT = 50
MAX_COUNT = 500
PAGE_AFTER = "_page_after"
PAGE_BEFORE = "_page_before"
PAGING_PARAMETERS = frozenset({"_count", PAGE_AFTER, PAGE_BEFORE})
MAX_KEY_LENGTH = 100
MAX_VALUES = 50
"""At most this many comma-separated values in one parameter (`schedule=a,b,…`)."""

T = TypeVar("T")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?")
PREFIXES = ("eq", "ge", "gt", "le", "lt")


def bad(parameter: str, message: str) -> FhirError:
    return FhirError(400, f"{parameter}: {message}", code="invalid", expression=parameter)


def values(parameter: str) -> list[str] | None:
    """Every value of a token or reference parameter (repeated, or comma-separated: OR); None when absent."""
    given = request.args.getlist(parameter)
    if not given:
        return None
    found = [value.strip() for each in given for value in each.split(",")]
    if len(found) > MAX_VALUES:
        raise bad(parameter, f"at most {MAX_VALUES} values")
    if any(not value for value in found):
        raise bad(parameter, "an empty value")
    return found


def count() -> int:
    """`_count`: entries per page, 1 to MAX_COUNT (default DEFAULT_COUNT); 0 answers the total alone."""
    raw = request.args.get("_count")
    if raw is None:
        return DEFAULT_COUNT
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise bad("_count", "a whole number is expected")
    return min(int(raw), MAX_COUNT)


@dataclass(frozen=True, slots=True)
class DateBound:
    """One `start=` value: its prefix and the instant range it names (a day in a site's zone, or an instant)."""

    prefix: str
    day: date | None = None
    at: datetime | None = None
    naive: bool = False

    def range_in(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[first, end) of the value in the site's zone: a whole local day, or one instant."""
        if self.day is not None:
            first = datetime.combine(self.day, time(), tz)
            following = datetime.combine(self.day + timedelta(days=1), time(), tz)
            return first, following
        assert self.at is not None
        at = self.at.replace(tzinfo=tz) if self.naive else self.at
        return at, at

    def window_in(self, tz: ZoneInfo) -> tuple[datetime | None, datetime | None, bool]:
        """(lowest start, highest start, whether the highest is excluded) the bound allows."""
        first, following = self.range_in(tz)
        point = self.day is None
        if self.prefix == "eq":
            return (first, first, False) if point else (first, following, True)
        if self.prefix == "ge":
            return first, None, False
        if self.prefix == "gt":
            return (first + timedelta(microseconds=1), None, False) if point else (following, None, False)
        if self.prefix == "le":
            return (None, first, False) if point else (None, following, True)
        return None, first, True  # lt


def date_bounds(parameter: str) -> list[DateBound]:
    """The `start=` values (each ANDed): `[prefix]YYYY-MM-DD` (a local day) or a dateTime with its offset."""
    bounds = []
    for raw in request.args.getlist(parameter):
        prefix, value = (raw[:2], raw[2:]) if raw[:2].isalpha() else ("eq", raw)
        if prefix not in PREFIXES:
            raise bad(parameter, f"the prefix {prefix!r} is not supported (use {', '.join(PREFIXES)})")
        if _DATE.fullmatch(value):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise bad(parameter, f"{value!r} is not a date") from None
            bounds.append(DateBound(prefix, day=day))
        elif _DATETIME.fullmatch(value):
            try:
                at = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise bad(parameter, f"{value!r} is not a dateTime") from None
            bounds.append(DateBound(prefix, at=at, naive=at.tzinfo is None))
        else:
            raise bad(parameter, f"{value!r} is not a date (YYYY-MM-DD) or a dateTime with its offset")
    return bounds


@dataclass(frozen=True, slots=True)
class Page:
    """Where a page sits among the matches: their total and the keys its links go on from."""

    total: int
    after: str | None
    """The key of the last entry, when entries follow it."""
    before: str | None
    """The key of the first entry, when entries precede it."""


def page_of(items: Sequence[T], *, key: Callable[[T], str], size: int) -> tuple[list[T], Page]:
    """The page of `items` (sorted by `key`) the request's `_page_after`/`_page_before` names."""
    after, before = request.args.get(PAGE_AFTER), request.args.get(PAGE_BEFORE)
    if after is not None and before is not None:
        raise bad(PAGE_AFTER, f"give {PAGE_AFTER} or {PAGE_BEFORE}, not both")
    for name, given in ((PAGE_AFTER, after), (PAGE_BEFORE, before)):
        if given is not None and len(given) > MAX_KEY_LENGTH:
            raise bad(name, "not a page of this search")
    keys = [key(item) for item in items]
    if after is not None:
        start = next((i for i, k in enumerate(keys) if k > after), len(keys))
        chosen = range(start, min(start + size, len(keys)))
    elif before is not None:
        end = next((i for i, k in enumerate(keys) if k >= before), len(keys))
        chosen = range(max(end - size, 0), end)
    else:
        chosen = range(0, min(size, len(keys)))
    page = [items[i] for i in chosen]
    more_after = len(chosen) > 0 and chosen.stop < len(keys)
    more_before = len(chosen) > 0 and chosen.start > 0
    return page, Page(
        total=len(keys),
        after=keys[chosen.stop - 1] if more_after else None,
        before=keys[chosen.start] if more_before else None,
    )


def searchset(
    *,
    base: str,
    type_: str,
    resources: list[dict],
    page: Page,
    known: frozenset[str],
    included: Sequence[dict] = (),
) -> dict[str, Any]:
    """A searchset Bundle: total, self/first/next/previous links, entries with fullUrl and search mode."""
    kept = [
        (name, value) for name, value in request.args.items(multi=True) if name in known - PAGING_PARAMETERS
    ]
    if "_count" in request.args:
        kept.append(("_count", request.args["_count"]))

    def link(relation: str, **paging: str) -> dict:
        query = urlencode(kept + list(paging.items()))
        return {"relation": relation, "url": f"{base}/{type_}" + (f"?{query}" if query else "")}

    current = {name: request.args[name] for name in (PAGE_AFTER, PAGE_BEFORE) if name in request.args}
    links = [link("self", **current), link("first")]
    if page.before is not None:
        links.append(link("previous", **{PAGE_BEFORE: page.before}))
    if page.after is not None:
        links.append(link("next", **{PAGE_AFTER: page.after}))
    entries = [
        {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
        for r in resources
    ]
    entries += [
        {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "include"}}
        for r in included
    ]
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": page.total,
        "link": links,
    }
    if entries:  # FHIR JSON holds no empty arrays
        bundle["entry"] = entries
    return bundle


def start_search(known: frozenset[str]) -> None:
    """Refuse (strict) or ignore (lenient) the parameters the search does not know."""
    check_parameters(known | PAGING_PARAMETERS)
