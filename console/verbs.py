"""The verbs of the command grammar (see ``console/commands.py``)."""

from __future__ import annotations

from console import accountability, render
from console.clean import one_line
from console.clock import iso, parse_instant
from console.commands import REGISTRY, Invocation, Outcome, command
from console.errors import BadInput
from console.inputs import clean_text, looks_like_time
from console.model import Order, ReturnRecord, services_label
from console.roster_verbs import stale_text
from console.sync import quarantine
from console.sync.quarantine import Parked
from console.sync.status import SyncStatus, describe_error
from console.timeline import timeline


@command("triage", aliases=("tr",), args=("text*",),
         zh="研判：给出类别建议、是否警务、转出目标和推荐单位",
         en="triage: category suggestions, police verdict, transfer target, units")
def _triage(inv: Invocation) -> Outcome:
    result = inv.services.triage(inv.get("text") or "")
    t = inv.text
    lines = []
    for n, s in enumerate(result.suggestions, start=1):
        units = "、".join(t.unit(u.code) for u in s.units[:4])
        words = ",".join(s.matched)
        target = f" → {s.transfer_to}" if s.transfer_to else ""
        lines.append(f"{n}. {t.category(s.category.code)} ({s.category.code}) {s.verdict}{target}"
                     f" · {t.pick('匹配', 'matched')}: {words} · {units}")
    if not lines:
        lines.append(t.pick("无法判断类别，请人工选择", "no category matched; choose one by hand"))
    plan = result.plan()
    if plan.several:   # the call needs several services at once (110 + 120, 120 + gas company)
        what = " + ".join([services_label(plan.services, t.lang), *(t.unit(u) for u in plan.units)])
        lines.insert(0, t.pick(f"应同时：{what}", f"all at once: {what}"))
    return inv.outcome(render.triage_json(result), lines)


@command("call new", aliases=("new",),
         options=("phone", "text", "address", "area", "category", "name", "at", "merge-into",
                  "transfer", "dispatch"), flags=("drill",),
         zh="接警：登记一个来电（显示来电历史和可能的重复警情；--dispatch 单位[,单位] 同时派单；"
            "--transfer 110,120 同时转多个部门；"
            "--drill 记为演练）",
         en="take a call: record it (shows caller history and possible duplicates;"
            " --dispatch UNIT[,UNIT] orders units in the same transaction; --transfer 110,120 several"
            " services; --drill: a drill)")
def _call_new(inv: Invocation) -> Outcome:
    s = inv.services
    result = s.new_call(
        phone=inv.need("phone"), text=inv.need("text"), address=inv.get("address") or "",
        area=inv.get("area"), category=inv.get("category"), caller_name=inv.get("name") or "",
        at=inv.get("at"), merge_into=inv.get("merge_into"), transfer=inv.get("transfer"),
        dispatch=[u for u in (inv.get("dispatch") or "").replace("，", ",").split(",") if u.strip()],
        drill=bool(inv.get("drill")),
    )
    incident = result.incident
    t = inv.text
    lines = [t.pick("已保存 ", "saved ") + t.incident_line(incident)]
    if result.merged:
        lines.append(t.pick(f"来电已并入警情 #{incident.no}", f"call added to incident #{incident.no}"))
    others = [r for r in result.repeats if r.incident.id != incident.id]
    if others:
        lines.append(t.pick("可能重复（incident merge 合并）：", "possible duplicates (incident merge):"))
        lines += [f"  {t.incident_line(r.incident)} · {r.words(t.lang)}" for r in others]
    for order in result.orders:
        lines.append(t.order_line(order, s.clock_of(order)))
    if result.history:
        lines.append(t.pick("该号码的历史来电：", "earlier calls from this number:"))
        lines += [t.call_line(c) for c in result.history]
    return _with_off_duty(inv, inv.outcome(
        {"incident": render.incident_json(incident), "call_id": result.call_id,
         "orders": [render.order_json(o, s.clock_of(o)) for o in result.orders],
         "merged": result.merged,
         "duplicates": [{**render.incident_json(r.incident), "reasons": list(r.reasons),
                         "why": r.words(t.lang)} for r in others],
         "history": [render.call_json(c) for c in result.history]},
        lines,
    ), [o.unit for o in result.orders])


@command("call history", aliases=("hist",), args=("phone",),
         zh="来电历史：某号码以前的来电", en="caller history: earlier calls from a number")
def _call_history(inv: Invocation) -> Outcome:
    calls = inv.services.history(inv.need("phone"))
    lines = [inv.text.call_line(c) for c in calls] or [inv.text.pick("无历史来电", "no earlier calls")]
    return inv.outcome({"calls": [render.call_json(c) for c in calls]}, lines)


@command("incident show", aliases=("show", "inc"), args=("incident",),
         zh="警情详情：来电、派单、时间线", en="incident detail: calls, orders, timeline")
def _incident_show(inv: Invocation) -> Outcome:
    d = inv.services.incident(inv.need("incident"))
    t = inv.text
    lines = [t.incident_line(d.incident), f"  {one_line(d.incident.text)}",
             t.pick("来电：", "calls:")]
    lines += [t.call_line(c) for c in d.calls]
    lines.append(t.pick("派单：", "orders:"))
    for o, c in d.orders:
        lines += [t.order_line(o, c), *_chain_lines(inv, o)]
    if not d.orders:
        lines.append(t.pick("  （无）", "  (none)"))
    lines.append(t.pick("时间线（发生 / 记录）：", "timeline (happened / recorded):"))
    for line in timeline(d, t):
        words = f"{line.kind} {line.detail}" if line.detail else line.kind
        lines.append(f"  {t.time(line.happened, True)} / {t.time(line.recorded)} {words}"
                     f" [{line.operator}@{line.seat}]")
    latest = accountability.latest_callback(inv.services.store, d.incident.id)
    if latest is not None:
        result = accountability.pick(accountability.CALLBACK_RESULTS[latest.result], inv.lang)
        lines.append(t.pick(f"回访结果：{result}", f"callback: {result}"))
    activations = inv.services.activations(d.incident.id)
    now = inv.services.ctx.clock.now()
    for a in activations:
        lines += _plan_verbs.activation_lines(t, a, now)
    return inv.outcome(
        {"incident": render.incident_json(d.incident),
         "activations": [a.to_json(now) for a in activations],
         "callback": latest.to_json() if latest else None,
         "calls": [render.call_json(c) for c in d.calls],
         "orders": [render.order_json(o, c) for o, c in d.orders],
         "timeline": [render.event_json(e) for e in d.timeline],
         "history": [render.call_json(c) for c in d.history]},
        lines,
    )


@command("incident merge", aliases=("merge",), args=("duplicate", "into"), options=("at",),
         zh="合并重复警情（两次来电都保留）", en="merge a repeated incident (both calls kept)")
def _incident_merge(inv: Invocation) -> Outcome:
    master = inv.services.merge(inv.need("duplicate"), inv.need("into"), inv.get("at"))
    return inv.outcome({"incident": render.incident_json(master)},
                       [inv.text.pick("已合并到 ", "merged into ") + inv.text.incident_line(master)])


@command("incident transfer", aliases=("transfer", "tf"), args=("incident", "target"),
         options=("note", "at"),
         zh="转出：转110/119/120/12345，或 answered 当场答复",
         en="transfer to 110/119/120/12345, or 'answered' on the spot")
def _incident_transfer(inv: Invocation) -> Outcome:
    i = inv.services.transfer(inv.need("incident"), inv.need("target"), inv.get("note") or "",
                              inv.get("at"))
    return inv.outcome({"incident": render.incident_json(i)}, [inv.text.incident_line(i)])


@command("incident note", aliases=("note",), args=("incident", "text*"), options=("at",),
         zh="给警情加备注", en="add a note to an incident")
def _incident_note(inv: Invocation) -> Outcome:
    i = inv.services.note(inv.need("incident"), inv.need("text"), inv.get("at"))
    return inv.outcome({"incident": render.incident_json(i)},
                       [inv.text.pick("已记录备注 ", "note saved ") + f"#{i.no}"])


@command("incident category", aliases=("cat",), args=("incident", "category"),
         zh="更改警情类别", en="change an incident's category")
def _incident_category(inv: Invocation) -> Outcome:
    i = inv.services.recategorize(inv.need("incident"), inv.need("category"))
    return inv.outcome({"incident": render.incident_json(i)}, [inv.text.incident_line(i)])


def _order_outcome(inv: Invocation, order_ref: object) -> Outcome:
    order, clock = inv.services.order(str(order_ref))
    return inv.outcome({"order": render.order_json(order, clock)},
                       [inv.text.pick("已保存", "saved") + inv.text.order_line(order, clock)])


@command("order new", aliases=("dp", "dispatch"), args=("incident", "unit"),
         options=("at", "note"),
         zh="派单：命令联动单位处置（单位可用代码、名称、拼音或首字母）",
         en="issue an order to a unit (code, name, pinyin or initials)")
def _order_new(inv: Invocation) -> Outcome:
    order = inv.services.issue_order(inv.need("incident"), inv.need("unit"), inv.get("at"),
                                     inv.get("note") or "")
    out = _order_outcome(inv, order.no)
    return _with_off_duty(inv, out, [order.unit])


def _with_off_duty(inv: Invocation, out: Outcome, units: list[str]) -> Outcome:
    """An off-duty Tier 2/3 unit was ordered: the answer warns (``warnings`` in --json)."""
    off = inv.services.off_duty(units)
    if not off:
        return out
    warning = inv.text.off_duty_warning(off)
    return inv.outcome({**out.data, "warnings": [{"code": "order.off_duty",
                                                  "units": [u.code for u in off],
                                                  "message": warning}]},
                       [*out.lines, warning])


def _orders_and_time(inv: Invocation) -> tuple[list[str], str | None]:
    """``ack 5 6 7 14:05``: the orders named, then at most one reported time (a clock time or
    ``-5m``; ``--at`` works too)."""
    refs = [inv.need("order")]
    rest = (inv.get("_rest") or "").split()
    at = inv.get("at") if inv.get("_at_option") or not rest else None
    for word in rest:
        if looks_like_time(word):
            if at is not None:
                raise BadInput("command.twice", zh="{a} 给了两次", en="{a} given twice", a="AT")
            at = word
        else:
            refs.append(word)
    return refs, at


def _step_command(verb: str, aliases: tuple[str, ...], zh: str, en: str) -> None:
    def handler(inv: Invocation) -> Outcome:
        refs, at = _orders_and_time(inv)
        orders = inv.services.step_many(refs, verb, at, inv.get("note") or "",
                                        inv.get("reason") or "")
        if len(orders) == 1:
            return _order_outcome(inv, orders[0].no)
        s, t = inv.services, inv.text
        pairs = [s.order(str(o.no)) for o in orders]
        return inv.outcome({"orders": [render.order_json(o, c) for o, c in pairs]},
                           [t.pick("已保存", "saved") + t.order_line(o, c) for o, c in pairs])

    command(f"order {verb}", aliases=aliases, args=("order", "at*"),
            options=("at", "note", "reason"), zh=f"{zh}（可一次写多个派单号）",
            en=f"{en} (several orders at once: ack 5 6 7)")(handler)


_step_command("deliver", ("dl",), "送达：派单已送达单位", "delivered: the order reached the unit")
_step_command("ack", ("ack", "qs"), "签收：单位已签收", "acknowledged by the unit")
_step_command("depart", ("go", "cd"), "出动：单位已出发", "en route: the unit set out")
_step_command("arrive", ("ar", "dc"), "到场：单位已到达现场", "on scene: the unit arrived")
_step_command("feedback", ("fb",), "反馈：单位反馈处置情况", "feedback from the unit")
_step_command("complete", ("done", "bj"), "办结：派单处置完毕", "completed: the order is closed")
_step_command("return", ("ret", "td"), "退单：单位退回派单（须 --reason）",
              "returned by the unit (needs --reason)")
_step_command("cancel", ("cx",), "取消派单", "cancel the order")


@command("order handover", aliases=("ho", "yj"), args=("order", "unit"), options=("at", "note"),
         zh="移交：首接单位先期处置后移交给责任单位（须 --note 先期处置情况；接收单位签收前仍由首接单位负责）",
         en="hand over: first-contact unit passes the job to the responsible unit (--note the"
            " initial handling, required; the first unit answers for it until the receiver acks)")
def _order_handover(inv: Invocation) -> Outcome:
    order = inv.services.handover(inv.need("order"), inv.need("unit"), inv.get("at"),
                                  inv.get("note") or "")
    return _order_outcome(inv, order.no)


@command("order reassign", aliases=("ra", "gp"), args=("order", "unit"), options=("at", "note"),
         zh="改派：把派单改派给另一单位", en="reassign the order to another unit")
def _order_reassign(inv: Invocation) -> Outcome:
    order = inv.services.reassign(inv.need("order"), inv.need("unit"), inv.get("at"),
                                  inv.get("note") or "")
    return _order_outcome(inv, order.no)


@command("order show", aliases=("os",), args=("order",),
         zh="派单详情与倒计时", en="order detail and countdown")
def _order_show(inv: Invocation) -> Outcome:
    s = inv.services
    order, clock = s.order(inv.need("order"))
    t = inv.text
    urges = s.urges(order.id)
    sup = s.supervision(order.id)
    now = s.ctx.clock.now()
    returns = s.returns(order.id)
    lines = [t.order_line(order, clock), *_chain_lines(inv, order)]
    for r in returns:
        lines.append(_return_line(inv, r))
    if sup is not None:
        lines.append("  " + accountability.supervise_text(t, sup, now) + f" · {sup.reason}")
    for u in urges:
        how = accountability.pick(accountability.URGE_METHODS.get(u.how, (u.how, u.how)), inv.lang)
        lines.append(t.pick(f"  催办 {t.time(u.at, True)} {how} {u.to} [{u.operator}]",
                            f"  urged {t.time(u.at, True)} by {how} via {u.to} [{u.operator}]"))
    return inv.outcome({"order": render.order_json(order, clock),
                        "returns": [render.return_json(r) for r in returns],
                        "urges": [u.to_json() for u in urges],
                        "supervise": sup.to_json(now) if sup else None}, lines)


def _chain_lines(inv: Invocation, order: Order) -> list[str]:
    """The handover (移交) chain under an order line: the initial handling and the ack."""
    t = inv.text
    lines = []
    if order.initial_handling:
        lines.append(t.pick(f"    先期处置：{order.initial_handling}",
                            f"    initial handling: {order.initial_handling}"))
    if order.in_handover:
        acked = order.handover_acked_at
        lines.append(t.pick(f"    接收单位签收：{t.time(acked, True)}" if acked else "    接收单位尚未签收",
                            f"    receiving unit acked {t.time(acked, True)}" if acked
                            else "    receiving unit has not acknowledged yet"))
    return lines


def _return_line(inv: Invocation, r: ReturnRecord) -> str:
    t = inv.text
    review = {"accept": t.pick("已同意", "accepted"), "reject": t.pick("已驳回", "rejected")}.get(
        r.decision, t.pick("待审核", "awaiting review"))
    note = t.pick(f"：{r.note}", f": {r.note}") if r.note else ""
    what = t.pick("退单", "returned")
    return f"  {what} {t.time(r.returned_at, True)} {r.reason} [{r.operator}] · {review}{note}"


@command("board", aliases=("b",), zh="看板：未结派单及倒计时、待派警情",
         en="board: open orders with countdowns, incidents waiting")
def _board(inv: Invocation) -> Outcome:
    s = inv.services
    board = s.board()
    ids = [r.order.id for r in board.rows]
    sups = s.supervisions(ids)
    urged = s.urge_counts(ids)
    marks = {oid: accountability.supervise_text(inv.text, sup, board.at) for oid, sup in sups.items()}
    return inv.outcome(
        {"at": iso(board.at), "overdue": board.overdue, "drill": board.drills(),
         "supervise_overdue": sum(1 for r in board.rows if not r.order.drill and r.order.id in sups
                                  and sups[r.order.id].overdue(board.at)),
         "reports_overdue": s.reports_overdue(board.at),
         "orders": [{**render.order_json(r.order, r.clock), "category": r.category,
                     "transfers": list(r.transfers),
                     "address": r.address,
                     "supervise": sups[r.order.id].to_json(board.at) if r.order.id in sups else None,
                     "urges": urged.get(r.order.id, (0, None))[0]} for r in board.rows],
         "waiting": [render.incident_json(i) for i in board.waiting]},
        inv.text.board_lines(board, marks),
    )


@command("units", aliases=("u",), args=("query*",), options=("tier", "kind", "category"),
         flags=("stale",),
         zh="联动单位名录（可按名称、拼音、首字母查找；--stale 只列备案过期或一级单位24小时内有值班空档的）",
         en="linkage units (search by name, pinyin or initials; --stale: filing out of date or"
            " a tier 1 roster gap in the next 24 h)")
def _units(inv: Invocation) -> Outcome:
    s = inv.services
    query = inv.get("query")
    units = s.catalog.find_units(query) if query else list(s.catalog.units.values())
    stale = {x.unit: x for x in s.stale_units()}
    if inv.get("stale"):
        units = [u for u in units if u.code in stale]
    tier, kind, category = inv.get("tier"), inv.get("kind"), inv.get("category")
    if tier is not None:
        if tier not in ("1", "2", "3"):
            raise BadInput("units.tier", zh="层级只能是 1、2 或 3", en="tier must be 1, 2 or 3")
        units = [u for u in units if u.tier == int(tier)]
    if kind:
        units = [u for u in units if u.kind == kind]
    if category:
        codes = {c.code for c in s.catalog.find_categories(category)}
        units = [u for u in units if codes & set(u.categories)]
    t = inv.text
    live = {e.unit.code: e for e in s.roster()}
    lines = []
    rows = []
    for u in units:
        entry = live[u.code]
        duty = entry.on_duty
        state = t.pick("在岗" if duty else "不在岗", "on duty" if duty else "off duty")
        tier = t.pick("一二三"[u.tier - 1] + "级", f"tier {u.tier}")
        person = f" {entry.duty_person}" if entry.duty_person else ""
        line = f"{u.code:<14} {t.unit(u.code)} · {tier} · {entry.duty_phone}{person} · {state}"
        if u.code in stale:
            line += " · ⚠ " + stale_text(t, stale[u.code])
        lines.append(line)
        row = render.unit_json(u, duty)
        row.update({"duty_source": entry.source, "duty_person": entry.duty_person,
                    "current_phone": entry.duty_phone,
                    "stale": stale[u.code].to_json() if u.code in stale else None})
        rows.append(row)
    empty = t.pick("没有符合条件的单位", "no units match")
    if inv.get("stale") and not units:
        empty = t.pick("没有备案过期或有值班空档的单位", "no unit has an out-of-date filing or a roster gap")
    return inv.outcome({"units": rows}, lines or [empty])


@command("categories", aliases=("cats",), args=("query*",),
         zh="警情类别与分流规则", en="incident categories and routing")
def _categories(inv: Invocation) -> Outcome:
    s = inv.services
    query = inv.get("query")
    cats = s.catalog.find_categories(query) if query else list(s.catalog.categories.values())
    t = inv.text
    lines = [f"{c.code:<18} {t.category(c.code)} · {c.route}"
             f"{' → ' + c.transfer_to if c.transfer_to else ''} · {t.unit(c.lead_unit)}"
             for c in cats]
    return inv.outcome(
        {"categories": [{"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en,
                         "route": c.route, "transfer_to": c.transfer_to,
                         "severity": c.severity, "lead_unit": c.lead_unit,
                         "co_units": list(c.co_units)} for c in cats]},
        lines or [t.pick("没有符合条件的类别", "no categories match")])


@command("catalog reload", zh="重新读取 data/ 中的单位和类别",
         en="re-read units and categories from data/")
def _catalog_reload(inv: Invocation) -> Outcome:
    changed = inv.services.reload_catalog()
    version = inv.services.catalog.version
    line = inv.text.pick(f"目录版本 {version}" + ("（已更新）" if changed else "（无变化）"),
                         f"catalog {version}" + (" (updated)" if changed else " (unchanged)"))
    return inv.outcome({"changed": changed, "version": version}, [line])


@command("help", aliases=("?",), args=("topic*",), zh="列出全部命令", en="list every command")
def _help(inv: Invocation) -> Outcome:
    rows = [{"name": c.name, "aliases": list(c.aliases), "usage": c.usage(),
             "summary_zh": c.summary_zh, "summary_en": c.summary_en} for c in REGISTRY]
    topic = (inv.get("topic") or "").lower()
    if topic:
        rows = [r for r in rows if topic in str(r["name"]) or topic in r["aliases"]]
    lines = [f"{r['usage']:<64} {'/'.join(r['aliases'])}  "
             f"{r['summary_zh'] if inv.lang == 'zh' else r['summary_en']}" for r in rows]
    return inv.outcome({"commands": rows}, lines)


# -- sync (docs/sync-protocol.md) -----------------------------------------------------------
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


# Registered after every verb above, so the help lists them last.
from console import accountability_verbs as _accountability_verbs  # noqa: E402,F401
from console import audit_verbs as _audit_verbs  # noqa: E402,F401
from console import plan_verbs as _plan_verbs  # noqa: E402
from console import responsibility_verbs as _responsibility_verbs  # noqa: E402,F401
from console import rollcall_verbs as _rollcall_verbs  # noqa: E402,F401
