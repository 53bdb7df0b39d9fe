-- Replication endpoint health as the health monitor last saw it: the error text of the
-- failing check ('' when healthy) and when the status or error last changed.
ALTER TABLE registries ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE registries ADD COLUMN last_checked TEXT NOT NULL DEFAULT '';
