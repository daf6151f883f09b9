-- Publishing: the publish-pool state machine (lease on publishing, due time, URL), its audit
-- log publish_events, and the publisher of each account.

ALTER TABLE accounts ADD COLUMN publisher TEXT;
ALTER TABLE accounts ADD COLUMN credentials_ref TEXT;
ALTER TABLE contents ADD COLUMN review_note TEXT;

-- SQLite cannot add constraints to a table: publish_pool is rebuilt with them.
CREATE TABLE publish_pool_new (
    id               INTEGER NOT NULL,
    content_id       INTEGER NOT NULL,
    account_id       INTEGER NOT NULL,
    priority         INTEGER DEFAULT 5 NOT NULL,
    scheduled_at     TEXT,
    status           TEXT DEFAULT 'pending' NOT NULL,
    attempts         INTEGER DEFAULT 0 NOT NULL,
    last_error       TEXT,
    published_at     TEXT,
    external_id      TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    url              TEXT,
    due_at           TEXT NOT NULL,
    lease_owner      TEXT,
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
INSERT INTO publish_pool_new (id, content_id, account_id, priority, scheduled_at, status, attempts, last_error,
                              published_at, external_id, created_at, updated_at, due_at)
    SELECT id, content_id, account_id, priority, scheduled_at, status, attempts, last_error,
           published_at, external_id, created_at, updated_at, COALESCE(scheduled_at, created_at)
    FROM publish_pool;
DROP TABLE publish_pool;
ALTER TABLE publish_pool_new RENAME TO publish_pool;
CREATE INDEX ix_pool_next ON publish_pool (status, priority, id);
CREATE INDEX ix_pool_due ON publish_pool (status, due_at);

CREATE TABLE publish_events (
    id            INTEGER NOT NULL,
    pool_entry_id INTEGER NOT NULL,
    at            TEXT NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    actor         TEXT NOT NULL,
    message       TEXT,
    PRIMARY KEY (id),
    CONSTRAINT fk_publish_events_entry FOREIGN KEY (pool_entry_id) REFERENCES publish_pool (id) ON DELETE CASCADE
);
CREATE INDEX ix_publish_events_entry ON publish_events (pool_entry_id, id);
