"""The direction imports run in: wire format <- Cloud API client <- channel; the civic side
(nagarik/) never reaches into the Rasa channel."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("whatsapp", "channels", "actions", "nagarik", "simulator", "harness", "bench", "tests", "nlu_pipeline")


def imported(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    return names


def offenders(folder: str, allowed: set[str], skip: str | None = None) -> dict[str, list[str]]:
    """Modules under `folder` importing a top-level package outside `allowed`."""
    found = {}
    for path in (ROOT / folder).rglob("*.py"):
        if skip and path.is_relative_to(ROOT / skip):
            continue
        names = [name for name in imported(path) if name.split(".")[0] not in allowed]
        if names:
            found[path.relative_to(ROOT).as_posix()] = names
    return found


def test_the_wire_format_is_the_standard_library_and_itself() -> None:
    wrong = offenders("whatsapp", set(sys.stdlib_module_names) | {"__future__", "whatsapp"}, skip="whatsapp/cloud")
    assert not wrong, f"whatsapp/ (outside whatsapp/cloud/) may import only the standard library and itself: {wrong}"


def test_the_cloud_api_client_imports_only_the_wire_format_of_ours() -> None:
    wrong = {
        path: [n for n in names if n.split(".")[0] in OURS] for path, names in offenders("whatsapp/cloud", {"whatsapp"}).items()
    }
    wrong = {path: names for path, names in wrong.items() if names}
    assert not wrong, f"whatsapp/cloud/ may import of ours only whatsapp/: {wrong}"


def test_the_civic_side_never_imports_the_rasa_channel() -> None:
    wrong = {path: [n for n in names if n.split(".")[0] == "channels"] for path, names in offenders("nagarik", set()).items()}
    wrong = {path: names for path, names in wrong.items() if names}
    assert not wrong, f"nagarik/ must not import channels/ (use whatsapp/ and whatsapp/cloud/): {wrong}"
