-- Initial schema. Written in the common dialect of SQLite and PostgreSQL; the runner
-- rewrites "INTEGER PRIMARY KEY AUTOINCREMENT" for PostgreSQL. Booleans are 0/1
-- integers, times RFC 3339 UTC text.

CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL DEFAULT '',
  realname TEXT NOT NULL DEFAULT '',
  comment TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL DEFAULT '',
  sysadmin INTEGER NOT NULL DEFAULT 0,
  creation_time TEXT NOT NULL,
  update_time TEXT NOT NULL
);

-- Harbor replication endpoints.
CREATE TABLE registries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  url TEXT NOT NULL,
  type TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  credential_type TEXT NOT NULL DEFAULT '',
  access_key TEXT NOT NULL DEFAULT '',
  access_secret TEXT NOT NULL DEFAULT '',  -- sealed, never plain text
  insecure INTEGER NOT NULL DEFAULT 0,
  ca_certificate TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT '',
  creation_time TEXT NOT NULL,
  update_time TEXT NOT NULL
);

CREATE TABLE projects (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  is_public INTEGER NOT NULL DEFAULT 0,
  owner_id BIGINT NOT NULL DEFAULT 0,
  registry_id BIGINT NOT NULL DEFAULT 0,  -- 0: a normal project, else a proxy cache
  creation_time TEXT NOT NULL,
  update_time TEXT NOT NULL
);
CREATE INDEX projects_creation ON projects (creation_time, id);

CREATE TABLE repositories (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id BIGINT NOT NULL REFERENCES projects (id),
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  pull_count BIGINT NOT NULL DEFAULT 0,
  creation_time TEXT NOT NULL,
  update_time TEXT NOT NULL
);
CREATE INDEX repositories_project ON repositories (project_id, name);

CREATE TABLE artifacts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  media_type TEXT NOT NULL DEFAULT '',
  artifact_type TEXT NOT NULL DEFAULT '',
  size BIGINT NOT NULL DEFAULT 0,
  subject TEXT NOT NULL DEFAULT '',
  push_time TEXT NOT NULL,
  UNIQUE (repository_id, digest)
);
CREATE INDEX artifacts_subject ON artifacts (repository_id, subject);
CREATE INDEX artifacts_push_time ON artifacts (repository_id, push_time);

CREATE TABLE artifact_references (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  artifact_id BIGINT NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  size BIGINT NOT NULL DEFAULT 0,
  is_manifest INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX artifact_references_artifact ON artifact_references (artifact_id);
CREATE INDEX artifact_references_digest ON artifact_references (digest);

CREATE TABLE tags (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  artifact_id BIGINT NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  push_time TEXT NOT NULL,
  UNIQUE (repository_id, name)
);
CREATE INDEX tags_artifact ON tags (artifact_id);

CREATE TABLE blob_links (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  repository_id BIGINT NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  size BIGINT NOT NULL DEFAULT 0,
  creation_time TEXT NOT NULL,
  UNIQUE (repository_id, digest)
);
CREATE INDEX blob_links_digest ON blob_links (digest);

CREATE TABLE project_members (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role INTEGER NOT NULL,
  UNIQUE (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

-- Upload sessions in flight (the bytes live in the BlobStore).
CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  repository TEXT NOT NULL,
  created TEXT NOT NULL
);

CREATE TABLE replication_policies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  src_registry_id BIGINT REFERENCES registries (id),   -- NULL: this Berth
  dest_registry_id BIGINT REFERENCES registries (id),  -- NULL: this Berth
  json TEXT NOT NULL DEFAULT '{}',
  enabled INTEGER NOT NULL DEFAULT 1,
  creation_time TEXT NOT NULL,
  update_time TEXT NOT NULL
);
