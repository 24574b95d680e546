"""The server is restored from an older backup: seats notice the new epoch and re-push.

Everything written after the backup is gone from the server; every seat still holds its own
events (the legal record), asks the server which it lacks, pushes those again, pulls from 0,
and in the end the server and every seat hold everything again: 0 lost.
"""

from __future__ import annotations

from pathlib import Path

from sync_harness import County

from console.calls import intake
from console.kernel.clock import FakeClock


def _work(county: County, tag: str) -> None:
    for n, name in enumerate(county.names):
        services = county.seats[name]
        result = intake.new_call(services.ctx, None, phone=f"1370000{n:04d}", text=f"{tag} 燃气味很重",
                                 address=f"{tag}小区{n}栋", category="public_order", dispatch=["housing"])
        county.clock.advance(30)
        services.step(result.orders[0].no, "ack")
        intake.add_note(services.ctx, result.incident.no, f"{tag} 已通知物业")


def test_server_restored_from_an_older_backup_loses_nothing(tmp_path: Path, central_spec: Path | str) -> None:
    """On both engines (``central_spec``): a SQLite file copy, or pg_dump/pg_restore."""
    county = County(tmp_path, FakeClock("2026-11-28T06:00:00Z"), store=central_spec)
    try:
        _work(county, "早")
        county.drain()
        backup = tmp_path / "central-backup.db"
        county.central.backup(backup)
        old_epoch = county.central.epoch("demo-county")
        _work(county, "晚")
        county.drain()
        # one seat writes more while the server is being restored
        _work(county, "恢复中")
        before = len(county.server_ids())
        county.restore_server(backup)
        after_restore = len(county.server_ids())
        assert county.central.epoch("demo-county") != old_epoch
        reports = [county.sync(name) for name in county.names]
        assert all(r.ok for r in reports)
        assert all(r.epoch_changed for r in reports)
        county.drain()
        server = county.server_ids()
        union = set().union(*(county.local_ids(n) for n in county.names))
        print(f"\nrestore: server had {before} events, the backup {after_restore}; seats re-pushed "
              f"{sum(r.repushed for r in reports)}; now {len(server)} on the server, union of seats "
              f"{len(union)}, lost {len(union - set(server))}")
        assert after_restore < before
        assert set(server) == union and len(server) == len(set(server))
        assert county.server_seqs() == list(range(1, len(server) + 1))
        first = county.projection(county.names[0])
        for name in county.names:
            assert county.all_ids(name) == set(server)
            assert county.projection(name) == first
            status = county.seats[name].sync_status()
            assert status.epoch == county.central.epoch("demo-county") and status.lag == 0
    finally:
        county.close()
