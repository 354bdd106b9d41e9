/// The alert tables (docs/SENTINEL.md, "Alerts"): an append-only delivery log of every attempt on every channel,
/// and the dead-letter list of alerts a channel gave up on, each with the alert's JSON document.
enum SQLiteAlertSchema {
    static let migration = """
        CREATE TABLE alert_deliveries (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            alert_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            attempt INTEGER NOT NULL CHECK (attempt >= 1),
            outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'retrying', 'failed')),
            detail TEXT NOT NULL,
            kind TEXT NOT NULL,
            severity TEXT NOT NULL,
            subject TEXT NOT NULL,
            at_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX alert_deliveries_by_alert ON alert_deliveries (alert_id, sequence);

        CREATE TABLE alert_dead_letters (
            sequence INTEGER PRIMARY KEY AUTOINCREMENT,
            alert_id TEXT NOT NULL,
            channel TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            last_error TEXT NOT NULL,
            document TEXT NOT NULL,
            at_ms INTEGER NOT NULL
        ) STRICT;
        """
}
