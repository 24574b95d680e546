"""Where this seat stands with the city server, read from its own store.

Kept in ``sync_state`` (one row) by the sync client, so ``linkage sync status``, the TUI's
indicator and a restarted console all read the same answer without asking the network.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from console.store.transaction import Store
from console.sync.quarantine import FAILED, REFUSED, Parked, counts, parked

# Failures that say "try again later"; anything else needs a person (token, config, upgrade).
TRANSIENT = frozenset({"unreachable", "timeout", "server_error", "rate_limited", "bad_response"})


@dataclass(frozen=True)
class SyncStatus:
    configured: bool
    state: str                  # never | online | offline | error | off
    queued: int                 # outbox rows waiting to be pushed
    quarantined: int            # refused by the server; kept locally, never re-sent
    pending: int                # pulled events in pending_events: waiting, or failed to apply
    oldest_queued_at: str | None
    last_ok_at: str | None
    last_attempt_at: str | None
    offline_since: str | None
    error_code: str
    error_detail: str
    after_seq: int
    high_watermark: int
    skew_ms: int
    epoch: str
    refused: int = 0            # pulled events that failed the checks, set aside (sync_refused)
    failed: int = 0             # pulled events that could not be applied (part of ``pending``)
    parked: tuple[Parked, ...] = ()  # the first of them, refused first (console/sync/quarantine.py)

    @property
    def lag(self) -> int:
        """Events on the server this seat has not pulled yet (as of the last contact)."""
        return max(0, self.high_watermark - self.after_seq)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "lag": self.lag, "parked": [p.to_json() for p in self.parked]}


def read_status(store: Store, *, configured: bool) -> SyncStatus:
    row = store.one("SELECT * FROM sync_state WHERE id = 1")
    assert row is not None  # inserted by the migration
    queued = store.one("SELECT count(*), min(queued_at) FROM outbox WHERE quarantined = 0")
    quarantined = store.one("SELECT count(*) FROM outbox WHERE quarantined = 1")
    pending = store.one("SELECT count(*) FROM pending_events")
    aside = counts(store)
    code = row["error_code"]
    if not configured:
        state = "off"
    elif code in TRANSIENT:
        state = "offline"
    elif code:
        state = "error"
    elif row["last_ok_at"]:
        state = "online"
    else:
        state = "never"
    return SyncStatus(
        configured=configured, state=state,
        queued=int(queued[0]) if queued else 0,
        quarantined=int(quarantined[0]) if quarantined else 0,
        pending=int(pending[0]) if pending else 0,
        oldest_queued_at=queued[1] if queued else None,
        last_ok_at=row["last_ok_at"], last_attempt_at=row["last_attempt_at"],
        offline_since=row["offline_since"], error_code=code, error_detail=row["error_detail"],
        after_seq=row["after_seq"], high_watermark=row["high_watermark"],
        skew_ms=row["skew_ms"], epoch=row["epoch"],
        refused=aside[REFUSED], failed=aside[FAILED],
        parked=tuple(p for p in parked(store, PARKED_SHOWN) if p.state != "waiting")
        if aside[REFUSED] or aside[FAILED] else (),
    )


PARKED_SHOWN = 20  # listed by ``sync status``; ``sync quarantine`` lists them all


# What each failure means to the person at the seat (the detail follows in the server's words).
ERROR_TEXT: dict[str, tuple[str, str]] = {
    "unreachable": ("连不上服务器", "server unreachable"),
    "timeout": ("服务器应答超时", "server timed out"),
    "server_error": ("服务器出错", "server error"),
    "rate_limited": ("请求过于频繁，稍后重试", "rate limited, retrying later"),
    "bad_response": ("服务器应答无法识别", "unreadable server answer"),
    "unauthenticated": ("令牌无效，请重新登记席位", "token not accepted; enrol this seat again"),
    "token_revoked": ("令牌已被吊销", "token revoked"),
    "no_such_stream": ("令牌不属于本县", "token is not for this county"),
    "forbidden": ("令牌无此权限", "token lacks permission"),
    "unsupported_protocol": ("需要升级程序", "update required"),
    "chain_break": ("服务器拒收：本席位事件链断开（是否有另一份本席位数据库？）",
                    "the server refuses this seat's events: their hash chain breaks"
                    " (another copy of this seat's database?)"),
    "stopped": ("已停止", "stopped"),
    "internal": ("程序内部错误（已记录，稍后重试）", "internal error (recorded; will retry)"),
}


def describe_error(code: str, lang: str) -> str:
    zh, en = ERROR_TEXT.get(code, (f"同步失败（{code}）", f"sync failed ({code})"))
    return zh if lang == "zh" else en
