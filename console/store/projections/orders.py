"""Orders: issue, steps, returns (退单) and their review, urges, supervision, callbacks."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

from console.store.projections.apply import applier

if TYPE_CHECKING:
    from console.store.transaction import EventRecord


@applier("order.issued", "order_id", "incident_id", "unit", "unit_kind", "area", "first_contact")
def _order_issued(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO orders (id, incident_id, unit, unit_kind, area, status, first_contact,"
        " handover_from, reassigned_from, issued_at, steps, ack_due, depart_due, arrive_due,"
        " feedback_due, initial_handling, phase, activation) VALUES (?, ?, ?, ?, ?, 'issued', ?, ?,"
        " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (p["order_id"], p["incident_id"], p["unit"], p["unit_kind"], p["area"],
         1 if p["first_contact"] else 0, p.get("handover_from"), p.get("reassigned_from"),
         e.happened_at, json.dumps({"issued": e.happened_at}), p.get("ack_due"),
         p.get("depart_due"), p.get("arrive_due"), p.get("feedback_due"),
         # a handover's note is the first unit's initial handling (先期处置), kept with the order
         p.get("note", "") if p.get("handover_from") else "",
         # daily / initial (先期处置) / plan, and the plan activation that issued it
         # (console/tiered/activation.py); orders issued before phases were recorded keep ''
         str(p.get("phase", "")), str(p.get("activation", ""))),
    )


# Order steps only move forward: the status shown is the highest-ranked step recorded on any
# seat, so two seats recording steps of one order converge. Closing side paths outrank the
# main line; "returned" outranks it too, as the order then needs a dispatcher.
STEP_RANK = {s: i for i, s in enumerate((
    "issued", "delivered", "acknowledged", "en_route", "on_scene", "feedback", "returned",
    "completed", "handed_over", "reassigned", "cancelled",
))}

# A return (退单) is kept whole in ``order_returns`` and its reviews in ``order_return_reviews``
# (insert only). A return stands unless its latest review (by event id) rejected it; the order's
# "returned" step, return_event / return_reason / return_decision and status are recomputed by
# ``_settle_order`` from those rows and the other steps after every event that touches them, so
# any arrival order of steps, returns and reviews gives the same row.
_STANDING_RETURNS = (
    "SELECT r.event_id, r.returned_at, r.reason, (SELECT v.decision FROM order_return_reviews v"
    " WHERE v.return_event = r.event_id AND v.order_id = r.order_id"
    " ORDER BY v.event_id DESC LIMIT 1) AS decision"
    " FROM order_returns r WHERE r.order_id = ? ORDER BY r.event_id DESC"
)


def _settle_order(conn: sqlite3.Connection, order_id: str, steps: dict[str, str]) -> None:
    """Write the order's steps (without "returned") plus the standing return, and the status."""
    steps = {k: v for k, v in steps.items() if k != "returned"}
    standing = next((r for r in conn.execute(_STANDING_RETURNS, (order_id,))
                     if r[3] != "reject"), None)
    event, reason, decision = "", "", ""
    if standing is not None:
        event, reason, decision = standing[0], standing[2], standing[3] or ""
        steps["returned"] = standing[1]
    status = max(steps, key=lambda s: STEP_RANK.get(s, -1))
    ordered = dict(sorted(steps.items(), key=lambda kv: (kv[1], STEP_RANK.get(kv[0], 99))))
    conn.execute("UPDATE orders SET status=?, steps=?, return_reason=?, return_event=?,"
                 " return_decision=?, taken_at=?, departed_at=?, arrived_at=?, fed_back_at=?,"
                 " ended_at=? WHERE id=?",
                 (status, json.dumps(ordered), reason, event, decision,
                  *_milestones(steps, accepted_return=decision == "accept"), order_id))


# An order's milestones, as the assessment (console/assessment/) reads them: a stage is met by
# its own step or by any later main-line step (a unit may first report from the scene); the
# unit stops answering for the order when it is handed over, reassigned, cancelled or its
# return is accepted. ISO UTC text sorts as time, so ``min`` of the strings is the earliest.
_MILESTONE_STEPS = (
    ("acknowledged", "en_route", "on_scene", "feedback", "completed", "handed_over"),
    ("en_route", "on_scene", "feedback", "completed"),
    ("on_scene", "feedback", "completed"),
    ("feedback", "completed"),
)


def _milestones(steps: dict[str, str], *, accepted_return: bool) -> tuple[str | None, ...]:
    met = tuple(min((steps[k] for k in keys if k in steps), default=None) for keys in _MILESTONE_STEPS)
    ends = [steps[k] for k in ("handed_over", "reassigned", "cancelled") if k in steps]
    if accepted_return and "returned" in steps:
        ends.append(steps["returned"])
    return (*met, min(ends, default=None))


def _order_steps(conn: sqlite3.Connection, order_id: str) -> dict[str, str] | None:
    row = conn.execute("SELECT steps FROM orders WHERE id=?", (order_id,)).fetchone()
    return None if row is None else dict(json.loads(row[0]))


@applier("order.stepped", "order_id", "status")
def _order_stepped(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    steps = _order_steps(conn, p["order_id"])
    if steps is None:
        return
    new = p["status"]
    if new == "returned":
        conn.execute(
            "INSERT OR IGNORE INTO order_returns (event_id, order_id, returned_at, reason, operator,"
            " seat) VALUES (?, ?, ?, ?, ?, ?)",
            (e.id, p["order_id"], e.happened_at, p.get("reason", ""), e.operator, e.seat),
        )
    else:
        # A step recorded on two seats keeps the earlier reported time (ISO UTC sorts as text).
        steps[new] = min(steps.get(new, e.happened_at), e.happened_at)
    _settle_order(conn, p["order_id"], steps)


@applier("order.return_reviewed", "order_id", "return_event", "decision")
def _order_return_reviewed(conn: sqlite3.Connection, e: EventRecord) -> None:
    """退单审核: accept keeps the order returned (to be reassigned or cancelled); reject hands it
    back to the unit at the status it had before the return."""
    p = e.payload
    steps = _order_steps(conn, p["order_id"])
    if steps is None:
        return
    conn.execute(
        "INSERT OR IGNORE INTO order_return_reviews (event_id, order_id, return_event, reviewed_at,"
        " decision, note, operator, seat) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["order_id"], p["return_event"], e.happened_at, p["decision"], p.get("note", ""),
         e.operator, e.seat),
    )
    _settle_order(conn, p["order_id"], steps)


# Urges (催办), supervisions (督办) and callbacks (回访) only append, one row per event: the
# count of urges, the current supervise level (the highest; its deadline from the highest-level
# event, ties to the larger id) and the latest callback (larger id) are computed on read
# (console/orders/accountability.py), so the tables are the same whatever order the events arrive in.
@applier("order.urged", "order_id", "to", "how")
def _order_urged(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO order_urges (event_id, order_id, urged_at, operator, seat, to_whom, how, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["order_id"], e.happened_at, e.operator, e.seat, p["to"], p["how"],
         p.get("note", "")),
    )


@applier("order.supervised", "order_id", "level", "reason", "due")
def _order_supervised(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO order_supervisions (event_id, order_id, supervised_at, operator, seat, level,"
        " reason, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["order_id"], e.happened_at, e.operator, e.seat, int(p["level"]), p["reason"],
         p["due"]),
    )


@applier("incident.called_back", "incident_id", "result")
def _incident_called_back(conn: sqlite3.Connection, e: EventRecord) -> None:
    p = e.payload
    conn.execute(
        "INSERT INTO incident_callbacks (event_id, incident_id, called_at, operator, seat, result,"
        " note, reopen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (e.id, p["incident_id"], e.happened_at, e.operator, e.seat, p["result"], p.get("note", ""),
         1 if p.get("reopen") else 0),
    )
