-- Robot accounts, as Harbor's: a name (robot$<name>, or robot$<project>+<name> for a
-- project's robot), an argon2id-hashed secret, and what it may do: `permissions` keeps
-- Harbor's RobotPermission list as given, `robot_grants` the registry actions Berth
-- applies (project_id 0: every project).
CREATE TABLE robots (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  secret_hash TEXT NOT NULL,
  level TEXT NOT NULL,
  project_id BIGINT NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  duration BIGINT NOT NULL DEFAULT -1,
  expires_at BIGINT NOT NULL DEFAULT -1,
  permissions TEXT NOT NULL DEFAULT '[]',
  creator_id BIGINT NOT NULL DEFAULT 0,
  creation_time TEXT NOT NULL,
  update_time TEXT NOT NULL
);
CREATE INDEX robots_project ON robots (project_id);

CREATE TABLE robot_grants (
  robot_id BIGINT NOT NULL REFERENCES robots (id) ON DELETE CASCADE,
  project_id BIGINT NOT NULL,
  action TEXT NOT NULL,
  UNIQUE (robot_id, project_id, action)
);
CREATE INDEX robot_grants_project ON robot_grants (project_id);
