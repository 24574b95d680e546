"""The core never imports the UI or the server: checked statically (import-linter) and at run time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_lint_imports_contract_is_kept() -> None:
    result = subprocess.run([str(BIN / "lint-imports")], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_headless_modules_load_no_ui() -> None:
    code = ("import console.services, console.commands, console.cli, sys; "
            "print(any(m.split('.')[0] in ('textual','rich','screens','central','starlette','uvicorn')"
            " for m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


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


def test_the_sync_client_loads_neither_ui_nor_server() -> None:
    """The seat's sync thread needs httpx only (whose optional CLI pulls in rich; that is httpx's
    business, not a UI import), never Textual, the screens or the city server's stack."""
    code = ("import console.sync.worker, sys; "
            "print(any(m.split('.')[0] in ('textual','screens','central','starlette','uvicorn')"
            " for m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_reading_sync_settings_loads_no_http_stack() -> None:
    """Every console start asks for its sync settings; only a configured seat loads httpx."""
    code = ("import console.services, console.sync.worker, sys; print('httpx' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
