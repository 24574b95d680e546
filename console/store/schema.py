"""The seat database's schema: its migrations, append-only, and how they are applied.

A shipped migration is never edited; a change is a new entry. The city server keeps its own
list (``central/store.py``) and applies it with the same ``apply_migrations``.
"""

from __future__ import annotations

import sqlite3

# Append-only: a shipped migration is never edited; a change is a new entry.
MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "events, outbox, catalog, incidents, calls, orders",
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            subject TEXT,
            happened_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            seat TEXT NOT NULL,
            operator TEXT NOT NULL,
            payload TEXT NOT NULL,
            origin TEXT NOT NULL DEFAULT 'local'
        );
        CREATE INDEX events_subject ON events(subject, seq);
        CREATE TABLE outbox (
            event_id TEXT PRIMARY KEY REFERENCES events(id),
            queued_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE TABLE catalog_snapshot (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version TEXT NOT NULL,
            body TEXT NOT NULL,
            loaded_at TEXT NOT NULL
        );
        CREATE TABLE incidents (
            no INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            seat TEXT NOT NULL,
            phone TEXT NOT NULL,
            caller_name TEXT NOT NULL,
            address TEXT NOT NULL,
            place_key TEXT NOT NULL,
            area TEXT NOT NULL,
            category TEXT NOT NULL,
            text TEXT NOT NULL,
            status TEXT NOT NULL,
            disposition TEXT NOT NULL,
            merged_into TEXT,
            closed_at TEXT
        );
        CREATE INDEX incidents_place ON incidents(place_key, category, created_at);
        CREATE INDEX incidents_open ON incidents(status) WHERE status = 'open';
        CREATE TABLE calls (
            no INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            phone TEXT NOT NULL,
            caller_name TEXT NOT NULL,
            received_at TEXT NOT NULL,
            text TEXT NOT NULL,
            address TEXT NOT NULL,
            area TEXT NOT NULL
        );
        CREATE INDEX calls_phone ON calls(phone, received_at);
        CREATE INDEX calls_incident ON calls(incident_id);
        CREATE TABLE orders (
            no INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            incident_id TEXT NOT NULL REFERENCES incidents(id),
            unit TEXT NOT NULL,
            unit_kind TEXT NOT NULL,
            area TEXT NOT NULL,
            status TEXT NOT NULL,
            first_contact INTEGER NOT NULL,
            handover_from TEXT,
            reassigned_from TEXT,
            issued_at TEXT NOT NULL,
            steps TEXT NOT NULL DEFAULT '{}',
            ack_due TEXT,
            depart_due TEXT,
            arrive_due TEXT,
            feedback_due TEXT,
            return_reason TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX orders_incident ON orders(incident_id);
        CREATE INDEX orders_open ON orders(status)
            WHERE status NOT IN ('completed', 'reassigned', 'cancelled', 'handed_over');
        """,
    ),
    (
        "drafts: intake forms in progress",
        """
        CREATE TABLE drafts (
            key TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            saved_at TEXT NOT NULL
        );
        """,
    ),
    (
        "sync: server seqs, quarantine, pending remote events, cursor; last-writer-wins marks",
        """
        ALTER TABLE events ADD COLUMN server_seq INTEGER;
        ALTER TABLE outbox ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE incidents ADD COLUMN status_event TEXT NOT NULL DEFAULT '';
        ALTER TABLE incidents ADD COLUMN category_event TEXT NOT NULL DEFAULT '';
        ALTER TABLE catalog_snapshot ADD COLUMN event_id TEXT NOT NULL DEFAULT '';
        CREATE TABLE pending_events (
            event_id TEXT PRIMARY KEY REFERENCES events(id),
            waiting_for TEXT NOT NULL
        );
        CREATE TABLE sync_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            epoch TEXT NOT NULL DEFAULT '',
            after_seq INTEGER NOT NULL DEFAULT 0,
            high_watermark INTEGER NOT NULL DEFAULT 0,
            last_ok_at TEXT,
            last_attempt_at TEXT,
            offline_since TEXT,
            error_code TEXT NOT NULL DEFAULT '',
            error_detail TEXT NOT NULL DEFAULT '',
            failures INTEGER NOT NULL DEFAULT 0,
            skew_ms INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO sync_state (id) VALUES (1)
        """,
    ),
    (
        "disposition is its own last-writer-wins register (a transfer, then a reopen)",
        """
        ALTER TABLE incidents ADD COLUMN disposition_event TEXT NOT NULL DEFAULT ''
        """,
    ),
    (
        "duty rosters: every filing and its shifts (the effective roster is computed on read;"
        " shifts clustered by filing and start, so 'the shift on at t' is one b-tree seek)",
        """
        CREATE TABLE roster_filings (
            event_id TEXT PRIMARY KEY,
            unit TEXT NOT NULL,
            period_from TEXT NOT NULL,
            period_to TEXT NOT NULL,
            filed_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            seat TEXT NOT NULL,
            operator TEXT NOT NULL,
            shifts INTEGER NOT NULL,
            source TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX roster_filings_filed ON roster_filings(unit, filed_at);
        CREATE INDEX roster_filings_period ON roster_filings(unit, period_to, period_from, event_id);
        CREATE TABLE roster_shifts (
            event_id TEXT NOT NULL REFERENCES roster_filings(event_id),
            start_at TEXT NOT NULL,
            n INTEGER NOT NULL,
            unit TEXT NOT NULL,
            end_at TEXT NOT NULL,
            person TEXT NOT NULL,
            phone TEXT NOT NULL,
            vehicle TEXT NOT NULL DEFAULT '',
            contact TEXT NOT NULL DEFAULT '',
            responsible TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (event_id, start_at, n)
        ) WITHOUT ROWID
        """,
    ),
    (
        "accountability: urges (催办), supervisions (督办) and callbacks (回访), insert only"
        " (the current supervise level and the latest callback are computed on read)",
        """
        CREATE TABLE order_urges (
            event_id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL,
            urged_at TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL,
            to_whom TEXT NOT NULL,
            how TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX order_urges_order ON order_urges(order_id, urged_at);
        CREATE TABLE order_supervisions (
            event_id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL,
            supervised_at TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL,
            level INTEGER NOT NULL,
            reason TEXT NOT NULL,
            due_at TEXT NOT NULL
        );
        CREATE INDEX order_supervisions_order ON order_supervisions(order_id, level, event_id);
        CREATE TABLE incident_callbacks (
            event_id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL,
            called_at TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL,
            result TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            reopen INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX incident_callbacks_incident ON incident_callbacks(incident_id, event_id)
        """,
    ),
    (
        "operators (PIN hashes, last-writer-wins registers), who is signed in at each seat,"
        " shift handovers (交接班, insert only)",
        """
        CREATE TABLE operators (
            login TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            enrolled_at TEXT NOT NULL DEFAULT '',
            name_event TEXT NOT NULL DEFAULT '',
            salt TEXT NOT NULL DEFAULT '',
            pin_hash TEXT NOT NULL DEFAULT '',
            iterations INTEGER NOT NULL DEFAULT 0,
            pin_event TEXT NOT NULL DEFAULT '',
            active INTEGER NOT NULL DEFAULT 0,
            active_event TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE seat_operators (
            seat TEXT PRIMARY KEY,
            login TEXT NOT NULL,
            since TEXT NOT NULL,
            event_id TEXT NOT NULL
        );
        CREATE TABLE shift_handovers (
            event_id TEXT PRIMARY KEY,
            seat TEXT NOT NULL,
            handed_at TEXT NOT NULL,
            from_operator TEXT NOT NULL,
            to_operator TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            open_incidents TEXT NOT NULL DEFAULT '[]',
            overdue_orders TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX shift_handovers_at ON shift_handovers(handed_at)
        """,
    ),
    (
        "returns (退单) and their reviews, insert only (the standing return and the order's status"
        " are recomputed from them); handover initial handling; unit-reported incidents (双轨)",
        """
        CREATE TABLE order_returns (
            event_id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL,
            returned_at TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX order_returns_order ON order_returns(order_id, event_id);
        CREATE TABLE order_return_reviews (
            event_id TEXT PRIMARY KEY,
            order_id TEXT NOT NULL,
            return_event TEXT NOT NULL,
            reviewed_at TEXT NOT NULL,
            decision TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX order_return_reviews_return ON order_return_reviews(return_event, event_id);
        ALTER TABLE orders ADD COLUMN return_event TEXT NOT NULL DEFAULT '';
        ALTER TABLE orders ADD COLUMN return_decision TEXT NOT NULL DEFAULT '';
        ALTER TABLE orders ADD COLUMN initial_handling TEXT NOT NULL DEFAULT '';
        CREATE INDEX orders_handover_from ON orders(handover_from) WHERE handover_from IS NOT NULL;
        ALTER TABLE incidents ADD COLUMN source TEXT NOT NULL DEFAULT 'center';
        ALTER TABLE incidents ADD COLUMN reporting_unit TEXT NOT NULL DEFAULT '';
        INSERT INTO order_returns (event_id, order_id, returned_at, reason, operator, seat)
            SELECT e.id, json_extract(e.payload, '$.order_id'), e.happened_at,
                   coalesce(json_extract(e.payload, '$.reason'), ''), e.operator, e.seat
            FROM events e
            WHERE e.kind = 'order.stepped' AND json_extract(e.payload, '$.status') = 'returned'
              AND e.id NOT IN (SELECT event_id FROM pending_events)
              AND EXISTS (SELECT 1 FROM orders o WHERE o.id = json_extract(e.payload, '$.order_id'));
        UPDATE orders SET return_event = (SELECT max(r.event_id) FROM order_returns r
                                          WHERE r.order_id = orders.id)
            WHERE id IN (SELECT order_id FROM order_returns);
        UPDATE orders SET return_reason = (SELECT r.reason FROM order_returns r
                                           WHERE r.event_id = orders.return_event)
            WHERE return_event != '';
        UPDATE orders SET steps = json_set(steps, '$.returned', (SELECT r.returned_at
                                           FROM order_returns r WHERE r.event_id = orders.return_event))
            WHERE return_event != '' AND json_extract(steps, '$.returned') IS NOT (
                SELECT r.returned_at FROM order_returns r WHERE r.event_id = orders.return_event);
        UPDATE orders SET initial_handling = coalesce((
            SELECT json_extract(e.payload, '$.note') FROM events e
            WHERE e.kind = 'order.issued' AND e.subject = orders.incident_id
              AND json_extract(e.payload, '$.order_id') = orders.id), '')
            WHERE handover_from IS NOT NULL
        """,
    ),
    (
        "gradings (分级): every incident.graded kept whole, insert only; the grade is the latest"
        " by event id, the raising the earliest at plan level",
        """
        CREATE TABLE incident_grades (
            event_id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL,
            graded_at TEXT NOT NULL,
            type TEXT NOT NULL,
            level TEXT NOT NULL,
            deaths INTEGER,
            injured INTEGER,
            trapped INTEGER,
            reason TEXT NOT NULL DEFAULT '',
            rule TEXT NOT NULL DEFAULT '',
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX incident_grades_incident ON incident_grades(incident_id, event_id)
        """,
    ),
    (
        "roll-call (点名) of tier 1 units: every call, insert only (rounds, results and the day's"
        " record are decided on read)",
        """
        CREATE TABLE rollcall_calls (
            event_id TEXT PRIMARY KEY,
            round_id TEXT NOT NULL,
            unit TEXT NOT NULL,
            called_at TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL,
            result TEXT NOT NULL,
            duty_person TEXT NOT NULL DEFAULT '',
            duty_phone TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX rollcall_calls_at ON rollcall_calls(called_at, event_id);
        CREATE INDEX rollcall_calls_round ON rollcall_calls(round_id, event_id)
        """,
    ),
    (
        "contingency plan activations (预案启动) as snapshots and checklist ticks, insert only;"
        " every order's phase (daily / initial 先期处置 / plan) and the activation it came from",
        """
        CREATE TABLE plan_activations (
            event_id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL,
            plan TEXT NOT NULL,
            activated_at TEXT NOT NULL,
            level TEXT NOT NULL,
            forced INTEGER NOT NULL DEFAULT 0,
            reason TEXT NOT NULL DEFAULT '',
            snapshot TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX plan_activations_incident ON plan_activations(incident_id, event_id);
        CREATE TABLE plan_step_checks (
            event_id TEXT PRIMARY KEY,
            activation TEXT NOT NULL,
            incident_id TEXT NOT NULL,
            step INTEGER NOT NULL,
            done INTEGER NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            checked_at TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX plan_step_checks_activation ON plan_step_checks(activation, step, event_id);
        ALTER TABLE orders ADD COLUMN phase TEXT NOT NULL DEFAULT '';
        ALTER TABLE orders ADD COLUMN activation TEXT NOT NULL DEFAULT ''
        """,
    ),
    (
        "reports upward (信息报送): every report.filed kept whole, insert only (the report clocks"
        " are computed on read from the raising, the level and these rows)",
        """
        CREATE TABLE upward_reports (
            event_id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            to_whom TEXT NOT NULL,
            via TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            reported_at TEXT NOT NULL,
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX upward_reports_incident ON upward_reports(incident_id, reported_at)
        """,
    ),
    (
        "drills (演练): incidents.drill from incident.created's payload (calls, orders, notes,"
        " gradings and reports are drills by their incident); this seat's own settings, never synced",
        """
        ALTER TABLE incidents ADD COLUMN drill INTEGER NOT NULL DEFAULT 0;
        UPDATE incidents SET drill = 1 WHERE id IN (
            SELECT subject FROM events WHERE kind = 'incident.created'
              AND json_extract(payload, '$.drill') = 1);
        CREATE INDEX incidents_drill_created ON incidents(drill, created_at);
        CREATE TABLE seat_settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            set_at TEXT NOT NULL,
            operator TEXT NOT NULL DEFAULT ''
        )
        """,
    ),
    (
        "operator roles (administrator), the KDF parameters beside each PIN hash (scrypt), and"
        " sign-in attempts (failures and what resets them, insert only) for the lockout",
        """
        ALTER TABLE operators ADD COLUMN role TEXT NOT NULL DEFAULT 'operator';
        ALTER TABLE operators ADD COLUMN role_event TEXT NOT NULL DEFAULT '';
        ALTER TABLE operators ADD COLUMN kdf TEXT NOT NULL DEFAULT '';
        ALTER TABLE operators ADD COLUMN scrypt_n INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE operators ADD COLUMN scrypt_r INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE operators ADD COLUMN scrypt_p INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE operator_attempts (
            event_id TEXT NOT NULL,
            login TEXT NOT NULL,
            ok INTEGER NOT NULL,
            at TEXT NOT NULL,
            seat TEXT NOT NULL,
            PRIMARY KEY (event_id, login)
        );
        CREATE INDEX operator_attempts_login ON operator_attempts(login, ok, event_id)
        """,
    ),
    (
        "several services on one incident: every transfer to 110/119/120/12345 kept in"
        " incident_transfers (insert only), backfilled from the log",
        """
        CREATE TABLE incident_transfers (
            event_id TEXT PRIMARY KEY,
            incident_id TEXT NOT NULL,
            service TEXT NOT NULL,
            transferred_at TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            operator TEXT NOT NULL,
            seat TEXT NOT NULL
        );
        CREATE INDEX incident_transfers_incident ON incident_transfers(incident_id, transferred_at);
        INSERT INTO incident_transfers (event_id, incident_id, service, transferred_at, note,
                                        operator, seat)
            SELECT e.id, json_extract(e.payload, '$.incident_id'),
                   substr(json_extract(e.payload, '$.disposition'), 10), e.happened_at,
                   coalesce(json_extract(e.payload, '$.note'), ''), e.operator, e.seat
            FROM events e
            WHERE e.kind = 'incident.transferred'
              AND json_extract(e.payload, '$.disposition') != 'answered'
              AND e.id NOT IN (SELECT event_id FROM pending_events)
              AND EXISTS (SELECT 1 FROM incidents i
                          WHERE i.id = json_extract(e.payload, '$.incident_id'))
        """,
    ),
    (
        "phone state (seat-local, never synced): calls from the switch that rang at this seat,"
        " how each ended, and the missed ones owed a call back until called back or dismissed",
        """
        CREATE TABLE phone_calls (
            call_ref TEXT PRIMARY KEY,
            phone TEXT NOT NULL,
            caller_name TEXT NOT NULL DEFAULT '',
            line TEXT NOT NULL DEFAULT '',
            rang_at TEXT NOT NULL,
            state TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            ended_at TEXT,
            settled_at TEXT,
            settled_how TEXT NOT NULL DEFAULT '',
            drill INTEGER NOT NULL DEFAULT 0,
            say TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX phone_calls_state ON phone_calls(state, rang_at)
        """,
    ),
    (
        "repeats by meaning: the incidents of one category in a time window, read on every"
        " keystroke of the intake form",
        """
        CREATE INDEX incidents_category_created ON incidents(category, created_at)
        """,
    ),
    (
        "pulled events this seat refused (schema, far-future id): kept aside as sent, never in"
        " the log nor applied, so they stop neither the cursor nor a projection",
        """
        CREATE TABLE sync_refused (
            event_id TEXT PRIMARY KEY,
            server_seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            seat TEXT NOT NULL,
            code TEXT NOT NULL,
            detail TEXT NOT NULL,
            wire TEXT NOT NULL,
            refused_at TEXT NOT NULL
        )
        """,
    ),
    (
        "tamper evidence: each shared event's hash chain link (console/store/chain.py); events from"
        " before keep NULL, the chain starts at a seat's first event made after this migration",
        """
        ALTER TABLE events ADD COLUMN chain_prev TEXT;
        ALTER TABLE events ADD COLUMN chain_hash TEXT
        """,
    ),
    (
        "a lighter incident write: no query reads incidents by place_key any more (repeats go by"
        " category and time, incidents_category_created), so its index only cost a B-tree page per"
        " incident written",
        """
        DROP INDEX IF EXISTS incidents_place
        """,
    ),
    (
        "assessment (考核): each order's milestones as columns (taken on, departed, arrived, fed back,"
        " and when the unit stopped answering for it), kept by the order projection, so a year's"
        " assessment reads columns instead of parsing 400,000 step documents; the log by kind and time",
        """
        ALTER TABLE orders ADD COLUMN taken_at TEXT;
        ALTER TABLE orders ADD COLUMN departed_at TEXT;
        ALTER TABLE orders ADD COLUMN arrived_at TEXT;
        ALTER TABLE orders ADD COLUMN fed_back_at TEXT;
        ALTER TABLE orders ADD COLUMN ended_at TEXT;
        UPDATE orders SET
            taken_at = nullif(min(coalesce(json_extract(steps, '$.acknowledged'), '~'),
                                  coalesce(json_extract(steps, '$.en_route'), '~'),
                                  coalesce(json_extract(steps, '$.on_scene'), '~'),
                                  coalesce(json_extract(steps, '$.feedback'), '~'),
                                  coalesce(json_extract(steps, '$.completed'), '~'),
                                  coalesce(json_extract(steps, '$.handed_over'), '~')), '~'),
            departed_at = nullif(min(coalesce(json_extract(steps, '$.en_route'), '~'),
                                     coalesce(json_extract(steps, '$.on_scene'), '~'),
                                     coalesce(json_extract(steps, '$.feedback'), '~'),
                                     coalesce(json_extract(steps, '$.completed'), '~')), '~'),
            arrived_at = nullif(min(coalesce(json_extract(steps, '$.on_scene'), '~'),
                                    coalesce(json_extract(steps, '$.feedback'), '~'),
                                    coalesce(json_extract(steps, '$.completed'), '~')), '~'),
            fed_back_at = nullif(min(coalesce(json_extract(steps, '$.feedback'), '~'),
                                     coalesce(json_extract(steps, '$.completed'), '~')), '~'),
            ended_at = nullif(min(coalesce(json_extract(steps, '$.handed_over'), '~'),
                                  coalesce(json_extract(steps, '$.reassigned'), '~'),
                                  coalesce(json_extract(steps, '$.cancelled'), '~'),
                                  CASE WHEN return_decision = 'accept'
                                       THEN coalesce(json_extract(steps, '$.returned'), '~')
                                       ELSE '~' END), '~');
        CREATE INDEX orders_issued ON orders(issued_at);
        CREATE INDEX events_kind_at ON events(kind, happened_at)
        """,
    ),
)

def apply_migrations(conn: sqlite3.Connection, migrations: tuple[tuple[str, str], ...], applied_at: str,
                     newer: Exception) -> None:
    """Run the migrations not yet recorded in ``schema_migrations``, inside the caller's
    transaction; ``newer`` is raised if the file was made by a later version of the program."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
    if max(done, default=0) > len(migrations):
        raise newer
    for version, (name, sql) in enumerate(migrations, start=1):
        if version in done:
            continue
        for statement in sql.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, applied_at))
