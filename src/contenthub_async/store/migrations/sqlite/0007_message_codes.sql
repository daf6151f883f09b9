-- Timeline messages and last errors are stored as a code with JSON parameters as well, so
-- contenthub-ctl renders them in the reader's language; `message` / `error_message` keep the
-- English sentence for readers of the tables. Rows written before keep only the sentence.
ALTER TABLE content_generation_tasks ADD COLUMN error_code TEXT;
ALTER TABLE content_generation_tasks ADD COLUMN error_params TEXT;
ALTER TABLE task_events ADD COLUMN code TEXT;
ALTER TABLE task_events ADD COLUMN params TEXT;
