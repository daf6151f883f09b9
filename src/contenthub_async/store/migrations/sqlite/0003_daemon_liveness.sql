-- Liveness decides ownership: each daemon records its host id, the identity of its process
-- and its heartbeat interval; a daemon taken for dead is marked 'dead'.
-- SQLite cannot change a CHECK constraint in place: the (small) table is rebuilt.
CREATE TABLE daemons_new (
    id                TEXT NOT NULL,
    hostname          TEXT NOT NULL,
    pid               INTEGER NOT NULL,
    version           TEXT NOT NULL,
    status            TEXT DEFAULT 'running' NOT NULL,
    started_at        TEXT NOT NULL,
    heartbeat_at      TEXT NOT NULL,
    stopped_at        TEXT,
    host_id           TEXT,
    process_key       TEXT,
    heartbeat_seconds FLOAT,
    PRIMARY KEY (id),
    CONSTRAINT ck_daemons_status CHECK (status IN ('running', 'stopping', 'stopped', 'dead'))
);
INSERT INTO daemons_new (id, hostname, pid, version, status, started_at, heartbeat_at, stopped_at)
    SELECT id, hostname, pid, version, status, started_at, heartbeat_at, stopped_at FROM daemons;
DROP TABLE daemons;
ALTER TABLE daemons_new RENAME TO daemons;
