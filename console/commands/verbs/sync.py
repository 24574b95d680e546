"""The sync verbs (docs/sync-protocol.md): sync once, status, the quarantine of pulled events
that could not be applied, and the seat's token (see ``console/sync/``)."""

from __future__ import annotations

from console.commands.grammar import Invocation, Outcome, command
from console.kernel.clock import parse_instant
from console.kernel.errors import BadInput
from console.kernel.inputs import clean_text
from console.sync import quarantine
from console.sync.quarantine import Parked
from console.sync.status import SyncStatus, describe_error


def _sync_lines(inv: Invocation, status: SyncStatus) -> list[str]:
    t = inv.text

    def when(value: str | None) -> str:
        return t.time(parse_instant(value)) if value else "-"

    state = {"off": t.pick("未配置", "not configured"), "never": t.pick("尚未同步", "never synced"),
             "online": t.pick("在线", "online"), "offline": t.pick("离线", "offline"),
             "error": t.pick("出错", "error")}[status.state]
    lines = [t.pick(f"同步：{state}", f"sync: {state}"),
             t.pick(f"待上传 {status.queued} 条（最早 {when(status.oldest_queued_at)}）",
                    f"queued {status.queued} (oldest {when(status.oldest_queued_at)})"),
             t.pick(f"上次成功 {when(status.last_ok_at)}", f"last success {when(status.last_ok_at)}"),
             t.pick(f"服务器领先 {status.lag} 条，时钟偏差 {status.skew_ms / 1000:+.1f} 秒",
                    f"server ahead by {status.lag}, clock skew {status.skew_ms / 1000:+.1f} s")]
    if status.offline_since:
        lines.append(t.pick(f"离线自 {when(status.offline_since)}", f"offline since {when(status.offline_since)}"))
    if status.error_code:
        lines.append(f"{describe_error(status.error_code, inv.lang)}: {status.error_detail}")
    if status.quarantined:
        lines.append(t.pick(f"被服务器拒收 {status.quarantined} 条（本地保留）",
                            f"{status.quarantined} refused by the server (kept locally)"))
    waiting = status.pending - status.failed
    if waiting:
        lines.append(t.pick(f"{waiting} 条等待关联数据", f"{waiting} waiting for related events"))
    if status.refused or status.failed:
        lines.append(t.pick(f"搁置 {status.refused + status.failed} 条下载的事件（格式不符 {status.refused}，"
                            f"无法应用 {status.failed}）：linkage sync quarantine",
                            f"{status.refused + status.failed} pulled events set aside ({status.refused}"
                            f" refused, {status.failed} failed): linkage sync quarantine"))
        lines += [_parked_line(inv, p) for p in status.parked]
    return lines


def _parked_line(inv: Invocation, p: Parked) -> str:
    state = {"refused": inv.text.pick("拒收", "refused"), "failed": inv.text.pick("失败", "failed"),
             "waiting": inv.text.pick("等待", "waiting")}[p.state]
    line = clean_text(f"{p.event_id}  {state}  {p.kind}  {p.seat}  #{p.server_seq}  {p.reason}")
    return "  " + " ".join(line.split())[:240]  # one line, whatever the reason holds


@command("sync", zh="同步一次：上传待传事件，下载其他席位的事件",
         en="sync once: push queued events, pull other seats' events")
def _sync(inv: Invocation) -> Outcome:
    s = inv.services
    report = s.sync_once()
    t = inv.text
    head = (t.pick(f"上传 {report.pushed} 条，下载 {report.pulled} 条",
                   f"pushed {report.pushed}, pulled {report.pulled}")
            if report.ok else describe_error(report.error_code, inv.lang) + f": {report.error_detail}")
    status = s.sync_status()
    data = {"pass": {"ok": report.ok, "pushed": report.pushed, "pulled": report.pulled,
                     "quarantined": report.quarantined, "refused": report.refused,
                     "repushed": report.repushed,
                     "requests": report.requests, "error_code": report.error_code,
                     "error_detail": report.error_detail},
            "status": status.to_json()}
    if not report.ok:
        raise BadInput(f"sync.{report.error_code}", zh="同步失败：{m}", en="sync failed: {m}",
                       m=head)
    return inv.outcome(data, [head, *_sync_lines(inv, status)[1:]])


@command("sync status", zh="同步状态：待上传数、上次成功、服务器领先多少",
         en="sync status: queue length, last success, server lag")
def _sync_status(inv: Invocation) -> Outcome:
    status = inv.services.sync_status()
    return inv.outcome(status.to_json(), _sync_lines(inv, status))


@command("sync quarantine", zh="列出搁置的下载事件（格式不符、无法应用、等待关联）",
         en="list pulled events set aside (refused, failed, waiting)")
def _sync_quarantine(inv: Invocation) -> Outcome:
    found = quarantine.parked(inv.services.store, limit=100_000)
    lines = [_parked_line(inv, p) for p in found] or [inv.text.pick("没有搁置的事件", "nothing set aside")]
    return inv.outcome({"parked": [p.to_json() for p in found]}, lines)


@command("sync quarantine drop", args=("id?",), flags=("all",),
         zh="从搁置列表删除事件（仅本席位；--all 全部）",
         en="drop pulled events from the list set aside (this seat only; --all for every one)")
def _sync_quarantine_drop(inv: Invocation) -> Outcome:
    ids = None if inv.get("all") else [inv.need("id")]
    gone = quarantine.drop(inv.services.store, inv.services.ctx.seat, ids)
    if ids is not None and not gone:
        raise BadInput("sync.not_parked", zh="搁置列表中没有事件 {i}", en="no event {i} is set aside", i=ids[0][:64])
    return inv.outcome({"dropped": gone}, [inv.text.pick(f"已删除 {len(gone)} 条", f"dropped {len(gone)}")])


@command("sync token", args=("file",),
         zh="保存本席位的同步令牌（从文件读取，- 表示标准输入；文件权限 0600）",
         en="store this seat's sync token (read from FILE, - for stdin; kept with mode 0600)")
def _sync_token(inv: Invocation) -> Outcome:
    import sys
    from pathlib import Path

    source = inv.need("file")
    try:
        token = sys.stdin.readline() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput("sync.token_file", zh="读不了令牌文件：{e}", en="cannot read the token file: {e}",
                       e=exc.strerror) from exc
    path = inv.services.save_sync_token(token)
    return inv.outcome({"token_file": path}, [inv.text.pick(f"令牌已保存到 {path}", f"token saved to {path}")])
