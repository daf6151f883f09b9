-- Finished tasks are read by status first: the failure reasons of the last days (failed and
-- timed out only, no longer every finished task of the window), the per-hour charts (ranges
-- of three statuses, from the index alone), the newest completed task, retention. One index
-- in (status, completed_at) order serves them all and replaces (completed_at, status).
DROP INDEX ix_tasks_completed_at;
CREATE INDEX ix_tasks_status_completed ON content_generation_tasks (status, completed_at);
