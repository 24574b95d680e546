"""Accountability (问责): urge (催办), supervise (督办) and callback (回访).

* An **urge** records that the center chased a unit about an open order: when (the reported
  time), by whom (the operator), to whom (a person or number at the unit, free text) and how
  (phone / SMS / radio / in person). Urges only append (``order.urged``).
* A **supervise** order escalates an open order to a level, with a reason and its own deadline:
  level 1 = the center's director (中心主任督办), 2 = the county emergency management office
  (县应急办督办), 3 = the county government (县政府督办). A later supervise may keep or raise
  the level, never lower it. The order's supervise level is the highest level over its
  ``order.supervised`` events; its supervise deadline comes from the highest-level event (ties:
  the larger event id), so two seats supervising one order converge.
* A **callback** (``incident.called_back``) asks the caller, after the incident is closed,
  whether they were satisfied / basically satisfied / dissatisfied; a dissatisfied callback can
  reopen the incident (``incident.reopened`` in the same transaction). The incident's callback
  result is that of its latest callback (the larger event id).

The tables behind these (migration 6) are insert only; everything above is decided on read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from console.kernel.clock import iso
from console.kernel.errors import BadInput, IllegalTransition
from console.kernel.inputs import bounded, normalize
from console.kernel.model import STATUS_LABELS, IncidentStatus
from console.store.context import Context
from console.store.queries import Reader, get_incident, get_order

if TYPE_CHECKING:  # the words are the caller's (console/words.py)
    from console.words import Words

# how an urge was made → (zh, en)
URGE_METHODS: dict[str, tuple[str, str]] = {
    "phone": ("电话", "phone"),
    "sms": ("短信", "SMS"),
    "radio": ("电台", "radio"),
    "in_person": ("当面", "in person"),
}
_URGE_ALIASES = {
    "phone": "phone", "tel": "phone", "call": "phone", "电话": "phone", "dh": "phone",
    "sms": "sms", "text": "sms", "短信": "sms", "dx": "sms",
    "radio": "radio", "电台": "radio", "对讲": "radio", "dt": "radio",
    "in_person": "in_person", "in-person": "in_person", "person": "in_person",
    "当面": "in_person", "dm": "in_person",
}

# supervise level → (zh, en)
SUPERVISE_LEVELS: dict[int, tuple[str, str]] = {
    1: ("中心主任督办", "center director"),
    2: ("县应急办督办", "county emergency office"),
    3: ("县政府督办", "county government"),
    4: ("市级督办", "city"),
}
# recorded by the city (a city token's push, central/app.py), never chosen at a county seat
CITY_LEVEL = 4
MAX_SUPERVISE_MINUTES = 7 * 24 * 60

# callback result → (zh, en)
CALLBACK_RESULTS: dict[str, tuple[str, str]] = {
    "satisfied": ("满意", "satisfied"),
    "basic": ("基本满意", "basically satisfied"),
    "dissatisfied": ("不满意", "dissatisfied"),
}
_CALLBACK_ALIASES = {
    "satisfied": "satisfied", "满意": "satisfied", "my": "satisfied",
    "basic": "basic", "basically_satisfied": "basic", "basically-satisfied": "basic",
    "基本满意": "basic", "jbmy": "basic",
    "dissatisfied": "dissatisfied", "unsatisfied": "dissatisfied", "不满意": "dissatisfied",
    "bmy": "dissatisfied",
}

# timeline labels of the kinds recorded here → (zh, en)
@dataclass(frozen=True)
class Urge:
    event_id: str
    order_id: str
    at: datetime
    operator: str
    seat: str
    to: str
    how: str
    note: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.event_id, "order_id": self.order_id, "at": iso(self.at),
                "operator": self.operator, "seat": self.seat, "to": self.to, "how": self.how,
                "note": self.note}


@dataclass(frozen=True)
class Supervision:
    """An order's supervise state: the ruling (highest-level) event and how many there were."""

    event_id: str
    order_id: str
    level: int
    reason: str
    due: datetime
    at: datetime
    operator: str
    count: int

    def overdue(self, now: datetime) -> bool:
        return now > self.due

    def to_json(self, now: datetime | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.event_id, "level": self.level, "reason": self.reason, "due": iso(self.due),
            "at": iso(self.at), "operator": self.operator, "count": self.count}
        if now is not None:
            data["remaining_s"] = round((self.due - now).total_seconds())
            data["overdue"] = self.overdue(now)
        return data


@dataclass(frozen=True)
class Callback:
    event_id: str
    incident_id: str
    at: datetime
    operator: str
    seat: str
    result: str
    note: str
    reopen: bool

    def to_json(self) -> dict[str, Any]:
        return {"id": self.event_id, "incident_id": self.incident_id, "at": iso(self.at),
                "operator": self.operator, "seat": self.seat, "result": self.result,
                "note": self.note, "reopen": self.reopen}


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


# -- writes -----------------------------------------------------------------------------------
def _urge_method(raw: str) -> str:
    how = _URGE_ALIASES.get(normalize(raw).strip().lower())
    if how is None:
        raise BadInput("urge.how",
                       zh="催办方式只能是 phone（电话）、sms（短信）、radio（电台）或 in_person（当面）：{h}",
                       en="how must be phone, sms, radio or in_person: {h}", h=raw[:20])
    return how


def _check_not_before_issue(ctx: Context, when: datetime, issued_at: datetime) -> None:
    if when < issued_at:
        fmt = "%Y-%m-%d %H:%M:%S"
        raise BadInput("order.time_before_issue", zh="时间 {at} 早于派单下达时间 {prev}",
                       en="time {at} is before the order was issued at {prev}",
                       at=when.astimezone(ctx.config.tz).strftime(fmt),
                       prev=issued_at.astimezone(ctx.config.tz).strftime(fmt))


def _refuse_closed(order_no: int, status: Any, what_zh: str, what_en: str) -> NoReturn:
    cur_zh, cur = STATUS_LABELS[status]
    raise IllegalTransition("order.closed", zh="派单 {no} 已是“{cur_zh}”状态，不能" + what_zh,
                            en="order {no} is already {cur}; it cannot be " + what_en,
                            no=order_no, cur_zh=cur_zh, cur=cur)


def urge(ctx: Context, order_ref: str | int, *, to: str, how: str = "phone", note: str = "",
         at: str | None = None) -> Urge:
    """催办: record that the unit was chased about an open order."""
    whom = bounded(to, 200, "催办对象", "person urged")
    if not whom:
        raise BadInput("urge.to", zh="请填写催办对象（--to 单位联系人或电话）",
                       en="say whom the unit was urged through (--to person or number)")
    method = _urge_method(how)
    text = bounded(note, 1000, "备注", "note")
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        order = get_order(tx, order_ref)
        if not order.is_open:
            _refuse_closed(order.no, order.status, "催办", "urged")
        _check_not_before_issue(ctx, when, order.issued_at)
        event = tx.append("order.urged", {"order_id": order.id, "incident_id": order.incident_id,
                                          "to": whom, "how": method, "note": text},
                          subject=order.incident_id, happened_at=when)
    return Urge(event.id, order.id, _instant(event.happened_at), event.operator, event.seat, whom,
                method, text)


#: supervise levels as people say them (一级督办 …), beside the digits
LEVEL_WORDS = {"一级": 1, "二级": 2, "三级": 3, "一": 1, "二": 2, "三": 3}


def parse_level(raw: str | int) -> int:
    text = normalize(str(raw)).strip().removesuffix("督办").strip()
    try:
        level = int(text) if text.isdigit() else LEVEL_WORDS.get(text, 0)
    except ValueError:
        level = 0
    if level not in SUPERVISE_LEVELS or level == CITY_LEVEL:
        raise BadInput("supervise.level",
                       zh="督办级别只能是 1（中心主任）、2（县应急办）或 3（县政府）：{l}",
                       en="the supervise level must be 1 (center director), 2 (county emergency"
                          " office) or 3 (county government): {l}", l=str(raw)[:20])
    return level


def _parse_minutes(ctx: Context, raw: str | int | None) -> int:
    if raw is None or str(raw).strip() == "":
        return ctx.config.deadlines.supervise_minutes
    try:
        minutes = int(normalize(str(raw)).strip())
    except ValueError:
        minutes = 0
    if not 1 <= minutes <= MAX_SUPERVISE_MINUTES:
        raise BadInput("supervise.minutes", zh="督办时限须为 1 到 {m} 分钟：{v}",
                       en="the supervise deadline must be 1 to {m} minutes: {v}",
                       m=MAX_SUPERVISE_MINUTES, v=str(raw)[:20])
    return minutes


def supervise(ctx: Context, order_ref: str | int, *, level: str | int, reason: str,
              minutes: str | int | None = None, at: str | None = None) -> Supervision:
    """督办: escalate an open order with a level, a reason and its own deadline."""
    lvl = parse_level(level)
    why = bounded(reason, 1000, "督办理由", "supervision reason")
    if not why:
        raise BadInput("supervise.reason", zh="督办必须填写原因（--reason）",
                       en="a supervise order needs a reason (--reason)")
    span = _parse_minutes(ctx, minutes)
    when = ctx.reported_time(at)
    due = when + timedelta(minutes=span)
    with ctx.transaction() as tx:
        order = get_order(tx, order_ref)
        if not order.is_open:
            _refuse_closed(order.no, order.status, "督办", "supervised")
        _check_not_before_issue(ctx, when, order.issued_at)
        current = supervision_of(tx, order.id)
        if current is not None and lvl < current.level:
            raise BadInput("supervise.lower", zh="派单 {no} 已是 {cur} 级督办，不能降为 {l} 级",
                           en="order {no} is already supervised at level {cur}; it cannot go down"
                              " to level {l}", no=order.no, cur=current.level, l=lvl)
        tx.append("order.supervised", {"order_id": order.id, "incident_id": order.incident_id,
                                       "level": lvl, "reason": why, "due": iso(due),
                                       "minutes": span},
                  subject=order.incident_id, happened_at=when)
        result = supervision_of(tx, order.id)
    assert result is not None
    return result


def parse_result(raw: str) -> str:
    result = _CALLBACK_ALIASES.get(normalize(raw or "").strip().lower())
    if result is None:
        raise BadInput("callback.result",
                       zh="回访结果只能是 satisfied（满意）、basic（基本满意）或 dissatisfied（不满意）：{r}",
                       en="the callback result must be satisfied, basic or dissatisfied: {r}",
                       r=str(raw)[:20])
    return result


def callback(ctx: Context, incident_ref: str | int, result: str, *, note: str = "",
             reopen: bool = False, at: str | None = None) -> Callback:
    """回访: after closure, record what the caller said; dissatisfied may reopen the incident."""
    verdict = parse_result(result)
    if reopen and verdict != "dissatisfied":
        raise BadInput("callback.reopen", zh="只有“不满意”的回访才能重新打开警情（--reopen）",
                       en="only a dissatisfied callback can reopen the incident (--reopen)")
    text = bounded(note, 1000, "备注", "note")
    when = ctx.reported_time(at)
    with ctx.transaction() as tx:
        incident = get_incident(tx, incident_ref)
        if incident.status != IncidentStatus.CLOSED or incident.closed_at is None:
            raise BadInput("callback.not_closed", zh="警情 {no} 尚未办结，办结后才能回访",
                           en="incident {no} is not closed; a callback comes after closure",
                           no=incident.no)
        if when < incident.closed_at:
            raise BadInput("callback.before_closure", zh="回访时间早于警情办结时间",
                           en="the callback time is before the incident was closed")
        event = tx.append("incident.called_back",
                          {"incident_id": incident.id, "result": verdict, "note": text,
                           "reopen": reopen},
                          subject=incident.id, happened_at=when)
        if reopen:
            tx.append("incident.reopened", {"incident_id": incident.id, "reason": "callback",
                                            "callback": event.id},
                      subject=incident.id, happened_at=when)
    return Callback(event.id, incident.id, _instant(event.happened_at), event.operator, event.seat,
                    verdict, text, reopen)


# -- reads ------------------------------------------------------------------------------------
def urges_of(db: Reader, order_id: str) -> list[Urge]:
    rows = db.all("SELECT * FROM order_urges WHERE order_id = ? ORDER BY urged_at, event_id",
                  (order_id,))
    return [Urge(r["event_id"], r["order_id"], _instant(r["urged_at"]), r["operator"], r["seat"],
                 r["to_whom"], r["how"], r["note"]) for r in rows]


def urge_counts(db: Reader, order_ids: list[str]) -> dict[str, tuple[int, datetime]]:
    """order id → (how many urges, the latest urge's reported time), for orders urged at all."""
    if not order_ids:
        return {}
    marks = ",".join("?" * len(order_ids))
    rows = db.all(f"SELECT order_id, count(*), max(urged_at) FROM order_urges"
                  f" WHERE order_id IN ({marks}) GROUP BY order_id", tuple(order_ids))
    return {r[0]: (r[1], _instant(r[2])) for r in rows}


_SUPERVISION_SELECT = (
    "SELECT s.*, (SELECT count(*) FROM order_supervisions c WHERE c.order_id = s.order_id) AS n"
    " FROM order_supervisions s WHERE s.event_id = (SELECT t.event_id FROM order_supervisions t"
    " WHERE t.order_id = s.order_id ORDER BY t.level DESC, t.event_id DESC LIMIT 1)"
)


def _supervision(row: Any) -> Supervision:
    return Supervision(row["event_id"], row["order_id"], row["level"], row["reason"],
                       _instant(row["due_at"]), _instant(row["supervised_at"]), row["operator"],
                       row["n"])


def supervision_of(db: Reader, order_id: str) -> Supervision | None:
    """The ruling supervise of an order: the highest level, ties to the larger event id."""
    row = db.one(_SUPERVISION_SELECT + " AND s.order_id = ?", (order_id,))
    return _supervision(row) if row is not None else None


def supervisions_of(db: Reader, order_ids: list[str]) -> dict[str, Supervision]:
    if not order_ids:
        return {}
    marks = ",".join("?" * len(order_ids))
    rows = db.all(_SUPERVISION_SELECT + f" AND s.order_id IN ({marks})", tuple(order_ids))
    return {r["order_id"]: _supervision(r) for r in rows}


def callbacks_of(db: Reader, incident_ids: list[str]) -> list[Callback]:
    if not incident_ids:
        return []
    marks = ",".join("?" * len(incident_ids))
    rows = db.all(f"SELECT * FROM incident_callbacks WHERE incident_id IN ({marks})"
                  " ORDER BY event_id", tuple(incident_ids))
    return [Callback(r["event_id"], r["incident_id"], _instant(r["called_at"]), r["operator"],
                     r["seat"], r["result"], r["note"], bool(r["reopen"])) for r in rows]


def latest_callback(db: Reader, incident_id: str) -> Callback | None:
    """The incident's callback result: its latest callback, by event id (last writer wins)."""
    found = callbacks_of(db, [incident_id])
    return found[-1] if found else None


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def supervise_text(t: Words, s: Supervision, now: datetime) -> str:
    """``督办2级（县应急办督办）剩余 12:00`` / ``supervised L2 (…) OVERDUE by 3:00``."""
    name = pick(SUPERVISE_LEVELS.get(s.level, (str(s.level), str(s.level))), t.lang)
    secs = int(abs((s.due - now).total_seconds()))
    span = f"{secs // 60:d}:{secs % 60:02d}"
    if s.overdue(now):
        return t.pick(f"督办{s.level}级（{name}）超时 {span}",
                      f"supervised L{s.level} ({name}) OVERDUE by {span}")
    return t.pick(f"督办{s.level}级（{name}）剩余 {span}",
                  f"supervised L{s.level} ({name}) due in {span}")
