-- Version 5: Idempotency-Key of HTTP submissions (SQLite). Applied by contenthub_async.store.migrations.

-- A key a client sent with a submission, and the task it created: a repeated key returns that
-- task instead of creating a second one (the primary key makes two at once impossible).
CREATE TABLE idempotency_keys (
    key                TEXT NOT NULL,
    generation_task_id INTEGER NOT NULL,
    created_at         TEXT NOT NULL,
    PRIMARY KEY (key),
    CONSTRAINT fk_idempotency_task FOREIGN KEY (generation_task_id) REFERENCES content_generation_tasks (id) ON DELETE CASCADE
);
CREATE INDEX ix_idempotency_task ON idempotency_keys (generation_task_id);
