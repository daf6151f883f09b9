-- Liveness decides ownership: each daemon records its host id, the identity of its process
-- and its heartbeat interval; a daemon taken for dead is marked 'dead'.
ALTER TABLE daemons
    ADD COLUMN host_id TEXT,
    ADD COLUMN process_key TEXT,
    ADD COLUMN heartbeat_seconds FLOAT;
ALTER TABLE daemons DROP CONSTRAINT ck_daemons_status;
ALTER TABLE daemons ADD CONSTRAINT ck_daemons_status CHECK (status IN ('running', 'stopping', 'stopped', 'dead'));
