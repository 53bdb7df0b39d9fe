// ReplicationService: the public API (policies, executions, tasks, logs) and the
// lifecycle (Start, Shutdown, restart recovery). Planning, execution, scheduling and
// events live in planner.cc, executor.cc, scheduler.cc and events.cc.
#include "replication/replication_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "metadata/timestamps.h"
#include "remote/url.h"
#include "replication/model/policy_json.h"
#include "replication/service_internal.h"
#include "replication/transfer/remote_end.h"

namespace berth::replication {
namespace {

constexpr int64_t kListPageSize = 500;

std::unexpected<Error> PolicyNotFound(int64_t id) {
  return Fail(ErrorCode::kNotFound, fmt::format("policy {} not found", id));
}

std::unexpected<Error> ExecutionNotFound(int64_t id) {
  return Fail(ErrorCode::kNotFound, fmt::format("execution {} not found", id));
}

metadata::PolicyRecord ToRecord(const Policy& p) {
  metadata::PolicyRecord r;
  r.id = p.id;
  r.name = p.name;
  r.src_registry_id = p.src_registry_id;
  r.dest_registry_id = p.dest_registry_id;
  r.enabled = p.enabled;
  r.trigger_type = p.trigger.type;
  Policy doc = p;
  doc.id = 0;
  doc.creation_time.clear();
  doc.update_time.clear();
  r.json = PolicyToJson(doc).dump();
  return r;
}

}  // namespace

// ===== shared helpers =====

Result<Policy> PolicyFromRecord(const metadata::PolicyRecord& record) {
  auto json = nlohmann::json::parse(record.json, nullptr, false);
  if (json.is_discarded()) {
    return Fail(ErrorCode::kInternal,
                fmt::format("policy {}: stored document is not JSON", record.id));
  }
  auto policy = PolicyFromJson(json);
  if (!policy) return Fail(policy.error());
  policy->id = record.id;
  policy->name = record.name;
  policy->src_registry_id = record.src_registry_id;
  policy->dest_registry_id = record.dest_registry_id;
  policy->enabled = record.enabled;
  policy->creation_time = record.creation_time;
  policy->update_time = record.update_time;
  return policy;
}

Result<std::vector<metadata::ReplicationTask>> AllTasks(metadata::ReplicationStore& store,
                                                        int64_t execution_id) {
  std::vector<metadata::ReplicationTask> all;
  for (int64_t page = 1;; ++page) {
    auto got = store.ListTasks(execution_id, metadata::Page{page, kListPageSize});
    if (!got) return Fail(got.error());
    for (auto& t : got->items) all.push_back(std::move(t));
    if (got->items.size() < static_cast<size_t>(kListPageSize) ||
        static_cast<int64_t>(all.size()) >= got->total) {
      break;
    }
  }
  return all;
}

std::string EventToJson(const ContentEvent& e) {
  nlohmann::json j = {{"repository", e.repository},
                      {"digest", e.digest},
                      {"tags", e.tags},
                      {"deleted", e.deleted},
                      {"tag_deleted", e.tag_deleted}};
  return j.dump();
}

Result<ContentEvent> EventFromJson(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ErrorCode::kInternal, "stored replication event is not a JSON object");
  }
  ContentEvent e;
  e.repository = j.value("repository", "");
  e.digest = j.value("digest", "");
  if (auto it = j.find("tags"); it != j.end() && it->is_array()) {
    for (const auto& t : *it) {
      if (t.is_string()) e.tags.push_back(t.get<std::string>());
    }
  }
  e.deleted = j.value("deleted", false);
  e.tag_deleted = j.value("tag_deleted", false);
  return e;
}

// ===== Impl basics =====

ReplicationService::Impl::Impl(metadata::ReplicationStore& s, endpoints::EndpointService& e,
                               LocalStores l, ReplicationOptions o)
    : store(s), endpoints(e), local(l), options(std::move(o)), hosts(options.host_connections) {}

std::filesystem::path ReplicationService::Impl::LogPath(int64_t task_id) const {
  return options.log_dir / fmt::format("{}.log", task_id);
}

Result<std::shared_ptr<RegistryEnd>> ReplicationService::Impl::MakeEnd(int64_t registry_id) {
  if (registry_id == 0) return std::shared_ptr<RegistryEnd>(MakeLocalEnd(local));
  auto view = endpoints.Get(registry_id);
  if (!view) {
    ends.Forget(registry_id);
    return Fail(view.error());
  }
  return ends.Get(registry_id, view->update_time, [&]() -> Result<std::shared_ptr<RegistryEnd>> {
    auto adapter = endpoints.Connect(registry_id);
    if (!adapter) return Fail(adapter.error());
    return std::shared_ptr<RegistryEnd>(MakeRemoteEnd(std::move(*adapter),
                                                      fmt::format("{} {}", view->type, view->url),
                                                      remote::HostPort(view->url)));
  });
}

Result<int64_t> ReplicationService::Impl::BeginExecution(int64_t policy_id,
                                                         std::string_view trigger) {
  metadata::ReplicationExecution e;
  e.policy_id = policy_id;
  e.status = "InProgress";
  e.trigger = std::string(trigger);
  e.start_time = metadata::NowTimestamp();
  auto created = store.CreateExecution(e);
  if (!created) return Fail(created.error());
  spdlog::info("replication execution {} of policy {} started ({})", created->id, policy_id,
               trigger);
  EnqueuePlan(created->id);
  return created->id;
}

void ReplicationService::Impl::WakeWorkers() {
  {
    std::lock_guard lock(mu);
    ++work_generation;
  }
  worker_cv.notify_all();
}

void ReplicationService::Impl::WakeScheduler() {
  {
    std::lock_guard lock(mu);
    schedule_dirty = true;
  }
  scheduler_cv.notify_all();
}

void ReplicationService::Impl::EnqueuePlan(int64_t execution_id) {
  {
    std::lock_guard lock(mu);
    plan_queue.push_back(execution_id);
  }
  planner_cv.notify_all();
}

// ===== lifecycle =====

ReplicationService::ReplicationService(metadata::ReplicationStore& store,
                                       endpoints::EndpointService& endpoints, LocalStores local,
                                       ReplicationOptions options)
    : impl_(std::make_unique<Impl>(store, endpoints, local, std::move(options))) {}

ReplicationService::~ReplicationService() { Shutdown(); }

Status ReplicationService::Start() {
  Impl& d = *impl_;
  {
    std::lock_guard lock(d.mu);
    if (d.running) return Ok();
  }
  if (d.options.log_dir.empty()) {
    return Fail(ErrorCode::kInternal, "replication log directory is not set");
  }
  std::error_code ec;
  std::filesystem::create_directories(d.options.log_dir, ec);
  if (ec) {
    return Fail(ErrorCode::kInternal, fmt::format("cannot create the replication log directory "
                                                  "{}: {}",
                                                  d.options.log_dir.string(), ec.message()));
  }
  // Recovery: tasks that were running when the process ended run again (their upload
  // journals let blobs resume); executions that were not planned yet are planned again.
  auto requeued = d.store.RequeueRunningTasks();
  if (!requeued) return Fail(requeued.error());
  auto running = d.store.RunningExecutions();
  if (!running) return Fail(running.error());
  if (*requeued > 0 || !running->empty()) {
    spdlog::info("replication: resuming {} execution(s), {} task(s) requeued", running->size(),
                 *requeued);
  }
  std::vector<int64_t> finish;
  {
    std::lock_guard lock(d.mu);
    d.stopping = false;
    d.running = true;
    d.schedule_dirty = true;
    for (const auto& e : *running) {
      if (!e.planned) {
        d.plan_queue.push_back(e.id);
      } else {
        finish.push_back(e.id);
      }
    }
  }
  for (int64_t id : finish) {
    auto e = d.store.GetExecution(id);
    if (e && *e && (*e)->stop_requested) (void)d.store.StopPendingTasks(id);
    d.FinishIfDone(id);
  }
  d.planner = std::thread([&d] { d.PlannerLoop(); });
  for (int i = 0; i < std::max(1, d.options.workers); ++i) {
    d.workers.emplace_back([&d] { d.WorkerLoop(); });
  }
  d.scheduler = std::thread([&d] { d.SchedulerLoop(); });
  return Ok();
}

void ReplicationService::Shutdown() {
  Impl& d = *impl_;
  {
    std::lock_guard lock(d.mu);
    if (!d.running) return;
    d.stopping = true;
    for (auto& [task, entry] : d.running_tasks) entry.second->store(true);
  }
  d.planner_cv.notify_all();
  d.worker_cv.notify_all();
  d.scheduler_cv.notify_all();
  if (d.planner.joinable()) d.planner.join();
  for (auto& w : d.workers) {
    if (w.joinable()) w.join();
  }
  d.workers.clear();
  if (d.scheduler.joinable()) d.scheduler.join();
  std::lock_guard lock(d.mu);
  d.running = false;
  d.plan_queue.clear();
  d.event_queue.clear();
}

// ===== policies =====

namespace {

Status CheckRegistry(endpoints::EndpointService& endpoints, const Policy& p) {
  int64_t id = p.remote_registry_id();
  auto found = endpoints.Get(id);
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kNotFound, fmt::format("registry {} not found", id));
    }
    return Fail(found.error());
  }
  return Ok();
}

}  // namespace

Result<Policy> ReplicationService::CreatePolicy(Policy policy) {
  BERTH_TRY(ValidatePolicy(policy));
  BERTH_TRY(CheckRegistry(impl_->endpoints, policy));
  policy.id = 0;
  auto created = impl_->store.CreatePolicy(ToRecord(policy));
  if (!created) return Fail(created.error());
  impl_->WakeScheduler();
  spdlog::info("replication policy {} \"{}\" created", created->id, created->name);
  return PolicyFromRecord(*created);
}

Result<Policy> ReplicationService::GetPolicy(int64_t id) {
  auto record = impl_->store.GetPolicy(id);
  if (!record) return Fail(record.error());
  if (!*record) return PolicyNotFound(id);
  return PolicyFromRecord(**record);
}

Result<metadata::PageResult<Policy>> ReplicationService::ListPolicies(const PolicyQuery& q) {
  auto records = impl_->store.ListPolicies(q.page, q.name_exact, q.name_like);
  if (!records) return Fail(records.error());
  metadata::PageResult<Policy> out;
  out.total = records->total;
  for (const auto& r : records->items) {
    auto p = PolicyFromRecord(r);
    if (!p) return Fail(p.error());
    out.items.push_back(std::move(*p));
  }
  return out;
}

Status ReplicationService::UpdatePolicy(int64_t id, Policy policy) {
  auto existing = impl_->store.GetPolicy(id);
  if (!existing) return Fail(existing.error());
  if (!*existing) return PolicyNotFound(id);
  BERTH_TRY(ValidatePolicy(policy));
  BERTH_TRY(CheckRegistry(impl_->endpoints, policy));
  policy.id = id;
  auto record = ToRecord(policy);
  record.creation_time = (*existing)->creation_time;
  BERTH_TRY(impl_->store.UpdatePolicy(record));
  impl_->WakeScheduler();
  spdlog::info("replication policy {} \"{}\" updated", id, policy.name);
  return Ok();
}

Status ReplicationService::DeletePolicy(int64_t id) {
  auto existing = impl_->store.GetPolicy(id);
  if (!existing) return Fail(existing.error());
  if (!*existing) return PolicyNotFound(id);
  auto busy = impl_->store.PolicyHasRunningExecution(id);
  if (!busy) return Fail(busy.error());
  if (*busy) {
    return Fail(ErrorCode::kPrecondition, "the policy has a running execution; stop it first");
  }
  // Finished executions go first so their task logs can be removed too.
  auto pruned = impl_->store.PruneExecutions(id, 0);
  if (pruned) {
    for (int64_t task : *pruned) {
      std::error_code ec;
      std::filesystem::remove(impl_->LogPath(task), ec);
    }
  }
  BERTH_TRY(impl_->store.DeletePolicy(id));
  impl_->WakeScheduler();
  spdlog::info("replication policy {} \"{}\" deleted", id, (*existing)->name);
  return Ok();
}

// ===== executions =====

Result<int64_t> ReplicationService::StartExecution(int64_t policy_id, std::string_view trigger) {
  auto policy = GetPolicy(policy_id);
  if (!policy) return Fail(policy.error());
  if (!policy->enabled) {
    return Fail(ErrorCode::kPrecondition,
                fmt::format("the policy {} is disabled; enable it first", policy->name));
  }
  return impl_->BeginExecution(policy_id, trigger);
}

Status ReplicationService::StopExecution(int64_t execution_id) {
  Impl& d = *impl_;
  {
    std::lock_guard plan_lock(d.plan_mu);
    auto e = d.store.GetExecution(execution_id);
    if (!e) return Fail(e.error());
    if (!*e) return ExecutionNotFound(execution_id);
    auto execution = std::move(**e);
    if (execution.status != "InProgress") return Ok();
    execution.stop_requested = true;
    BERTH_TRY(d.store.UpdateExecution(execution));
    if (!execution.planned) {
      // Not planned yet: the planner will see the flag and create nothing.
      d.EndExecution(execution_id, "Stopped", "");
      return Ok();
    }
  }
  auto stopped = d.store.StopPendingTasks(execution_id);
  if (!stopped) return Fail(stopped.error());
  d.CancelRunningTasks(execution_id);
  d.FinishIfDone(execution_id);
  spdlog::info("replication execution {} stop requested", execution_id);
  return Ok();
}

Result<metadata::ReplicationExecution> ReplicationService::GetExecution(int64_t id) {
  auto e = impl_->store.GetExecution(id);
  if (!e) return Fail(e.error());
  if (!*e) return ExecutionNotFound(id);
  return std::move(**e);
}

Result<metadata::PageResult<metadata::ReplicationExecution>> ReplicationService::ListExecutions(
    const ExecutionQuery& q) {
  return impl_->store.ListExecutions(q.page, q.policy_id, q.status, q.trigger);
}

Result<metadata::PageResult<metadata::ReplicationTask>> ReplicationService::ListTasks(
    int64_t execution_id, const TaskQuery& q) {
  auto e = GetExecution(execution_id);
  if (!e) return Fail(e.error());
  return impl_->store.ListTasks(execution_id, q.page, q.status, q.resource_type);
}

Result<std::string> ReplicationService::TaskLog(int64_t execution_id, int64_t task_id) {
  auto e = GetExecution(execution_id);
  if (!e) return Fail(e.error());
  auto task = impl_->store.GetTask(task_id);
  if (!task) return Fail(task.error());
  if (!*task || (*task)->execution_id != execution_id) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("execution {} contains no task with ID {}", execution_id, task_id));
  }
  std::ifstream in(impl_->LogPath(task_id), std::ios::binary);
  if (!in) {
    return Fail(ErrorCode::kNotFound, fmt::format("log of task {} not found", task_id));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace berth::replication
