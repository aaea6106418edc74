"""The bulk publication as static files in a directory, for schedq, a CDN or a bucket to serve.

Each file is written beside its final name and renamed over it, the manifest
last, so a reader never meets half a file, and a manifest never names a file
not yet written. Files of an earlier generation that the new manifest no longer
names are removed.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from schedq.fhir.publication import MANIFEST_NAME, Publication


def write(publication: Publication, directory: Path) -> list[Path]:
    """Write every file, then the manifest; answer the paths written, manifest last."""
    directory.mkdir(parents=True, exist_ok=True)
    written = [_replace(directory / f.name, f.body) for f in publication.files]
    written.append(_replace(directory / MANIFEST_NAME, publication.manifest_body))
    kept = {path.name for path in written}
    for old in directory.glob("*.ndjson"):
        if old.name not in kept:
            old.unlink(missing_ok=True)
    return written


def _replace(path: Path, body: bytes) -> Path:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(body)
    os.replace(partial, path)
    return path


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The manifest last written to `directory`, or None."""
    try:
        return json.loads((directory / MANIFEST_NAME).read_bytes())
    except (FileNotFoundError, ValueError):
        return None


def transaction_time(manifest: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(manifest["transactionTime"])
