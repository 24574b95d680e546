"""The core never imports the UI or the server: checked statically (import-linter) and at run time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_lint_imports_contract_is_kept() -> None:
    result = subprocess.run([str(BIN / "lint-imports")], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


@pytest.mark.parametrize(("modules", "forbidden"), [
    # the core and the CLI: no UI, no server stack
    ("console.seat.services, console.commands.grammar, console.cli",
     ("textual", "rich", "screens", "central", "starlette", "uvicorn")),
    # the seat's sync client needs httpx only (whose optional CLI pulls in rich: httpx's
    # business, not a UI import), never Textual, the screens or the city server's stack
    ("console.sync.client, console.sync.worker", ("textual", "screens", "central", "starlette", "uvicorn")),
    # every console start reads its sync settings; only a configured seat loads httpx
    ("console.seat.services, console.sync.worker, console.sync.settings", ("httpx",)),
])
def test_modules_load_only_what_they_need(modules: str, forbidden: tuple[str, ...]) -> None:
    code = f"import sys, {modules}; print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(forbidden)!r}))"
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_headless_command_loads_no_ui(tmp_path: Path) -> None:
    """Running a whole command (not just importing) keeps Textual and Rich out too."""
    code = (
        "import sys; from console.cli import main; "
        f"rc = main(['--db', {str(tmp_path / 'h.db')!r}, '--json', 'board']); "
        "print(rc, any(m.split('.')[0] in ('textual','rich','screens') for m in sys.modules))"
    )
    env = {"PATH": "/usr/bin:/bin", "LINKAGE_NOW": "2026-11-28T06:00:00Z"}
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0 False"
