"""`benchmarks/RESULTS.md`: one top-level section ("# …") per benchmark, each rewritten in place.

Every benchmark that records its figures goes through here, so a run of one
never drops or moves another's section.
"""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def _split(text: str, heading: str) -> tuple[str, str, str]:
    """(before, the section under `heading` without it, after); the section is '' when absent."""
    start = text.find(heading + "\n") if text.startswith(heading + "\n") else text.find("\n" + heading + "\n")
    if start < 0:
        return text, "", ""
    start += 0 if text.startswith(heading + "\n") else 1
    body_start = start + len(heading) + 1
    end = text.find("\n# ", body_start)
    end = len(text) if end < 0 else end + 1
    return text[:start], text[body_start:end], text[end:]


def _join(before: str, heading: str, body: str, after: str) -> str:
    parts = [before.rstrip("\n"), heading + "\n\n" + body.strip("\n"), after.strip("\n")]
    return "\n\n".join(part for part in parts if part) + "\n"


def replace_section(path: Path, heading: str, body: str) -> None:
    """Put `body` under `heading` (a '# ' line), in place of what was there, or at the end."""
    text = path.read_text() if path.exists() else ""
    before, _, after = _split(text, heading)
    path.write_text(_join(before, heading, body, after))


def add_to_section(path: Path, heading: str, intro: str, body: str) -> None:
    """Add `body` at the end of the section under `heading` (started with `intro` when new)."""
    text = path.read_text() if path.exists() else ""
    before, section, after = _split(text, heading)
    section = section.strip("\n") or intro
    path.write_text(_join(before, heading, section + "\n\n" + body, after))
