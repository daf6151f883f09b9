-- Version 8 (SQLite): a task may hold a lease while 'processing' too (sync creator mode: the
-- daemon that runs the generation holds the task and renews its lease).
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt (SQLite's documented
-- procedure; migrations run with foreign key enforcement off and must pass
-- PRAGMA foreign_key_check before they commit), and its indexes with it.

CREATE TABLE content_generation_tasks_new (
    id                   INTEGER NOT NULL,
    task_id              TEXT NOT NULL,           -- 'task-' + 12 hex
    creator_task_id      TEXT,                    -- content-creator's id, once accepted
    account_id           INTEGER NOT NULL,
    content_id           INTEGER,                 -- contents.id once completed
    topic                TEXT NOT NULL,
    keywords             TEXT,                    -- comma-separated
    category             TEXT,
    requirements         TEXT,
    tone                 TEXT,
    status               TEXT DEFAULT 'pending' NOT NULL,
    priority             INTEGER DEFAULT 5 NOT NULL,   -- 0..10, higher first
    retry_count          INTEGER DEFAULT 0 NOT NULL,
    max_retries          INTEGER DEFAULT 3 NOT NULL,
    run_after            TEXT NOT NULL,           -- not claimed before this time (backoff)
    auto_approve         BOOLEAN DEFAULT 1 NOT NULL,
    source               TEXT DEFAULT 'cli' NOT NULL,
    scheduled_job_run_id INTEGER,
    lease_owner          TEXT,                    -- daemon id: while 'submitting'; while 'processing' in sync mode
    lease_expires_at     TEXT,
    cancel_requested_at  TEXT,                    -- set by `cancel` while at the creator
    progress             INTEGER DEFAULT 0 NOT NULL,   -- percent
    submitted_at         TEXT,                    -- content-creator accepted it
    started_at           TEXT,                    -- content-creator started running it
    completed_at         TEXT,                    -- reached a terminal status
    timeout_at           TEXT,
    result               TEXT,                    -- JSON summary of the creator's result
    error_message        TEXT,                    -- last error, kept across retries
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    callback_url         TEXT,                    -- per-task webhook URL (docs/webhooks.md)
    error_code           TEXT,                    -- the last error as a code (see task_events.code)
    error_params         TEXT,                    -- JSON parameters of error_code
    PRIMARY KEY (id),
    CONSTRAINT uq_tasks_task_id UNIQUE (task_id),
    CONSTRAINT ck_tasks_status CHECK (status IN ('pending', 'submitting', 'submitted', 'processing', 'completed', 'failed', 'timeout', 'cancelled')),
    CONSTRAINT ck_tasks_priority CHECK (priority BETWEEN 0 AND 10),
    CONSTRAINT ck_tasks_topic_length CHECK (length(topic) BETWEEN 1 AND 500),
    CONSTRAINT ck_tasks_retries CHECK (retry_count >= 0 AND max_retries >= 0),
    CONSTRAINT ck_tasks_progress CHECK (progress BETWEEN 0 AND 100),
    CONSTRAINT ck_tasks_source CHECK (source IN ('cli', 'import', 'scheduler', 'api')),
    CONSTRAINT ck_tasks_lease CHECK (CASE status
        WHEN 'submitting' THEN lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL
        WHEN 'processing' THEN (lease_owner IS NULL) = (lease_expires_at IS NULL)
        ELSE lease_owner IS NULL AND lease_expires_at IS NULL END),
    CONSTRAINT fk_tasks_account FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT fk_tasks_job_run FOREIGN KEY (scheduled_job_run_id) REFERENCES job_runs (id) ON DELETE SET NULL
);

INSERT INTO content_generation_tasks_new (id, task_id, creator_task_id, account_id, content_id, topic, keywords, category, requirements, tone, status, priority, retry_count, max_retries, run_after, auto_approve, source, scheduled_job_run_id, lease_owner, lease_expires_at, cancel_requested_at, progress, submitted_at, started_at, completed_at, timeout_at, result, error_message, created_at, updated_at, callback_url, error_code, error_params)
SELECT id, task_id, creator_task_id, account_id, content_id, topic, keywords, category, requirements, tone, status, priority, retry_count, max_retries, run_after, auto_approve, source, scheduled_job_run_id, lease_owner, lease_expires_at, cancel_requested_at, progress, submitted_at, started_at, completed_at, timeout_at, result, error_message, created_at, updated_at, callback_url, error_code, error_params
FROM content_generation_tasks;

DROP TABLE content_generation_tasks;
ALTER TABLE content_generation_tasks_new RENAME TO content_generation_tasks;

CREATE INDEX ix_tasks_claim ON content_generation_tasks (status, priority DESC, id);
CREATE INDEX ix_tasks_account ON content_generation_tasks (account_id, created_at);
CREATE INDEX ix_tasks_created_at ON content_generation_tasks (created_at);
CREATE INDEX ix_tasks_completed_at ON content_generation_tasks (completed_at, status);
CREATE INDEX ix_tasks_status_created ON content_generation_tasks (status, created_at);
CREATE INDEX ix_tasks_due ON content_generation_tasks (status, run_after);
CREATE INDEX ix_tasks_creator_task_id ON content_generation_tasks (creator_task_id);
CREATE INDEX ix_tasks_job_run ON content_generation_tasks (scheduled_job_run_id);
