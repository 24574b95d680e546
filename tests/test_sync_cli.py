"""``linkage sync`` headless, against a real server on loopback: token, one pass, status."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

import pytest

from central.store import CentralStore
from central.testing import serve_in_thread
from console.cli import main
from console.kernel.clock import SystemClock

COUNTY = "demo-county"


def _config(tmp_path: Path, seat: str, server: str) -> Path:
    path = tmp_path / f"{seat}.toml"
    path.write_text(f'[center]\ncounty = "{COUNTY}"\nseat = "{seat}"\n[sync]\nserver = "{server}"\n',
                    encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_sync_token_pass_and_status(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKAGE_NOW", "2026-11-28T06:00:00Z")
    central = CentralStore(tmp_path / "central.db", SystemClock())
    token_a = central.add_token(COUNTY, "seat-01")
    token_b = central.add_token(COUNTY, "seat-02")
    with serve_in_thread(central) as url:
        a = ["--db", str(tmp_path / "a" / "linkage.db"), "--config", str(_config(tmp_path, "seat-01", url))]
        b = ["--db", str(tmp_path / "b" / "linkage.db"), "--config", str(_config(tmp_path, "seat-02", url))]

        # no token yet: a clear refusal, exit 2
        code, _, err = _run(capsys, *a, "sync")
        assert code == 2 and "linkage sync token" in err

        monkeypatch.setattr("sys.stdin", io.StringIO(token_a + "\n"))
        code, out, _ = _run(capsys, *a, "--lang", "en", "sync", "token", "-")
        assert code == 0 and "token saved" in out
        token_file = tmp_path / "a" / "linkage.db.sync-token"  # per database, not one per directory
        assert token_file.read_text().strip() == token_a
        assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
        (tmp_path / "b-token").write_text(token_b)
        assert _run(capsys, *b, "sync", "token", str(tmp_path / "b-token"))[0] == 0

        code, _, _ = _run(capsys, *a, "call", "new", "--phone", "13800000001", "--text", "小区停电两个小时了",
                          "--address", "人民路12号", "--category", "power_supply", "--dispatch", "gdj")
        assert code == 0
        code, out, _ = _run(capsys, *a, "--json", "sync", "status")
        status = json.loads(out)["data"]
        assert (status["state"], status["queued"]) == ("never", 3)  # catalog, incident, order

        code, out, _ = _run(capsys, *a, "--json", "sync")
        assert code == 0
        passed = json.loads(out)["data"]
        assert passed["pass"]["pushed"] == 3 and passed["status"]["state"] == "online"
        assert passed["status"]["queued"] == 0

        code, out, _ = _run(capsys, *b, "sync")
        assert code == 0 and "下载" in out
        code, out, _ = _run(capsys, *b, "--json", "board")
        waiting = json.loads(out)["data"]
        assert "人民路12号" in json.dumps(waiting, ensure_ascii=False)
        code, out, _ = _run(capsys, *b, "sync", "status")
        assert "同步：在线" in out and "待上传 0 条" in out

        # a revoked seat is told so, in its language, and keeps working offline
        central.revoke(COUNTY, "seat-01")
        code, _, err = _run(capsys, *a, "--lang", "en", "sync")
        assert code == 2 and "token revoked" in err
        assert _run(capsys, *a, "call", "new", "--phone", "13800000002", "--text", "路灯不亮",
                    "--category", "power_supply")[0] == 0
        code, out, _ = _run(capsys, *a, "--json", "sync", "status")
        status = json.loads(out)["data"]
        assert (status["state"], status["error_code"], status["queued"]) == ("error", "token_revoked", 1)
    central.close()
