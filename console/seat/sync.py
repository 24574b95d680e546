"""The seat's part of sync (docs/sync-protocol.md): settings, status, one headless pass, the token.

httpx and the client load only when sync is used, so plain CLI commands stay quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from console.kernel.errors import BadInput
from console.seat.session import SeatSession
from console.sync.status import SyncStatus, read_status

if TYPE_CHECKING:
    from console.sync.client import PassReport, SyncSettings


class SyncPart(SeatSession):
    """Sync: this seat's settings and status, and one pass run on this session's connection."""

    def sync_settings(self) -> SyncSettings | None:
        from console.sync.worker import settings_for

        return settings_for(self.config, self.store.path)

    def sync_status(self) -> SyncStatus:
        return read_status(self.store, configured=bool(self.config.sync.server))

    def sync_once(self, transport: Any = None) -> PassReport:
        """One pass, headless, on this session's connection (``linkage sync``)."""
        settings = self.sync_settings()
        if settings is None:
            raise BadInput("sync.no_server", zh="未配置同步服务器（config.toml [sync] server）",
                           en="no sync server configured (config.toml [sync] server)")
        if not settings.token:
            raise BadInput("sync.no_token", zh="本席位还没有同步令牌：linkage sync token FILE",
                           en="this seat has no sync token yet: linkage sync token FILE")
        from console.sync.client import SyncClient

        report = SyncClient(self.store, settings, self.ctx.clock, transport=transport).run_pass()
        self.refresh_catalog()
        return report

    def save_sync_token(self, token: str) -> str:
        from console.sync.worker import save_token

        return str(save_token(self.config, self.store.path, token))
