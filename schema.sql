-- contenthub-async: the reviewed DDL (SQLite dialect, the embedded default).
--
-- Schema version 11 (SQLite: PRAGMA user_version; PostgreSQL: table schema_version).
-- `contenthub-ctl db init` and contenthubd create and upgrade the tables by applying the
-- numbered migrations of src/contenthub_async/store/migrations/<backend>/ in order; tests
-- apply them on both backends and compare the reflected schema with this file, and compare
-- the table definitions the queries are written against (store/tables.py) with it too, so
-- this file, the migrations and the code cannot drift apart.
--
-- PostgreSQL gets the same tables, columns, keys, checks and indexes, with native types:
-- timestamps are TIMESTAMPTZ, JSON columns JSONB, integer keys SERIAL.
--
-- Conventions that make the tables readable in sqlite3 / psql:
--   * timestamps are UTC, ISO-8601 text on SQLite: 2026-11-22T08:00:00.000Z;
--   * statuses are lower-case English words, constrained by CHECK;
--   * JSON is stored as UTF-8 text (Chinese stays readable);
--   * content_generation_tasks.task_id ('task-' + 12 hex) is the id people use.

PRAGMA user_version = 11;

-- Self-media accounts that content is generated for.
CREATE TABLE accounts (
    id          INTEGER NOT NULL,
    name        TEXT NOT NULL,
    platform    TEXT,
    category    TEXT,
    tone        TEXT,
    description TEXT,
    is_active   BOOLEAN DEFAULT 1 NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    publisher   TEXT,                             -- publisher spec (dir:PATH, exec:COMMAND, http(s)://URL); NULL = CONTENTHUB_PUBLISHER
    credentials_ref TEXT,                         -- where the platform credentials are (env:NAME or file:PATH), never the secret
    PRIMARY KEY (id),
    CONSTRAINT uq_accounts_name UNIQUE (name),
    CONSTRAINT ck_accounts_name_length CHECK (length(name) BETWEEN 1 AND 200)
);

-- Cron jobs run inside contenthubd.
CREATE TABLE scheduled_jobs (
    id                    INTEGER NOT NULL,
    name                  TEXT NOT NULL,
    job_type              TEXT NOT NULL,          -- executor name, e.g. async_content_generation
    cron                  TEXT NOT NULL,          -- five-field cron expression
    timezone              TEXT,                   -- IANA name; NULL = the system's
    params                TEXT NOT NULL,          -- JSON, validated by the executor
    is_active             BOOLEAN DEFAULT 1 NOT NULL,
    misfire_policy        TEXT DEFAULT 'run_once' NOT NULL,
    misfire_grace_seconds INTEGER DEFAULT 3600 NOT NULL,
    next_run_at           TEXT,
    last_run_at           TEXT,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_jobs_name UNIQUE (name),
    CONSTRAINT ck_jobs_misfire_policy CHECK (misfire_policy IN ('run_once', 'skip')),
    CONSTRAINT ck_jobs_misfire_grace CHECK (misfire_grace_seconds >= 0)
);
CREATE INDEX ix_jobs_next_run ON scheduled_jobs (is_active, next_run_at);

-- One row per firing of a job: unique (job_id, scheduled_for) makes firing exactly-once.
CREATE TABLE job_runs (
    id            INTEGER NOT NULL,
    job_id        INTEGER NOT NULL,
    scheduled_for TEXT NOT NULL,
    "trigger"     TEXT DEFAULT 'cron' NOT NULL,
    status        TEXT DEFAULT 'pending' NOT NULL,
    daemon_id     TEXT,
    started_at    TEXT,
    finished_at   TEXT,
    result        TEXT,                           -- JSON
    error         TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_runs_job_firing UNIQUE (job_id, scheduled_for),
    CONSTRAINT ck_runs_status CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'missed')),
    CONSTRAINT ck_runs_trigger CHECK (trigger IN ('cron', 'manual', 'catch_up')),
    CONSTRAINT fk_runs_job FOREIGN KEY (job_id) REFERENCES scheduled_jobs (id) ON DELETE CASCADE
);
CREATE INDEX ix_runs_status ON job_runs (status, scheduled_for);

-- The durable priority queue. Status vocabulary and transitions: docs/architecture.md §2.
CREATE TABLE content_generation_tasks (
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
CREATE INDEX ix_tasks_claim ON content_generation_tasks (status, priority DESC, id);
CREATE INDEX ix_tasks_account ON content_generation_tasks (account_id, created_at);
CREATE INDEX ix_tasks_created_at ON content_generation_tasks (created_at);
CREATE INDEX ix_tasks_status_completed ON content_generation_tasks (status, completed_at);
CREATE INDEX ix_tasks_status_created ON content_generation_tasks (status, created_at);
CREATE INDEX ix_tasks_due ON content_generation_tasks (status, run_after);
CREATE INDEX ix_tasks_creator_task_id ON content_generation_tasks (creator_task_id);
CREATE INDEX ix_tasks_job_run ON content_generation_tasks (scheduled_job_run_id);

-- Audit log: one row per transition, written in the same transaction as the transition.
CREATE TABLE task_events (
    id                 INTEGER NOT NULL,
    generation_task_id INTEGER NOT NULL,          -- content_generation_tasks.id
    at                 TEXT NOT NULL,
    from_status        TEXT,                      -- NULL for the creation event
    to_status          TEXT NOT NULL,
    actor              TEXT NOT NULL,             -- 'cli', 'import', 'scheduler' or a daemon id
    message            TEXT,                      -- in English; `code` + `params` render it in any language
    code               TEXT,                      -- e.g. 'task.gave_up' (NULL in rows from schema version 1)
    params             TEXT,                      -- JSON parameters of `code`
    PRIMARY KEY (id),
    CONSTRAINT fk_events_task FOREIGN KEY (generation_task_id) REFERENCES content_generation_tasks (id) ON DELETE CASCADE
);
CREATE INDEX ix_events_task ON task_events (generation_task_id, id);
CREATE INDEX ix_events_at ON task_events (at);

-- Generated articles. At most one per generation task (unique), so finishing twice is impossible.
CREATE TABLE contents (
    id                 INTEGER NOT NULL,
    account_id         INTEGER NOT NULL,
    generation_task_id INTEGER,
    title              TEXT NOT NULL,
    body_markdown      TEXT NOT NULL,
    body_html          TEXT,
    summary            TEXT,
    images             TEXT NOT NULL,             -- JSON array of URLs
    word_count         INTEGER,
    quality_score      FLOAT,
    category           TEXT,
    tags               TEXT,
    review_status      TEXT DEFAULT 'pending' NOT NULL,
    publish_status     TEXT DEFAULT 'draft' NOT NULL,
    reviewed_at        TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    review_note        TEXT,                      -- why it was rejected
    PRIMARY KEY (id),
    CONSTRAINT uq_contents_generation_task UNIQUE (generation_task_id),
    CONSTRAINT ck_contents_review_status CHECK (review_status IN ('pending', 'approved', 'rejected')),
    CONSTRAINT ck_contents_publish_status CHECK (publish_status IN ('draft', 'queued', 'published', 'failed')),
    CONSTRAINT fk_contents_account FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT fk_contents_task FOREIGN KEY (generation_task_id) REFERENCES content_generation_tasks (id) ON DELETE SET NULL
);
CREATE INDEX ix_contents_account ON contents (account_id, created_at);

-- Approved content on its way to the platform (docs/publishing.md).
CREATE TABLE publish_pool (
    id               INTEGER NOT NULL,
    content_id       INTEGER NOT NULL,
    account_id       INTEGER NOT NULL,
    priority         INTEGER DEFAULT 5 NOT NULL,  -- 0..10, LOWER first (the original pool's direction)
    scheduled_at     TEXT,                        -- not before this (NULL: as soon as possible)
    status           TEXT DEFAULT 'pending' NOT NULL,
    attempts         INTEGER DEFAULT 0 NOT NULL,  -- publish calls made
    last_error       TEXT,
    published_at     TEXT,
    external_id      TEXT,                        -- the platform's id (dir: the relative path)
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    url              TEXT,
    due_at           TEXT NOT NULL,               -- next attempt not before (scheduled_at, then backoff)
    lease_owner      TEXT,                        -- daemon id while publishing
    lease_expires_at TEXT,
    PRIMARY KEY (id),
    CONSTRAINT uq_pool_content UNIQUE (content_id),
    CONSTRAINT ck_pool_priority CHECK (priority BETWEEN 0 AND 10),
    CONSTRAINT ck_pool_status CHECK (status IN ('pending', 'publishing', 'published', 'failed')),
    CONSTRAINT ck_pool_attempts CHECK (attempts >= 0),
    CONSTRAINT ck_pool_lease_only_when_publishing CHECK ((status = 'publishing') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CONSTRAINT ck_pool_published_once CHECK ((status = 'published') = (published_at IS NOT NULL AND external_id IS NOT NULL)),
    CONSTRAINT fk_pool_content FOREIGN KEY (content_id) REFERENCES contents (id) ON DELETE CASCADE,
    CONSTRAINT fk_pool_account FOREIGN KEY (account_id) REFERENCES accounts (id)
);
CREATE INDEX ix_pool_next ON publish_pool (status, priority, id);
CREATE INDEX ix_pool_due ON publish_pool (status, due_at);

-- Audit log of the publish pool: one row per transition, in the transition's transaction.
CREATE TABLE publish_events (
    id            INTEGER NOT NULL,
    pool_entry_id INTEGER NOT NULL,               -- publish_pool.id
    at            TEXT NOT NULL,
    from_status   TEXT,                           -- NULL for the entry's creation
    to_status     TEXT NOT NULL,
    actor         TEXT NOT NULL,                  -- 'cli', 'scheduler' or a daemon id
    message       TEXT,                           -- in English; `code` + `params` render it in any language
    code          TEXT,                           -- e.g. 'pool.published' (NULL in rows from before schema version 10)
    params        TEXT,                           -- JSON parameters of `code`
    PRIMARY KEY (id),
    CONSTRAINT fk_publish_events_entry FOREIGN KEY (pool_entry_id) REFERENCES publish_pool (id) ON DELETE CASCADE
);
CREATE INDEX ix_publish_events_entry ON publish_events (pool_entry_id, id);

-- One row per daemon process; health checks read heartbeat_at, liveness reads the rest
-- (a daemon taken for dead is marked 'dead' by the daemon that took over its work).
CREATE TABLE daemons (
    id                TEXT NOT NULL,              -- hostname:pid:random
    hostname          TEXT NOT NULL,
    pid               INTEGER NOT NULL,
    version           TEXT NOT NULL,
    status            TEXT DEFAULT 'running' NOT NULL,
    started_at        TEXT NOT NULL,              -- database time
    heartbeat_at      TEXT NOT NULL,              -- database time
    stopped_at        TEXT,
    host_id           TEXT,                       -- CONTENTHUB_HOST_ID, /etc/machine-id or hostname
    process_key       TEXT,                       -- boot id:pid namespace/start time of the pid
    heartbeat_seconds FLOAT,                      -- its CONTENTHUB_HEARTBEAT_INTERVAL
    settings          TEXT,                       -- JSON: the settings it runs with (monitor health reads them)
    PRIMARY KEY (id),
    CONSTRAINT ck_daemons_status CHECK (status IN ('running', 'stopping', 'stopped', 'dead'))
);

-- Singleton duties (tracker cycle, ...): one owner at a time, until expires_at.
CREATE TABLE leases (
    name        TEXT NOT NULL,
    owner       TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (name)
);

-- Idempotency-Key of HTTP submissions: a repeated key returns the task it created first.
CREATE TABLE idempotency_keys (
    key                TEXT NOT NULL,
    generation_task_id INTEGER NOT NULL,
    created_at         TEXT NOT NULL,
    PRIMARY KEY (key),
    CONSTRAINT fk_idempotency_task FOREIGN KEY (generation_task_id) REFERENCES content_generation_tasks (id) ON DELETE CASCADE
);
CREATE INDEX ix_idempotency_task ON idempotency_keys (generation_task_id);

-- The outbox: one row per event, written with the state change it announces.
CREATE TABLE webhook_events (
    id                 INTEGER NOT NULL,
    event_id           TEXT NOT NULL,             -- 'evt_' + 24 hex: the webhook-id header
    event_type         TEXT NOT NULL,
    generation_task_id INTEGER,                   -- the task a task.* event is about
    job_run_id         INTEGER,                   -- the run a job_run.* event is about
    callback_url       TEXT,                      -- the task's callback_url when the event was written
    data               TEXT NOT NULL,             -- JSON: the body's "data"
    created_at         TEXT NOT NULL,
    fanned_out_at      TEXT,                      -- NULL until its deliveries are created
    PRIMARY KEY (id),
    CONSTRAINT uq_webhook_events_event_id UNIQUE (event_id),
    CONSTRAINT ck_webhook_events_type CHECK (event_type IN ('task.completed', 'task.failed', 'task.timeout', 'task.cancelled', 'content.published', 'content.publish_failed', 'job_run.failed', 'ping')),
    CONSTRAINT fk_webhook_events_task FOREIGN KEY (generation_task_id) REFERENCES content_generation_tasks (id) ON DELETE CASCADE,
    CONSTRAINT fk_webhook_events_run FOREIGN KEY (job_run_id) REFERENCES job_runs (id) ON DELETE CASCADE
);
CREATE INDEX ix_webhook_events_fan_out ON webhook_events (fanned_out_at, id);
CREATE INDEX ix_webhook_events_task ON webhook_events (generation_task_id);
CREATE INDEX ix_webhook_events_run ON webhook_events (job_run_id);

-- One row per event and destination URL: pending -> delivered | dead.
CREATE TABLE webhook_deliveries (
    id               INTEGER NOT NULL,
    webhook_event_id INTEGER NOT NULL,
    url              TEXT NOT NULL,
    status           TEXT DEFAULT 'pending' NOT NULL,
    attempts         INTEGER DEFAULT 0 NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    lease_owner      TEXT,                        -- daemon id while an attempt is in flight
    lease_expires_at TEXT,
    last_status_code INTEGER,
    last_error       TEXT,
    delivered_at     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_deliveries_event_url UNIQUE (webhook_event_id, url),
    CONSTRAINT ck_deliveries_status CHECK (status IN ('pending', 'delivered', 'dead')),
    CONSTRAINT fk_deliveries_event FOREIGN KEY (webhook_event_id) REFERENCES webhook_events (id) ON DELETE CASCADE
);
CREATE INDEX ix_deliveries_due ON webhook_deliveries (status, next_attempt_at);

-- One row per HTTP attempt of a delivery.
CREATE TABLE webhook_attempts (
    id          INTEGER NOT NULL,
    delivery_id INTEGER NOT NULL,
    at          TEXT NOT NULL,
    daemon_id   TEXT NOT NULL,
    status_code INTEGER,                          -- NULL: no answer (error says why)
    error       TEXT,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_attempts_delivery FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id) ON DELETE CASCADE
);
CREATE INDEX ix_attempts_delivery ON webhook_attempts (delivery_id, id);
