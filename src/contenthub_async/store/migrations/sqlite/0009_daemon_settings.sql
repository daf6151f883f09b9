-- Each daemon records the settings it runs with (processing switch, creator command, limits),
-- so monitor health judges the daemon's configuration rather than the shell's.
ALTER TABLE daemons ADD COLUMN settings TEXT;
