"""The direction imports run in: wire format <- Cloud API client <- channel; the civic side
(nagarik/) never reaches into the Rasa channel."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = (
    "whatsapp", "channels", "actions", "action_server", "nagarik", "simulator", "harness", "deploy", "bench", "tests",
    "nlu_pipeline",
)  # fmt: skip


def imported(path: Path) -> list[str]:
    """Every name a module imports, in full: `from nagarik import db` is nagarik.db."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
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


def test_only_launchers_tests_and_benches_import_the_launchers() -> None:
    """harness/ (this machine's demo and tests) and deploy/ (production) start processes; no process imports them."""
    launchers = ("harness", "deploy")
    wrong = {}
    for folder in ("whatsapp", "channels", "actions", "action_server", "nagarik", "simulator", "nlu_pipeline"):
        for path, names in offenders(folder, set()).items():
            bad = [n for n in names if n.split(".")[0] in launchers]
            if bad:
                wrong[path] = bad
    assert not wrong, f"only tests, benches and the launchers themselves import harness/ or deploy/: {wrong}"


ACTION_SERVER_MAY = ("nagarik.settings", "nagarik.shared.log_privacy")


def test_the_action_server_is_rasa_sdk_with_the_civic_settings() -> None:
    wrong = {
        path: [n for n in names if n.split(".")[0] in OURS and n not in ACTION_SERVER_MAY and not n.startswith("action_server")]
        for path, names in offenders("action_server", set()).items()
    }
    wrong = {path: names for path, names in wrong.items() if names}
    assert not wrong, f"action_server/ wraps rasa-sdk's server and imports of ours only {ACTION_SERVER_MAY}: {wrong}"


# nagarik/'s rooms, each importing only the rooms before it (settings is read by all).
ROOMS = ("shared", "db", "catalog", "citizens", "conversations", "outbound", "staff", "open311", "officials", "web")


def test_each_room_of_nagarik_imports_only_the_rooms_before_it() -> None:
    wrong = {}
    for index, room in enumerate(ROOMS):
        allowed = {"nagarik.settings", *(f"nagarik.{before}" for before in ROOMS[: index + 1])}
        for path, names in offenders(f"nagarik/{room}", set()).items():
            bad = [n for n in names if n.startswith("nagarik") and ".".join(n.split(".")[:2]) not in allowed]
            bad += [n for n in names if n.split(".")[0] in OURS and n.split(".")[0] not in ("nagarik", "whatsapp")]
            if bad:
                wrong[path] = bad
    assert not wrong, f"nagarik/'s rooms import only the rooms before them, in the order {' <- '.join(ROOMS)}: {wrong}"


def test_actions_call_services_and_never_touch_the_schema() -> None:
    wrong = {}
    for path in (ROOT / "actions").rglob("*.py"):
        bad = [n for n in imported(path) if n.split(".")[0] == "sqlalchemy" or n.startswith("nagarik.db.")]
        if bad:
            wrong[path.relative_to(ROOT).as_posix()] = bad
    assert not wrong, f"actions/ use the services in nagarik/, never SQLAlchemy or the models (nagarik.db.models): {wrong}"


BLOCKER = """
import importlib, importlib.abc, pkgutil, sys
BLOCKED = {"sqlalchemy", "alembic", "huey", "psycopg2", "fpdf", "PIL", "gcld3"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"{name} is not installed in the Rasa environment")
sys.meta_path.insert(0, Block())
import nagarik.settings, nagarik.shared
for module in pkgutil.iter_modules(nagarik.shared.__path__, "nagarik.shared."):
    importlib.import_module(module.name)
    print(module.name)
"""


def test_the_shared_room_imports_where_sqlalchemy_is_missing() -> None:
    """The Rasa environment (Rasa's pins: SQLAlchemy 1.4, no Alembic or Huey) imports nagarik/shared/."""
    done = subprocess.run([sys.executable, "-c", BLOCKER], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (
        f"nagarik/shared/ must import without SQLAlchemy, Alembic, Huey or the PDF libraries:\n{done.stderr}"
    )
    assert "nagarik.shared.catalog" in done.stdout.split()
