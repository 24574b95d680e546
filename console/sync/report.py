"""What one sync pass (or one held pull) tells its caller, and how it can stop.

Apart from the client so the pull half (``console/sync/pulling.py``) and the push half share
them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from console.sync.status import TRANSIENT


class SyncError(Exception):
    """A pass stopped: ``code`` says why (``console/sync/status.TRANSIENT`` = try later)."""

    def __init__(self, code: str, detail: str, *, retry_after: float | None = None,
                 body: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.retry_after = retry_after
        self.body = body or {}

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT


@dataclass
class PassReport:
    ok: bool = False
    pushed: int = 0
    pulled: int = 0
    quarantined: int = 0
    refused: int = 0  # pulled events set aside by this seat's checks (console/sync/quarantine.py)
    repushed: int = 0
    requests: int = 0
    error_code: str = ""
    error_detail: str = ""
    retry_after: float | None = None
    epoch_changed: bool = False
    applied_ids: list[str] = field(default_factory=list)
    # a held pull (``SyncClient.run_watch``) only: a local commit or a nudge ended it early,
    # or the server answered at once with nothing (it holds no pulls: poll instead)
    interrupted: bool = False
    unheld: bool = False

    @property
    def transient(self) -> bool:
        return self.error_code in TRANSIENT
