-- Publishing: the publish-pool state machine (lease on publishing, due time, URL), its audit
-- log publish_events, and the publisher of each account.

ALTER TABLE accounts ADD COLUMN publisher TEXT;
ALTER TABLE accounts ADD COLUMN credentials_ref TEXT;
ALTER TABLE contents ADD COLUMN review_note TEXT;

ALTER TABLE publish_pool ADD COLUMN url TEXT;
ALTER TABLE publish_pool ADD COLUMN due_at TIMESTAMPTZ;
UPDATE publish_pool SET due_at = COALESCE(scheduled_at, created_at);
ALTER TABLE publish_pool ALTER COLUMN due_at SET NOT NULL;
ALTER TABLE publish_pool ADD COLUMN lease_owner TEXT;
ALTER TABLE publish_pool ADD COLUMN lease_expires_at TIMESTAMPTZ;
ALTER TABLE publish_pool ADD CONSTRAINT ck_pool_attempts CHECK (attempts >= 0);
ALTER TABLE publish_pool ADD CONSTRAINT ck_pool_lease_only_when_publishing CHECK ((status = 'publishing') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL));
ALTER TABLE publish_pool ADD CONSTRAINT ck_pool_published_once CHECK ((status = 'published') = (published_at IS NOT NULL AND external_id IS NOT NULL));
DROP INDEX ix_pool_next;
CREATE INDEX ix_pool_next ON publish_pool (status, priority, id);
CREATE INDEX ix_pool_due ON publish_pool (status, due_at);

CREATE TABLE publish_events (
    id            SERIAL NOT NULL,
    pool_entry_id INTEGER NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    actor         TEXT NOT NULL,
    message       TEXT,
    PRIMARY KEY (id),
    CONSTRAINT fk_publish_events_entry FOREIGN KEY (pool_entry_id) REFERENCES publish_pool (id) ON DELETE CASCADE
);
CREATE INDEX ix_publish_events_entry ON publish_events (pool_entry_id, id);
