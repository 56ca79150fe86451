// Versioned migrations. Never edit a shipped migration: add a new one.
// Every record carries its site id so the records of networked sites never collide.

import GRDB

extension Store {
    static let migrator: DatabaseMigrator = {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

                    -- The journal: append-only, one row per input.
                    CREATE TABLE journal (
                        seq INTEGER PRIMARY KEY,
                        site TEXT NOT NULL,
                        wall_us INTEGER NOT NULL,
                        mono_ns INTEGER NOT NULL,
                        source TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        payload BLOB NOT NULL
                    );
                    CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
                        BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
                    CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
                        BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;

                    -- State snapshots: replay starts from the latest one.
                    CREATE TABLE snapshots (
                        seq INTEGER PRIMARY KEY,
                        site TEXT NOT NULL,
                        taken_us INTEGER NOT NULL,
                        digest TEXT NOT NULL,
                        state BLOB NOT NULL
                    );

                    -- Personal data, apart from the journal.
                    CREATE TABLE members (
                        id TEXT PRIMARY KEY,
                        site TEXT NOT NULL,
                        name TEXT NOT NULL,
                        email TEXT,
                        status TEXT NOT NULL,
                        created_us INTEGER NOT NULL
                    );
                    CREATE TABLE credentials (
                        id TEXT PRIMARY KEY,
                        site TEXT NOT NULL,
                        member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
                        format TEXT NOT NULL,
                        facility INTEGER NOT NULL,
                        card_number INTEGER NOT NULL,
                        token TEXT NOT NULL,
                        enrolled_us INTEGER NOT NULL,
                        revoked_us INTEGER
                    );
                    CREATE UNIQUE INDEX credentials_active_token ON credentials(token) WHERE revoked_us IS NULL;
                    CREATE TABLE plans (
                        id TEXT NOT NULL,
                        site TEXT NOT NULL,
                        member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL,
                        valid_from_us INTEGER NOT NULL,
                        valid_until_us INTEGER,
                        PRIMARY KEY (member_id, id)
                    );
                    CREATE TABLE bookings (
                        id TEXT PRIMARY KEY,
                        site TEXT NOT NULL,
                        member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
                        resource_kind TEXT NOT NULL,
                        resource_id TEXT NOT NULL,
                        start_us INTEGER NOT NULL,
                        end_us INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        created_us INTEGER NOT NULL
                    );
                    CREATE INDEX bookings_resource ON bookings(resource_kind, resource_id, start_us);
                    CREATE TABLE sessions (
                        id TEXT PRIMARY KEY,
                        site TEXT NOT NULL,
                        title TEXT NOT NULL,
                        room_id TEXT,
                        start_us INTEGER NOT NULL,
                        end_us INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        track TEXT,
                        speakers TEXT NOT NULL DEFAULT '[]'
                    );
                    CREATE TABLE staff_users (
                        id TEXT PRIMARY KEY,
                        site TEXT NOT NULL,
                        name TEXT NOT NULL,
                        role TEXT NOT NULL,
                        password_hash TEXT NOT NULL,
                        created_us INTEGER NOT NULL
                    );

                    -- Requests from the CLI to a running daemon, processed by the daemon in order.
                    CREATE TABLE inbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        created_us INTEGER NOT NULL,
                        request BLOB,
                        status TEXT NOT NULL DEFAULT 'pending',
                        response TEXT
                    );
                    """)
        }
        m.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    -- Access decisions as the door took them, written with their journal entry.
                    -- The audit trail `cantine log` reads; pruned by retention, unlike the journal.
                    CREATE TABLE access_log (
                        seq INTEGER PRIMARY KEY,
                        site TEXT NOT NULL,
                        at_us INTEGER NOT NULL,
                        door TEXT NOT NULL,
                        member_id TEXT,
                        granted INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        plan TEXT
                    );
                    CREATE INDEX access_log_at ON access_log(at_us);
                    CREATE INDEX access_log_member ON access_log(member_id, at_us);

                    -- Cards no one holds, seen lately at a reader: what enrollment binds.
                    -- Personal data (a badge number): kept a day at most, 100 rows at most.
                    CREATE TABLE unknown_reads (
                        seq INTEGER PRIMARY KEY,
                        site TEXT NOT NULL,
                        at_us INTEGER NOT NULL,
                        door TEXT NOT NULL,
                        format TEXT NOT NULL,
                        facility INTEGER NOT NULL,
                        card_number INTEGER NOT NULL
                    );
                    """)
        }
        m.registerMigration("v3") { db in
            try db.execute(
                sql: """
                    -- MQTT messages the broker could not take (it was down), delivered in id
                    -- order once it is back. Rows sharing a collapse key (a retained state
                    -- topic) replace each other: only the latest state is worth sending.
                    CREATE TABLE mqtt_outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        site TEXT NOT NULL,
                        created_us INTEGER NOT NULL,
                        topic TEXT NOT NULL,
                        payload BLOB NOT NULL,
                        qos INTEGER NOT NULL,
                        retain INTEGER NOT NULL,
                        collapse TEXT
                    );
                    CREATE UNIQUE INDEX mqtt_outbox_collapse ON mqtt_outbox(collapse) WHERE collapse IS NOT NULL;
                    """)
        }
        m.registerMigration("v4") { db in
            try db.execute(
                sql: """
                    -- Who may use the staff dashboard and the API. Passwords and tokens are
                    -- stored as hashes only (bcrypt for passwords, SHA-256 for random tokens).
                    CREATE TABLE staff (
                        username TEXT PRIMARY KEY,
                        display_name TEXT NOT NULL,
                        password_hash TEXT NOT NULL,
                        role TEXT NOT NULL CHECK (role IN ('staff', 'admin')),
                        created_us INTEGER NOT NULL,
                        disabled_us INTEGER
                    );
                    CREATE TABLE web_sessions (
                        token_hash TEXT PRIMARY KEY,
                        username TEXT NOT NULL REFERENCES staff(username) ON DELETE CASCADE,
                        csrf TEXT NOT NULL,
                        created_us INTEGER NOT NULL,
                        expires_us INTEGER NOT NULL
                    );
                    CREATE TABLE api_tokens (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        token_hash TEXT NOT NULL UNIQUE,
                        role TEXT NOT NULL CHECK (role IN ('reader', 'staff', 'admin')),
                        created_us INTEGER NOT NULL,
                        revoked_us INTEGER
                    );
                    """)
        }
        m.registerMigration("v5") { db in
            try db.execute(
                sql: """
                    -- Per-member keys: the personal payload a journal entry carries (the profile on
                    -- registration) is sealed under its member's key. Erasing the key erases that
                    -- payload everywhere (crypto-shredding); the journal itself is never rewritten.
                    CREATE TABLE member_keys (
                        member_id TEXT PRIMARY KEY,
                        site TEXT NOT NULL,
                        key BLOB NOT NULL,
                        created_us INTEGER NOT NULL
                    );
                    -- A member's consent to their name on MQTT events (off unless they opt in).
                    ALTER TABLE members ADD COLUMN publish_name INTEGER NOT NULL DEFAULT 0;

                    -- Compaction: entries up to the journal's base (meta 'journal_base') are folded
                    -- into the base snapshot and may be deleted; nothing after it ever is.
                    CREATE VIEW journal_base AS
                        SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'journal_base'), 0) AS seq;
                    DROP TRIGGER journal_no_delete;
                    CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
                        WHEN OLD.seq > (SELECT seq FROM journal_base)
                        BEGIN SELECT RAISE(ABORT, 'the journal is append-only past its base snapshot'); END;

                    -- What outlives per-person data: desk use per day, no one named.
                    CREATE TABLE desk_days (
                        site TEXT NOT NULL,
                        day TEXT NOT NULL,
                        desk TEXT NOT NULL,
                        check_ins INTEGER NOT NULL DEFAULT 0,
                        occupied_reports INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (site, day, desk)
                    );
                    """)
        }
        m.registerMigration("v6") { db in
            try db.execute(
                sql: """
                    -- The network of cantines (docs/network.md), none of it in the journal: what
                    -- this site last published per member (the version receivers order by), what
                    -- it last heard from each site (the network view), refused messages, and visit
                    -- reports waiting for the broker.
                    CREATE TABLE network_published (
                        member_id TEXT PRIMARY KEY,
                        site TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        digest TEXT NOT NULL
                    );
                    CREATE TABLE network_sites (
                        id TEXT PRIMARY KEY,
                        site TEXT NOT NULL,
                        summary TEXT NOT NULL,
                        heard_us INTEGER NOT NULL
                    );
                    CREATE TABLE network_rejections (
                        id INTEGER PRIMARY KEY,
                        site TEXT NOT NULL,
                        at_us INTEGER NOT NULL,
                        topic TEXT NOT NULL,
                        reason TEXT NOT NULL
                    );
                    -- Visit reports the broker could not take yet, in order (sent on reconnect).
                    CREATE TABLE network_outbox (
                        id INTEGER PRIMARY KEY,
                        site TEXT NOT NULL,
                        created_us INTEGER NOT NULL,
                        topic TEXT NOT NULL,
                        payload BLOB NOT NULL
                    );
                    """)
        }
        m.registerMigration("v7") { db in
            // A remote unlock's operator and reason in its access log row; rows written before
            // take them from their journal entry.
            try db.execute(
                sql: """
                    ALTER TABLE access_log ADD COLUMN operator TEXT;
                    ALTER TABLE access_log ADD COLUMN note TEXT;
                    UPDATE access_log SET
                        operator = (SELECT json_extract(CAST(j.payload AS TEXT), '$.by') FROM journal j
                                    WHERE j.seq = access_log.seq AND j.kind = 'door.remote-unlock'),
                        note = (SELECT json_extract(CAST(j.payload AS TEXT), '$.reason') FROM journal j
                                WHERE j.seq = access_log.seq AND j.kind = 'door.remote-unlock')
                    WHERE reason = 'granted.remote';
                    """)
        }
        m.registerMigration("v8") { db in
            try db.execute(
                sql: """
                    -- The floor's use per local day (CantineCore's DayUsage as JSON), folded from the
                    -- journal and kept after compaction: no one is named. `complete` is 0 for a day
                    -- the fold saw only part of (never written over a complete one).
                    CREATE TABLE usage_days (
                        site TEXT NOT NULL,
                        day TEXT NOT NULL,
                        complete INTEGER NOT NULL,
                        usage BLOB NOT NULL,
                        PRIMARY KEY (site, day)
                    );
                    """)
        }
        m.registerMigration("v9") { db in
            // The whole session as the journal has it (details from a schedule: abstract, links,
            // the source's ids) for the program's exports; NULL for rows written before, read
            // from their columns.
            try db.execute(sql: "ALTER TABLE sessions ADD COLUMN session BLOB")
        }
        m.registerMigration("v10") { db in
            try db.execute(
                sql: """
                    -- Where the usage fold stands (CantineCore's UsageFold.Progress as JSON, without
                    -- its state): a restart rebuilds the state at `seq` and goes on from there.
                    CREATE TABLE usage_fold (
                        site TEXT PRIMARY KEY,
                        seq INTEGER NOT NULL,
                        progress BLOB NOT NULL
                    );
                    """)
        }
        return m
    }()
}
