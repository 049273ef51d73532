"""Issue 12's code counts for a checkout: bare status/role literals outside common/enums.py, `type: ignore`s,
lines in actions/, and functions over 40 lines.

    .venv/bin/python scripts/code_counts.py [ROOT]     # ROOT defaults to this checkout

A "bare literal" is a string constant equal to a value of a role, status or outbox-kind enum in *this* checkout's
common/enums.py, used as a value: compared (`status == "sent"`, `role in ("ketua", ...)`), assigned, returned or
passed as a keyword argument (`status="pending"`) — not a dict key, placeholder name or file name. Counted in the
app's Python outside common/enums.py, tests/ and migrations (which must keep plain strings). The vocabulary
comes from this checkout, so an older ROOT is counted by today's names.
"""

from __future__ import annotations

import ast
import re
import sys
from enum import StrEnum
from pathlib import Path

from common import enums

IGNORE = re.compile(r"#\s*type:\s*ignore")
SKIP_PARTS = {".venv", ".venv-rasa", "tests", "migrations", "node_modules", ".git", "models"}


def vocabulary() -> set[str]:
    values: set[str] = set()
    for name in dir(enums):
        item = getattr(enums, name)
        is_enum = isinstance(item, type) and issubclass(item, StrEnum) and item is not StrEnum
        if is_enum and name.endswith(("Role", "Status", "Kind")):
            values |= {member.value for member in item}
    return values


def app_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if not SKIP_PARTS & set(p.relative_to(root).parts))


def value_constants(tree: ast.AST) -> list[ast.Constant]:
    """String constants used as values: operands of a comparison (or in a tuple/set/list compared against),
    assigned, returned or passed as keyword arguments."""
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                found += operand.elts if isinstance(operand, ast.Tuple | ast.Set | ast.List) else [operand]
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.Return | ast.keyword) and node.value is not None:
            found.append(node.value)
    return [n for n in found if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def main() -> None:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    words = vocabulary()
    literals = ignores = long_functions = 0
    for path in app_files(root):
        source = path.read_text(encoding="utf-8")
        ignores += len(IGNORE.findall(source))
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                long_functions += node.end_lineno - node.lineno + 1 > 40
        if path.relative_to(root).as_posix() != "common/enums.py":
            literals += sum(node.value in words for node in value_constants(tree))
    actions_lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in (root / "actions").glob("*.py"))
    print(f"checkout: {root}")
    print(f"bare status/role/kind literals outside common/enums.py: {literals}")
    print(f"type: ignore: {ignores}")
    print(f"lines in actions/: {actions_lines}")
    print(f"functions over 40 lines: {long_functions}")


if __name__ == "__main__":
    main()
