"""``db tables --counts`` and ``db query`` (sqlite-utils): what an IT person reads, and that a
query cannot write."""

from __future__ import annotations

from conftest import Cli


def test_tables_with_counts_and_a_read_only_query(seeded: Cli) -> None:
    tables = {t["table"]: t["count"] for t in seeded("db", "tables", "--counts").data["tables"]}
    assert tables["orders"] == 1 and tables["incidents"] == 1 and tables["events"] >= 2
    got = seeded("db", "query", "SELECT no, unit FROM orders").data
    assert got["columns"] == ["no", "unit"] and got["rows"] == [{"no": 1, "unit": "power"}]
    refused = seeded("db", "query", "DELETE FROM orders")
    assert refused.code != 0 and "readonly" in refused.out + refused.err
    assert seeded("db", "query", "SELECT count(*) AS n FROM orders").data["rows"] == [{"n": 1}]
    assert seeded("db", "query", "SELECT 1", "--limit", "0").code != 0
