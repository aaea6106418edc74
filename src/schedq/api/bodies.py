"""JSON request bodies checked before any schema reads them (README: input rules).

A body nested deeper than `MAX_DEPTH` is refused with a 400 before it is
parsed, so no parser recurses into it. A body holding a lone surrogate
(`"\\ud800"`, not valid Unicode) or a NUL character in any key or string is
refused with a 422 naming the field: neither can be stored or compared by the
databases.
"""

from __future__ import annotations

import json
import re

from flask import request
from flask_smorest import abort

MAX_DEPTH = 32
_TOKENS = re.compile(rb'\\.|["\[\]{}]', re.DOTALL)


def nesting_depth(body: bytes, *, stop_above: int = MAX_DEPTH) -> int:
    """How deeply arrays and objects nest in `body` (brackets inside strings do not count).

    One pass over the quotes, escapes and brackets; it stops once past `stop_above`.
    """
    depth = deepest = 0
    in_string = False
    for token in _TOKENS.finditer(body):
        mark = token.group()
        if mark == b'"':
            in_string = not in_string
        elif in_string or len(mark) == 2:
            continue
        elif mark in b"[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > stop_above:
                break
        else:
            depth -= 1
    return deepest


def unstorable_text(value, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], str] | None:
    """The first key or string in a parsed body that no database can store, with why."""
    if isinstance(value, str):
        return _why(value, path)
    if isinstance(value, dict):
        for key, item in value.items():
            found = _why(key, (*path, key)) or unstorable_text(item, (*path, key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unstorable_text(item, (*path, str(index)))
            if found:
                return found
    return None


def _why(text: str, path: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
    if "\x00" in text:
        return path, "must not hold a NUL character"
    if any("\ud800" <= character <= "\udfff" for character in text):
        return path, "must not hold a lone surrogate (not valid Unicode)"
    return None


def check_json_body() -> None:
    """Refuse a JSON body nested too deeply (400) or holding unstorable text (422)."""
    if not request.is_json:
        return
    body = request.get_data(cache=True)
    if not body:
        return
    if nesting_depth(body) > MAX_DEPTH:
        abort(
            400,
            message=f"the JSON body nests more than {MAX_DEPTH} levels",
            errors={"json": [f"nests more than {MAX_DEPTH} levels"]},
        )
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return  # the schema's parser answers malformed JSON with its own 400
    found = unstorable_text(parsed)
    if found is not None:
        path, why = found
        errors: dict | list = [why]
        for part in reversed(path):
            errors = {part: errors}
        abort(422, message="the JSON body holds text that cannot be stored", errors={"json": errors})
