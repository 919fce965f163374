"""The direction imports run in: the wire format depends on nothing of ours."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("whatsapp", "channels", "actions", "nagarik", "simulator", "harness", "bench", "tests")


def imported(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    return names


def test_the_wire_format_imports_nothing_of_ours_but_itself() -> None:
    others = set(OURS) - {"whatsapp"}
    wrong = {}
    for path in (ROOT / "whatsapp").rglob("*.py"):
        names = [name for name in imported(path) if name.split(".")[0] in others]
        if names:
            wrong[path.relative_to(ROOT).as_posix()] = names
    assert not wrong, f"whatsapp/ is the wire format and may import only the standard library and itself: {wrong}"
