-- Proxy-cache project settings (Harbor's project metadata of the same names): the
-- bandwidth limit towards the upstream in kbit/s and the upstream connection cap per
-- artifact. -1 (or 0) means unlimited; normal projects keep -1.
ALTER TABLE projects ADD COLUMN proxy_speed_kb BIGINT NOT NULL DEFAULT -1;
ALTER TABLE projects ADD COLUMN max_upstream_conn BIGINT NOT NULL DEFAULT -1;
