-- Version 6: webhook notifications (PostgreSQL). A transactional outbox: an event row is written
-- in the transaction of the change it announces; deliveries and their attempts track sending.

ALTER TABLE content_generation_tasks ADD COLUMN callback_url TEXT;   -- per-task webhook URL

-- The outbox: one row per event, written with the state change it announces.
CREATE TABLE webhook_events (
    id                 SERIAL NOT NULL,
    event_id           TEXT NOT NULL,             -- 'evt_' + 24 hex: the webhook-id header
    event_type         TEXT NOT NULL,
    generation_task_id INTEGER,                   -- the task a task.* event is about
    job_run_id         INTEGER,                   -- the run a job_run.* event is about
    callback_url       TEXT,                      -- the task's callback_url when the event was written
    data               JSONB NOT NULL,            -- JSON: the body's "data"
    created_at         TIMESTAMPTZ NOT NULL,
    fanned_out_at      TIMESTAMPTZ,               -- NULL until its deliveries are created
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
    id               SERIAL NOT NULL,
    webhook_event_id INTEGER NOT NULL,
    url              TEXT NOT NULL,
    status           TEXT DEFAULT 'pending' NOT NULL,
    attempts         INTEGER DEFAULT 0 NOT NULL,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    lease_owner      TEXT,                        -- daemon id while an attempt is in flight
    lease_expires_at TIMESTAMPTZ,
    last_status_code INTEGER,
    last_error       TEXT,
    delivered_at     TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_deliveries_event_url UNIQUE (webhook_event_id, url),
    CONSTRAINT ck_deliveries_status CHECK (status IN ('pending', 'delivered', 'dead')),
    CONSTRAINT fk_deliveries_event FOREIGN KEY (webhook_event_id) REFERENCES webhook_events (id) ON DELETE CASCADE
);
CREATE INDEX ix_deliveries_due ON webhook_deliveries (status, next_attempt_at);

-- One row per HTTP attempt of a delivery.
CREATE TABLE webhook_attempts (
    id          SERIAL NOT NULL,
    delivery_id INTEGER NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    daemon_id   TEXT NOT NULL,
    status_code INTEGER,                          -- NULL: no answer (error says why)
    error       TEXT,
    duration_ms INTEGER NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_attempts_delivery FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id) ON DELETE CASCADE
);
CREATE INDEX ix_attempts_delivery ON webhook_attempts (delivery_id, id);
