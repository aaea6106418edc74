"""The domain and the estimator stay pure: no web, database or schema libraries."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "schedq"
FORBIDDEN = {"flask", "flask_smorest", "sqlalchemy", "marshmallow", "alembic", "werkzeug"}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", ["domain", "estimator"])
def test_pure_packages_import_no_web_or_database_code(package):
    files = sorted((PACKAGE / package).rglob("*.py"))
    assert files, f"src/schedq/{package} has no modules"
    offenders = {str(f.relative_to(PACKAGE)): imported_roots(f) & FORBIDDEN for f in files}
    assert {f: bad for f, bad in offenders.items() if bad} == {}


def test_importing_the_estimator_loads_no_web_or_database_code():
    import subprocess
    import sys

    probe = (
        "import sys, schedq.estimator, schedq.domain.policy; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
