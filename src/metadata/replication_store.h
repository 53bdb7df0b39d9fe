// ReplicationStore: replication policies, executions, tasks and the resumable-upload
// journal — the persisted job queue of the replication executor. The policy itself is
// kept as its JSON document (replication/policy_json.h); this store knows only the
// columns it queries on.
//
// Statuses are stored in the API vocabulary: execution InProgress | Succeed | Failed |
// Stopped; task Pending | InProgress | Succeed | Failed | Stopped.
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "metadata/database.h"
#include "metadata/records.h"

namespace berth::metadata {

struct PolicyRecord {
  int64_t id = 0;
  std::string name;
  int64_t src_registry_id = 0;   // 0 = this Berth (stored as NULL)
  int64_t dest_registry_id = 0;  // 0 = this Berth (stored as NULL)
  bool enabled = true;
  std::string trigger_type;  // manual | scheduled | event_based (for the scheduler/events)
  std::string json;          // the whole policy document
  std::string creation_time;
  std::string update_time;
};

struct ReplicationExecution {
  int64_t id = 0;
  int64_t policy_id = 0;
  std::string status = "InProgress";
  std::string status_text;
  std::string trigger = "manual";  // manual | scheduled | event_based
  std::string event;               // event_based: the JSON of the artifact event; else ""
  bool planned = false;            // every task has been created
  bool stop_requested = false;     // PUT .../executions/{id} was called
  int64_t bytes = 0;               // blob bytes sent so far (sum over tasks, on refresh)
  std::string start_time;
  std::string end_time;  // "" while running
  // Task counters, filled by Get/List (GROUP BY status).
  int64_t total = 0;
  int64_t failed = 0;
  int64_t succeed = 0;
  int64_t in_progress = 0;  // Pending + InProgress
  int64_t stopped = 0;
};

struct ReplicationTask {
  int64_t id = 0;
  int64_t execution_id = 0;
  std::string status = "Pending";
  std::string operation = "copy";  // copy | deletion | tag deletion
  std::string resource_type = "image";
  std::string src_resource;  // "library/a [3 item(s) in total]"
  std::string dst_resource;
  std::string payload;  // the executor's JSON (repositories, artifacts, references)
  int64_t run_count = 0;
  std::string status_message;
  int64_t bytes = 0;
  int64_t artifacts_done = 0;
  int64_t artifacts_total = 0;
  std::string start_time;
  std::string end_time;
  std::string update_time;
};

class ReplicationStore {
 public:
  explicit ReplicationStore(Database& db) : db_(db) {}

  // ---- policies. CONFLICT `policy <name> already exists` on a duplicate name.
  Result<PolicyRecord> CreatePolicy(const PolicyRecord& policy);
  Result<std::optional<PolicyRecord>> GetPolicy(int64_t id);
  // Newest first (creation time, then id), filtered by exact name or name substring.
  Result<PageResult<PolicyRecord>> ListPolicies(const Page& page, std::string_view name_exact = {},
                                                std::string_view name_like = {});
  // Every enabled policy whose trigger_type is `trigger_type` (scheduler, events).
  Result<std::vector<PolicyRecord>> EnabledPolicies(std::string_view trigger_type);
  // NOT_FOUND when absent; CONFLICT on a duplicate name.
  Status UpdatePolicy(const PolicyRecord& policy);
  // Deletes the policy with its executions, tasks and journal rows (the caller checked
  // that no execution is running). NOT_FOUND when absent.
  Status DeletePolicy(int64_t id);

  // ---- executions
  Result<ReplicationExecution> CreateExecution(const ReplicationExecution& execution);
  Result<std::optional<ReplicationExecution>> GetExecution(int64_t id);
  // Newest first; each filter applies when non-empty / non-zero.
  Result<PageResult<ReplicationExecution>> ListExecutions(const Page& page, int64_t policy_id = 0,
                                                          std::string_view status = {},
                                                          std::string_view trigger = {});
  // Writes status, status_text, planned, stop_requested, bytes, end_time.
  Status UpdateExecution(const ReplicationExecution& execution);
  // Executions with status InProgress (recovery after a restart, stop checks).
  Result<std::vector<ReplicationExecution>> RunningExecutions();
  Result<bool> PolicyHasRunningExecution(int64_t policy_id);
  // Deletes all but the newest `keep` finished executions of the policy (with their
  // tasks); returns the ids of the deleted tasks (their log files go too).
  Result<std::vector<int64_t>> PruneExecutions(int64_t policy_id, int keep);

  // ---- tasks
  // Creates the tasks in one transaction and, with `mark_planned`, sets the execution's
  // planned flag in the same transaction.
  Status CreateTasks(int64_t execution_id, const std::vector<ReplicationTask>& tasks,
                     bool mark_planned);
  Result<std::optional<ReplicationTask>> GetTask(int64_t id);
  // Oldest first; `status` "InProgress" also matches nothing else (stored literally).
  Result<PageResult<ReplicationTask>> ListTasks(int64_t execution_id, const Page& page,
                                                std::string_view status = {},
                                                std::string_view resource_type = {});
  // Atomically takes the oldest Pending task of an InProgress execution without
  // stop_requested: sets it InProgress, run_count + 1, start_time now. nullopt when none.
  Result<std::optional<ReplicationTask>> ClaimTask();
  // Writes status, status_message, bytes, artifacts_done, artifacts_total, end_time,
  // update_time.
  Status UpdateTask(const ReplicationTask& task);
  // After a restart: every InProgress task of an InProgress execution back to Pending.
  Result<int64_t> RequeueRunningTasks();
  // Pending tasks of the execution → Stopped (end_time now); returns how many.
  Result<int64_t> StopPendingTasks(int64_t execution_id);

  // ---- resumable uploads, per task and blob digest
  Result<std::optional<std::pair<std::string, int64_t>>> GetUpload(int64_t task_id,
                                                                   std::string_view digest);
  Status SaveUpload(int64_t task_id, std::string_view digest, std::string_view session,
                    int64_t offset);
  Status ClearUpload(int64_t task_id, std::string_view digest);

 private:
  Database& db_;
};

}  // namespace berth::metadata
