-- Indexes behind the web console's pages (docs/console.md): a status filter in submission
-- order, the due queue depth, and the per-hour chart of finished tasks read from the index alone.
CREATE INDEX ix_tasks_status_created ON content_generation_tasks (status, created_at);
CREATE INDEX ix_tasks_due ON content_generation_tasks (status, run_after);
DROP INDEX ix_tasks_completed_at;
CREATE INDEX ix_tasks_completed_at ON content_generation_tasks (completed_at, status);
