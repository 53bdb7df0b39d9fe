-- Replication executions, their tasks and the resumable-upload journal; Harbor's labels
-- and their attachment to artifacts. Statuses are stored in the API vocabulary.

ALTER TABLE replication_policies ADD COLUMN trigger_type TEXT NOT NULL DEFAULT 'manual';
CREATE INDEX replication_policies_creation ON replication_policies (creation_time, id);
CREATE INDEX replication_policies_trigger ON replication_policies (trigger_type, enabled);

CREATE TABLE replication_executions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  policy_id BIGINT NOT NULL REFERENCES replication_policies (id) ON DELETE CASCADE,
  status TEXT NOT NULL DEFAULT 'InProgress',  -- InProgress | Succeed | Failed | Stopped
  status_text TEXT NOT NULL DEFAULT '',
  trigger_type TEXT NOT NULL DEFAULT 'manual',  -- manual | scheduled | event_based
  event TEXT NOT NULL DEFAULT '',               -- the artifact event of an event trigger
  planned INTEGER NOT NULL DEFAULT 0,           -- every task has been created
  stop_requested INTEGER NOT NULL DEFAULT 0,
  bytes BIGINT NOT NULL DEFAULT 0,
  start_time TEXT NOT NULL,
  end_time TEXT NOT NULL DEFAULT ''
);
CREATE INDEX replication_executions_policy ON replication_executions (policy_id, id);
CREATE INDEX replication_executions_status ON replication_executions (status);

-- One task per repository (or deletion) of an execution: the executor's job queue.
CREATE TABLE replication_tasks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  execution_id BIGINT NOT NULL REFERENCES replication_executions (id) ON DELETE CASCADE,
  status TEXT NOT NULL DEFAULT 'Pending',  -- Pending | InProgress | Succeed | Failed | Stopped
  operation TEXT NOT NULL DEFAULT 'copy',
  resource_type TEXT NOT NULL DEFAULT 'image',
  src_resource TEXT NOT NULL DEFAULT '',
  dst_resource TEXT NOT NULL DEFAULT '',
  payload TEXT NOT NULL DEFAULT '',
  run_count BIGINT NOT NULL DEFAULT 0,
  status_message TEXT NOT NULL DEFAULT '',
  bytes BIGINT NOT NULL DEFAULT 0,
  artifacts_done BIGINT NOT NULL DEFAULT 0,
  artifacts_total BIGINT NOT NULL DEFAULT 0,
  start_time TEXT NOT NULL DEFAULT '',
  end_time TEXT NOT NULL DEFAULT '',
  update_time TEXT NOT NULL DEFAULT ''
);
-- Claiming takes the oldest Pending task; listing and counting go by execution.
CREATE INDEX replication_tasks_claim ON replication_tasks (status, id);
CREATE INDEX replication_tasks_execution ON replication_tasks (execution_id, id);
CREATE INDEX replication_tasks_execution_status ON replication_tasks (execution_id, status);

-- Chunked uploads in flight at a destination, so that a retry or a restart resumes
-- mid-blob: the upload session URL and how many bytes it has accepted.
CREATE TABLE replication_uploads (
  task_id BIGINT NOT NULL REFERENCES replication_tasks (id) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  session TEXT NOT NULL,
  upload_offset BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (task_id, digest)
);

-- Harbor's labels: scope 'g' (global, project_id 0) or 'p' (of project project_id).
CREATE TABLE labels (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  color TEXT NOT NULL DEFAULT '',
  scope TEXT NOT NULL DEFAULT 'g',
  project_id BIGINT NOT NULL DEFAULT 0,
  creation_time TEXT NOT NULL,
  update_time TEXT NOT NULL,
  UNIQUE (name, scope, project_id)
);
CREATE INDEX labels_project ON labels (project_id, name);

CREATE TABLE artifact_labels (
  artifact_id BIGINT NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
  label_id BIGINT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
  creation_time TEXT NOT NULL,
  PRIMARY KEY (artifact_id, label_id)
);
CREATE INDEX artifact_labels_label ON artifact_labels (label_id);
