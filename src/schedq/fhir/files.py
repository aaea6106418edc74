"""The bulk publication as static files in a directory, for schedq, a CDN or a bucket to serve.

Each file is written beside its final name, line by line as the publication
makes them, and renamed over it when whole; the manifest last, so a reader never
meets half a file, and a manifest never names a file not yet written. Files of
an earlier generation that the new manifest no longer names are removed
(README: "FHIR and SMART Scheduling Links").
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

MANIFEST_NAME = "$bulk-publish"


class Writer:
    """One NDJSON file being written: lines go to `.{name}.{pid}.partial`, renamed to `name` on a clean exit.

    Left by an error, the partial file is removed and the file of the previous
    generation stays.
    """

    def __init__(self, directory: Path, name: str) -> None:
        self.name = name
        self.path = directory / name
        self.partial = directory / f".{name}.{os.getpid()}.partial"
        self.lines = 0
        self.size = 0
        self._out: BinaryIO | None = None

    def __enter__(self) -> Writer:
        self._out = open(self.partial, "wb")  # closed in __exit__
        return self

    def write(self, line: bytes) -> None:
        assert self._out is not None
        self._out.write(line)
        self.lines += 1
        self.size += len(line)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        assert self._out is not None
        self._out.close()
        if kind is None:
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)


def manifest_body(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, indent=1).encode() + b"\n"


def finish(directory: Path, manifest: dict[str, Any]) -> Path:
    """Write the manifest over the previous one, then remove the files it no longer names."""
    path = directory / MANIFEST_NAME
    partial = directory / f".{MANIFEST_NAME}.{os.getpid()}.partial"
    partial.write_bytes(manifest_body(manifest))
    os.replace(partial, path)
    kept = {entry["url"].rsplit("/", 1)[-1] for entry in manifest["output"]}
    for old in directory.glob("*.ndjson"):
        if old.name not in kept:
            old.unlink(missing_ok=True)
    return path


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The manifest last written to `directory`, or None."""
    try:
        return json.loads((directory / MANIFEST_NAME).read_bytes())
    except (FileNotFoundError, ValueError):
        return None


def transaction_time(manifest: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(manifest["transactionTime"])
