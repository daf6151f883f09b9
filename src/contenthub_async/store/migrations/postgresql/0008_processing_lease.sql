-- Version 8 (PostgreSQL): a task may hold a lease while 'processing' too (sync creator mode: the
-- daemon that runs the generation holds the task and renews its lease).

ALTER TABLE content_generation_tasks DROP CONSTRAINT ck_tasks_lease_only_when_submitting;
ALTER TABLE content_generation_tasks ADD CONSTRAINT ck_tasks_lease CHECK (CASE status
    WHEN 'submitting' THEN lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL
    WHEN 'processing' THEN (lease_owner IS NULL) = (lease_expires_at IS NULL)
    ELSE lease_owner IS NULL AND lease_expires_at IS NULL END);
