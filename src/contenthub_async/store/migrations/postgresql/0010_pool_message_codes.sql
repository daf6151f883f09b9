-- The publish pool's timeline is stored as a code with JSON parameters too, like the task
-- timeline (0007), so contenthub-ctl renders it in the reader's language; `message` keeps the
-- English sentence for readers of the table. Rows written before keep only the sentence.
ALTER TABLE publish_events ADD COLUMN code TEXT;
ALTER TABLE publish_events ADD COLUMN params TEXT;
