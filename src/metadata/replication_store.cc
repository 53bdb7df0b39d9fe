#include "metadata/replication_store.h"

#include <fmt/format.h>

#include <unordered_map>

#include "metadata/store_util.h"
#include "metadata/timestamps.h"

namespace berth::metadata {
namespace {

using namespace internal;  // NOLINT(build/namespaces): store helpers

// How often ClaimTask retries when another claimer took its candidate first (only
// possible on backends where transactions run concurrently).
constexpr int kClaimAttempts = 16;

// ---- policies ----

constexpr std::string_view kPolicyCols =
    "id, name, src_registry_id, dest_registry_id, enabled, trigger_type, json, creation_time, "
    "update_time";

PolicyRecord ToPolicy(const Row& r) {
  return PolicyRecord{.id = r.Int(0),
                      .name = r.Text(1),
                      .src_registry_id = r.Int(2),
                      .dest_registry_id = r.Int(3),
                      .enabled = r.Bool(4),
                      .trigger_type = r.Text(5),
                      .json = r.Text(6),
                      .creation_time = r.Text(7),
                      .update_time = r.Text(8)};
}

// A registry id as stored: 0 (this Berth) is NULL.
Value RegistryId(int64_t id) { return id == 0 ? Value() : Value(id); }

std::string TriggerOrManual(std::string_view trigger) {
  return trigger.empty() ? "manual" : std::string(trigger);
}

Error PolicyConflict(Error e, std::string_view name) {
  return Relabel(std::move(e), ErrorCode::kConflict, ErrorCode::kConflict,
                 fmt::format("policy {} already exists", name));
}

// ---- executions ----

constexpr std::string_view kExecutionCols =
    "id, policy_id, status, status_text, trigger_type, event, planned, stop_requested, bytes, "
    "start_time, end_time";

ReplicationExecution ToExecution(const Row& r) {
  ReplicationExecution e;
  e.id = r.Int(0);
  e.policy_id = r.Int(1);
  e.status = r.Text(2);
  e.status_text = r.Text(3);
  e.trigger = r.Text(4);
  e.event = r.Text(5);
  e.planned = r.Bool(6);
  e.stop_requested = r.Bool(7);
  e.bytes = r.Int(8);
  e.start_time = r.Text(9);
  e.end_time = r.Text(10);
  return e;
}

// Fills the task counters of `executions` from one GROUP BY over their tasks, and for a
// running execution its bytes so far (the sum is stored only when it ends).
Status FillCounters(Database& db, std::vector<ReplicationExecution>& executions) {
  if (executions.empty()) return Ok();
  std::string sql =
      "SELECT execution_id, status, COUNT(*), COALESCE(SUM(bytes), 0) FROM replication_tasks "
      "WHERE execution_id IN (";
  std::vector<Value> params;
  std::unordered_map<int64_t, ReplicationExecution*> by_id;
  for (auto& e : executions) {
    sql += params.empty() ? "?" : ", ?";
    params.emplace_back(e.id);
    by_id[e.id] = &e;
  }
  sql += ") GROUP BY execution_id, status";
  auto rows = db.Query(sql, params);
  if (!rows) return Fail(rows.error());
  for (auto& e : executions) {
    if (e.status == "InProgress") e.bytes = 0;
  }
  for (const auto& r : *rows) {
    auto it = by_id.find(r.Int(0));
    if (it == by_id.end()) continue;
    ReplicationExecution& e = *it->second;
    const std::string status = r.Text(1);
    const int64_t n = r.Int(2);
    if (e.status == "InProgress") e.bytes += r.Int(3);
    e.total += n;
    if (status == "Failed") {
      e.failed += n;
    } else if (status == "Succeed") {
      e.succeed += n;
    } else if (status == "Stopped") {
      e.stopped += n;
    } else {
      e.in_progress += n;  // Pending, InProgress
    }
  }
  return Ok();
}

Result<std::vector<ReplicationExecution>> QueryExecutions(Database& db, std::string_view sql,
                                                          Params params) {
  auto rows = db.Query(sql, params);
  if (!rows) return Fail(rows.error());
  std::vector<ReplicationExecution> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) out.push_back(ToExecution(r));
  BERTH_TRY(FillCounters(db, out));
  return out;
}

// ---- tasks ----

constexpr std::string_view kTaskCols =
    "id, execution_id, status, operation, resource_type, src_resource, dst_resource, payload, "
    "run_count, status_message, bytes, artifacts_done, artifacts_total, start_time, end_time, "
    "update_time";

ReplicationTask ToTask(const Row& r) {
  return ReplicationTask{.id = r.Int(0),
                         .execution_id = r.Int(1),
                         .status = r.Text(2),
                         .operation = r.Text(3),
                         .resource_type = r.Text(4),
                         .src_resource = r.Text(5),
                         .dst_resource = r.Text(6),
                         .payload = r.Text(7),
                         .run_count = r.Int(8),
                         .status_message = r.Text(9),
                         .bytes = r.Int(10),
                         .artifacts_done = r.Int(11),
                         .artifacts_total = r.Int(12),
                         .start_time = r.Text(13),
                         .end_time = r.Text(14),
                         .update_time = r.Text(15)};
}

// The finished executions of a policy beyond the newest `keep` (parameters: policy id,
// policy id, keep).
constexpr std::string_view kPrunable =
    "SELECT id FROM replication_executions WHERE policy_id = ? AND status <> 'InProgress' "
    "AND id NOT IN (SELECT id FROM replication_executions WHERE policy_id = ? "
    "AND status <> 'InProgress' ORDER BY id DESC LIMIT ?)";

}  // namespace

// ---- policies ----

Result<PolicyRecord> ReplicationStore::CreatePolicy(const PolicyRecord& policy) {
  std::string now = NowTimestamp();
  static const std::string sql =
      Sql({"INSERT INTO replication_policies (name, src_registry_id, dest_registry_id, enabled, "
           "trigger_type, json, creation_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
           "RETURNING ",
           kPolicyCols});
  auto row = db_.QueryOne(
      sql, {policy.name, RegistryId(policy.src_registry_id), RegistryId(policy.dest_registry_id),
            policy.enabled, TriggerOrManual(policy.trigger_type), policy.json, now, now});
  if (!row) return Fail(PolicyConflict(row.error(), policy.name));
  if (!*row) return Fail(ErrorCode::kInternal, "insert returned no row");
  return ToPolicy(**row);
}

Result<std::optional<PolicyRecord>> ReplicationStore::GetPolicy(int64_t id) {
  static const std::string sql =
      Sql({"SELECT ", kPolicyCols, " FROM replication_policies WHERE id = ?"});
  auto row = db_.QueryOne(sql, {id});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<PolicyRecord>();
  return std::optional(ToPolicy(**row));
}

Result<PageResult<PolicyRecord>> ReplicationStore::ListPolicies(const Page& page,
                                                                std::string_view name_exact,
                                                                std::string_view name_like) {
  Where where;
  if (!name_exact.empty()) where.Equal("name", name_exact);
  if (!name_like.empty()) where.LikeNoCase("name", name_like);
  return ListPage<PolicyRecord>(db_, "replication_policies", kPolicyCols, where,
                                "creation_time DESC, id DESC", page, ToPolicy);
}

Result<std::vector<PolicyRecord>> ReplicationStore::EnabledPolicies(std::string_view trigger_type) {
  static const std::string sql = Sql({"SELECT ", kPolicyCols,
                                      " FROM replication_policies WHERE enabled = 1 AND "
                                      "trigger_type = ? ORDER BY id"});
  auto rows = db_.Query(sql, {trigger_type});
  if (!rows) return Fail(rows.error());
  std::vector<PolicyRecord> out;
  for (const auto& r : *rows) out.push_back(ToPolicy(r));
  return out;
}

Status ReplicationStore::UpdatePolicy(const PolicyRecord& policy) {
  auto n = db_.Exec(
      "UPDATE replication_policies SET name = ?, src_registry_id = ?, dest_registry_id = ?, "
      "enabled = ?, trigger_type = ?, json = ?, update_time = ? WHERE id = ?",
      {policy.name, RegistryId(policy.src_registry_id), RegistryId(policy.dest_registry_id),
       policy.enabled, TriggerOrManual(policy.trigger_type), policy.json, NowTimestamp(),
       policy.id});
  if (!n) return Fail(PolicyConflict(n.error(), policy.name));
  if (*n == 0) return Fail(ErrorCode::kNotFound, fmt::format("policy {} not found", policy.id));
  return Ok();
}

Status ReplicationStore::DeletePolicy(int64_t id) {
  // Executions, tasks and upload journal rows go by ON DELETE CASCADE.
  auto n = db_.Exec("DELETE FROM replication_policies WHERE id = ?", {id});
  if (!n) return Fail(n.error());
  if (*n == 0) return Fail(ErrorCode::kNotFound, fmt::format("policy {} not found", id));
  return Ok();
}

// ---- executions ----

Result<ReplicationExecution> ReplicationStore::CreateExecution(
    const ReplicationExecution& execution) {
  static const std::string sql = Sql(
      {"INSERT INTO replication_executions (policy_id, status, status_text, trigger_type, event, "
       "planned, stop_requested, bytes, start_time, end_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
       "?) RETURNING ",
       kExecutionCols});
  auto row = db_.QueryOne(
      sql,
      {execution.policy_id, execution.status.empty() ? "InProgress" : execution.status,
       execution.status_text, TriggerOrManual(execution.trigger), execution.event,
       execution.planned, execution.stop_requested, execution.bytes,
       execution.start_time.empty() ? NowTimestamp() : execution.start_time, execution.end_time});
  if (!row) {
    return Fail(Relabel(row.error(), ErrorCode::kPrecondition, ErrorCode::kNotFound,
                        fmt::format("policy {} not found", execution.policy_id)));
  }
  if (!*row) return Fail(ErrorCode::kInternal, "insert returned no row");
  return ToExecution(**row);
}

Result<std::optional<ReplicationExecution>> ReplicationStore::GetExecution(int64_t id) {
  static const std::string sql =
      Sql({"SELECT ", kExecutionCols, " FROM replication_executions WHERE id = ?"});
  const Value params[] = {id};
  auto found = QueryExecutions(db_, sql, params);
  if (!found) return Fail(found.error());
  if (found->empty()) return std::optional<ReplicationExecution>();
  return std::optional(std::move(found->front()));
}

Result<PageResult<ReplicationExecution>> ReplicationStore::ListExecutions(
    const Page& page, int64_t policy_id, std::string_view status, std::string_view trigger) {
  Where where;
  if (policy_id != 0) where.Equal("policy_id", policy_id);
  if (!status.empty()) where.Equal("status", status);
  if (!trigger.empty()) where.Equal("trigger_type", trigger);
  auto result = ListPage<ReplicationExecution>(db_, "replication_executions", kExecutionCols, where,
                                               "id DESC", page, ToExecution);
  if (!result) return Fail(result.error());
  // The task counters are not columns of the execution rows.
  BERTH_TRY(FillCounters(db_, result->items));
  return result;
}

Status ReplicationStore::UpdateExecution(const ReplicationExecution& execution) {
  auto n = db_.Exec(
      "UPDATE replication_executions SET status = ?, status_text = ?, planned = ?, "
      "stop_requested = ?, bytes = ?, end_time = ? WHERE id = ?",
      {execution.status, execution.status_text, execution.planned, execution.stop_requested,
       execution.bytes, execution.end_time, execution.id});
  if (!n) return Fail(n.error());
  if (*n == 0) {
    return Fail(ErrorCode::kNotFound, fmt::format("execution {} not found", execution.id));
  }
  return Ok();
}

Result<std::vector<ReplicationExecution>> ReplicationStore::RunningExecutions() {
  static const std::string sql = Sql({"SELECT ", kExecutionCols,
                                      " FROM replication_executions WHERE status = 'InProgress' "
                                      "ORDER BY id"});
  return QueryExecutions(db_, sql, {});
}

Result<bool> ReplicationStore::PolicyHasRunningExecution(int64_t policy_id) {
  auto row = db_.QueryOne(
      "SELECT 1 FROM replication_executions WHERE policy_id = ? AND status = 'InProgress' "
      "LIMIT 1",
      {policy_id});
  if (!row) return Fail(row.error());
  return row->has_value();
}

Result<std::vector<int64_t>> ReplicationStore::PruneExecutions(int64_t policy_id, int keep) {
  std::vector<int64_t> task_ids;
  if (keep < 0) return task_ids;  // keep everything
  static const std::string tasks_sql =
      Sql({"SELECT id FROM replication_tasks WHERE execution_id IN (", kPrunable, ") ORDER BY id"});
  static const std::string delete_sql =
      Sql({"DELETE FROM replication_executions WHERE id IN (", kPrunable, ")"});
  auto status = db_.Transaction([&](Database& tx) -> Status {
    task_ids.clear();
    auto rows = tx.Query(tasks_sql, {policy_id, policy_id, keep});
    if (!rows) return Fail(rows.error());
    for (const auto& r : *rows) task_ids.push_back(r.Int(0));
    auto n = tx.Exec(delete_sql, {policy_id, policy_id, keep});
    if (!n) return Fail(n.error());
    return Ok();
  });
  if (!status) return Fail(status.error());
  return task_ids;
}

// ---- tasks ----

Status ReplicationStore::CreateTasks(int64_t execution_id,
                                     const std::vector<ReplicationTask>& tasks, bool mark_planned) {
  return db_.Transaction([&](Database& tx) -> Status {
    const std::string now = NowTimestamp();
    for (const auto& t : tasks) {
      auto n = tx.Exec(
          "INSERT INTO replication_tasks (execution_id, status, operation, resource_type, "
          "src_resource, dst_resource, payload, run_count, status_message, bytes, "
          "artifacts_done, artifacts_total, start_time, end_time, update_time) VALUES (?, ?, ?, "
          "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {execution_id, t.status.empty() ? "Pending" : t.status, t.operation, t.resource_type,
           t.src_resource, t.dst_resource, t.payload, t.run_count, t.status_message, t.bytes,
           t.artifacts_done, t.artifacts_total, t.start_time, t.end_time, now});
      if (!n) {
        return Fail(Relabel(n.error(), ErrorCode::kPrecondition, ErrorCode::kNotFound,
                            fmt::format("execution {} not found", execution_id)));
      }
    }
    if (mark_planned) {
      auto n =
          tx.Exec("UPDATE replication_executions SET planned = 1 WHERE id = ?", {execution_id});
      if (!n) return Fail(n.error());
      if (*n == 0) {
        return Fail(ErrorCode::kNotFound, fmt::format("execution {} not found", execution_id));
      }
    }
    return Ok();
  });
}

Result<std::optional<ReplicationTask>> ReplicationStore::GetTask(int64_t id) {
  static const std::string sql =
      Sql({"SELECT ", kTaskCols, " FROM replication_tasks WHERE id = ?"});
  auto row = db_.QueryOne(sql, {id});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<ReplicationTask>();
  return std::optional(ToTask(**row));
}

Result<PageResult<ReplicationTask>> ReplicationStore::ListTasks(int64_t execution_id,
                                                                const Page& page,
                                                                std::string_view status,
                                                                std::string_view resource_type) {
  Where where;
  where.Equal("execution_id", execution_id);
  if (!status.empty()) where.Equal("status", status);
  if (!resource_type.empty()) where.Equal("resource_type", resource_type);
  return ListPage<ReplicationTask>(db_, "replication_tasks", kTaskCols, where, "id", page, ToTask);
}

Result<std::optional<ReplicationTask>> ReplicationStore::ClaimTask() {
  static const std::string claim_sql =
      Sql({"UPDATE replication_tasks SET status = 'InProgress', run_count = run_count + 1, "
           "start_time = ?, update_time = ? WHERE id = ? AND status = 'Pending' RETURNING ",
           kTaskCols});
  std::optional<ReplicationTask> claimed;
  auto status = db_.Transaction([&](Database& tx) -> Status {
    for (int attempt = 0; attempt < kClaimAttempts; ++attempt) {
      auto candidate = tx.QueryOne(
          "SELECT t.id FROM replication_tasks t JOIN replication_executions e ON e.id = "
          "t.execution_id WHERE t.status = 'Pending' AND e.status = 'InProgress' AND "
          "e.stop_requested = 0 ORDER BY t.id LIMIT 1");
      if (!candidate) return Fail(candidate.error());
      if (!*candidate) return Ok();
      const std::string now = NowTimestamp();
      auto row = tx.QueryOne(claim_sql, {now, now, (*candidate)->Int(0)});
      if (!row) return Fail(row.error());
      if (*row) {
        claimed = ToTask(**row);
        return Ok();
      }
    }
    return Ok();
  });
  if (!status) return Fail(status.error());
  return claimed;
}

Status ReplicationStore::UpdateTask(const ReplicationTask& task) {
  auto n = db_.Exec(
      "UPDATE replication_tasks SET status = ?, status_message = ?, bytes = ?, artifacts_done = ?, "
      "artifacts_total = ?, end_time = ?, update_time = ? WHERE id = ?",
      {task.status, task.status_message, task.bytes, task.artifacts_done, task.artifacts_total,
       task.end_time, task.update_time.empty() ? NowTimestamp() : task.update_time, task.id});
  if (!n) return Fail(n.error());
  if (*n == 0) return Fail(ErrorCode::kNotFound, fmt::format("task {} not found", task.id));
  return Ok();
}

Result<int64_t> ReplicationStore::RequeueRunningTasks() {
  return db_.Exec(
      "UPDATE replication_tasks SET status = 'Pending', update_time = ? WHERE status = "
      "'InProgress' AND execution_id IN (SELECT id FROM replication_executions WHERE status = "
      "'InProgress')",
      {NowTimestamp()});
}

Result<int64_t> ReplicationStore::StopPendingTasks(int64_t execution_id) {
  const std::string now = NowTimestamp();
  return db_.Exec(
      "UPDATE replication_tasks SET status = 'Stopped', end_time = ?, update_time = ? WHERE "
      "execution_id = ? AND status = 'Pending'",
      {now, now, execution_id});
}

// ---- resumable uploads ----

Result<std::optional<std::pair<std::string, int64_t>>> ReplicationStore::GetUpload(
    int64_t task_id, std::string_view digest) {
  auto row = db_.QueryOne(
      "SELECT session, upload_offset FROM replication_uploads WHERE task_id = ? AND digest = ?",
      {task_id, digest});
  if (!row) return Fail(row.error());
  if (!*row) return std::optional<std::pair<std::string, int64_t>>();
  return std::optional(std::pair((*row)->Text(0), (*row)->Int(1)));
}

Status ReplicationStore::SaveUpload(int64_t task_id, std::string_view digest,
                                    std::string_view session, int64_t offset) {
  auto n = db_.Exec(
      "INSERT INTO replication_uploads (task_id, digest, session, upload_offset) VALUES (?, ?, "
      "?, ?) ON CONFLICT (task_id, digest) DO UPDATE SET session = excluded.session, "
      "upload_offset = excluded.upload_offset",
      {task_id, digest, session, offset});
  if (!n) {
    return Fail(Relabel(n.error(), ErrorCode::kPrecondition, ErrorCode::kNotFound,
                        fmt::format("task {} not found", task_id)));
  }
  return Ok();
}

Status ReplicationStore::ClearUpload(int64_t task_id, std::string_view digest) {
  auto n = db_.Exec("DELETE FROM replication_uploads WHERE task_id = ? AND digest = ?",
                    {task_id, digest});
  if (!n) return Fail(n.error());
  return Ok();
}

}  // namespace berth::metadata
