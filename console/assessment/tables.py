"""The assessment as tables: one definition of every column (key, Chinese and English header,
kind) and its rows, read by the CLI lines, the CSV, the XLSX and the PDF alike, so the four can
never disagree about what a column holds.

Kinds: ``text``; ``int``; ``pct`` (a share 0..1, None when nothing was judged); ``dur`` (seconds,
None when there is none); ``time`` (a UTC instant, shown in the center's zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from console.assessment.model import (
    CALLBACK_RESULTS,
    LIST_NAMES,
    LISTS,
    REASONS,
    STAGE_NAMES,
    STAGES,
    SUPERVISE_LEVELS,
    Assessment,
    ListedOrder,
    OperatorRecord,
    UnitRecord,
)
from console.kernel.model import STATUS_LABELS, label


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    kind: str = "int"

    def header(self, lang: str | None = None) -> str:
        """Bilingual ``中文 / English`` unless one language is asked for."""
        if lang == "zh":
            return self.zh
        if lang == "en":
            return self.en
        return f"{self.zh} / {self.en}"


@dataclass(frozen=True)
class Table:
    key: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]

    def title(self, lang: str | None = None) -> str:
        return self.zh if lang == "zh" else self.en if lang == "en" else f"{self.zh} / {self.en}"


_CALLBACK_NAMES = {"satisfied": ("满意", "satisfied"), "basic": ("基本满意", "basically satisfied"),
                   "dissatisfied": ("不满意", "dissatisfied")}
_LEVEL_NAMES = {1: ("中心督办", "supervised: center"), 2: ("应急办督办", "supervised: emergency office"),
                3: ("政府督办", "supervised: government")}


def _unit_columns() -> tuple[Column, ...]:
    cols = [Column("unit", "单位代码", "unit code", "text"), Column("name", "单位", "unit", "text"),
            Column("received", "接收派单", "orders received")]
    for s in STAGES:
        zh, en = STAGE_NAMES[s]
        cols += [Column(f"{s}_on_time", f"{zh}准时", f"{en} on time"),
                 Column(f"{s}_late", f"{zh}超时", f"{en} late"),
                 Column(f"{s}_rate", f"{zh}准时率", f"{en} on-time rate", "pct"),
                 Column(f"{s}_p50", f"下达→{zh} P50", f"issue→{en} p50", "dur"),
                 Column(f"{s}_p90", f"下达→{zh} P90", f"issue→{en} p90", "dur")]
    cols += [Column("returns_accepted", "退单（同意）", "returns accepted"),
             Column("returns_rejected", "退单（驳回）", "returns rejected"),
             Column("reassigned_away", "被改派", "reassigned away"),
             Column("handed_over", "移交", "handed over"),
             Column("cancelled", "取消", "cancelled"),
             Column("urges", "被催办", "urges received")]
    cols += [Column(f"supervised_{n}", *_LEVEL_NAMES[n]) for n in SUPERVISE_LEVELS]
    cols += [Column(f"callback_{k}", f"回访{_CALLBACK_NAMES[k][0]}", f"callback {_CALLBACK_NAMES[k][1]}")
             for k in CALLBACK_RESULTS]
    cols += [Column("satisfaction", "满意率", "satisfaction", "pct")]
    for s in STAGES:
        zh, en = STAGE_NAMES[s]
        cols += [Column(f"prev_{s}_rate", f"上期{zh}准时率", f"previous {en} on-time rate", "pct"),
                 Column(f"delta_{s}_rate", f"{zh}准时率变化", f"{en} on-time rate change", "pct")]
    cols.append(Column("prev_received", "上期接收派单", "previous orders received"))
    return tuple(cols)


UNIT_COLUMNS = _unit_columns()
LIST_COLUMNS = (
    Column("order_no", "派单号", "order no."), Column("incident_no", "警情号", "incident no."),
    Column("unit", "单位代码", "unit code", "text"), Column("name", "单位", "unit", "text"),
    Column("status", "状态", "status", "text"), Column("issued_at", "下达时间", "issued", "time"),
    Column("taken_at", "签收时间", "acknowledged", "time"),
    Column("arrived_at", "到场时间", "arrived", "time"),
    Column("fed_back_at", "反馈时间", "fed back", "time"),
    Column("ended_at", "移交/改派/取消时间", "handed over / reassigned / cancelled", "time"),
    Column("reasons", "违反规则", "rule broken", "text"),
)
OPERATOR_COLUMNS = (
    Column("login", "工号", "login", "text"), Column("name", "姓名", "name", "text"),
    Column("calls", "接听来电", "calls taken"), Column("answered", "话务系统接听", "answered (phone feed)"),
    Column("ring_answer_p50", "振铃→接听 P50", "ring→answer p50", "dur"),
    Column("ring_answer_p90", "振铃→接听 P90", "ring→answer p90", "dur"),
    Column("dispatched", "需派单警情", "incidents needing an order"),
    Column("answer_order_p50", "接听→首次派单 P50", "answer→first order p50", "dur"),
    Column("answer_order_p90", "接听→首次派单 P90", "answer→first order p90", "dur"),
    Column("within_60", "60秒内派单", "ordered within 60 s"),
    Column("within_120", "120秒内派单", "ordered within 120 s"),
    Column("transfers", "转警", "transfers"), Column("merges", "合并", "merges"),
    Column("recategorized", "更正类别", "triage corrections"),
)


def _delta(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def unit_row(u: UnitRecord, prev: UnitRecord | None, lang: str) -> tuple[Any, ...]:
    values: list[Any] = [u.unit, u.name_zh if lang == "zh" else u.name_en, u.received]
    for s in STAGES:
        f = u.stage(s)
        values += [f.on_time, f.late, f.rate, f.p50_s, f.p90_s]
    values += [u.returns_accepted, u.returns_rejected, u.reassigned_away, u.handed_over,
               u.cancelled, u.urges]
    values += [u.supervisions.get(n, 0) for n in SUPERVISE_LEVELS]
    values += [u.callbacks.get(k, 0) for k in CALLBACK_RESULTS]
    values.append(u.satisfaction)
    for s in STAGES:
        before = prev.stage(s).rate if prev else None
        values += [before, _delta(u.stage(s).rate, before)]
    values.append(prev.received if prev else 0)
    return tuple(values)


def reasons_text(o: ListedOrder, lang: str) -> str:
    return ("；" if lang == "zh" else "; ").join(
        REASONS[r][0 if lang == "zh" else 1] for r in o.reasons)


def list_row(o: ListedOrder, names: dict[str, tuple[str, str]], lang: str) -> tuple[Any, ...]:
    zh, en = names.get(o.unit, (o.unit, o.unit))
    return (o.order_no, o.incident_no, o.unit, zh if lang == "zh" else en,
            label(STATUS_LABELS, o.status, lang), o.issued_at, o.taken_at, o.arrived_at,
            o.fed_back_at, o.ended_at, reasons_text(o, lang))


def operator_row(o: OperatorRecord) -> tuple[Any, ...]:
    return (o.login, o.name, o.calls, o.answered, o.ring_answer_p50_s, o.ring_answer_p90_s,
            o.dispatched, o.answer_order_p50_s, o.answer_order_p90_s, o.within_60, o.within_120,
            o.transfers, o.merges, o.recategorized)


def tables(a: Assessment, lang: str = "zh") -> list[Table]:
    """The per-unit table, the three lists and the operators' table, in the report's order."""
    names = {u.unit: (u.name_zh, u.name_en) for u in a.units}
    out = [Table("units", "单位考核", "units", UNIT_COLUMNS,
                 [unit_row(u, a.previous_units.get(u.unit), lang) for u in a.units])]
    for key in LISTS:
        zh, en = LIST_NAMES[key]
        out.append(Table(key, zh, en, LIST_COLUMNS, [list_row(o, names, lang) for o in a.lists[key]]))
    out.append(Table("operators", "接警员考核", "operators", OPERATOR_COLUMNS,
                     [operator_row(o) for o in a.operators]))
    return out


def shown(value: Any, kind: str, tz: ZoneInfo) -> str:
    """A value as text: a share as a percentage, seconds as m:ss (h:mm:ss), a time local."""
    if value is None:
        return "-"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind == "dur":
        secs = round(value)
        sign, secs = ("-" if secs < 0 else ""), abs(secs)
        h, rest = divmod(secs, 3600)
        return f"{sign}{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{sign}{rest // 60}:{rest % 60:02d}"
    if kind == "time" and isinstance(value, datetime):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)
