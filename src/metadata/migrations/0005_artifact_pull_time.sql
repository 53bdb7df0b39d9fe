-- When an artifact's manifest was last pulled ('' = never), as Harbor's pull_time. Proxy
-- cache expiry removes what has not been pulled (or pushed) for its period.
ALTER TABLE artifacts ADD COLUMN pull_time TEXT NOT NULL DEFAULT '';
CREATE INDEX projects_registry ON projects (registry_id);
