"""The estimator stays pure: standard library, numpy, numba (a compiler) and schedq.domain only."""

import ast
import sys
from pathlib import Path

import schedq.estimator

PACKAGE = Path(schedq.estimator.__file__).parent


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_estimator_imports_only_stdlib_numpy_numba_and_domain():
    for path in sorted(PACKAGE.glob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            allowed = (
                top in sys.stdlib_module_names
                or top in ("numpy", "numba")
                or module.startswith("schedq.domain")
            )
            assert allowed, f"{path.name} imports {module}"
