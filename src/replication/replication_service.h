// ReplicationService: Harbor's replication rules and executions — policy CRUD, manual,
// scheduled and event triggers, the planner, the executor (a persisted job queue with a
// pool of workers), stop, restart recovery and retention.
//
// How an execution runs:
//  1. Start creates the execution (InProgress) and hands it to the planner thread.
//  2. Planner: lists the source (RegistryEnd::ListRepositories, then ListArtifacts per
//     repository that the name filter keeps, in parallel), applies the filters, rewrites
//     destination names (DestinationRepository), calls PrepareForPush on the destination,
//     and creates one task per repository (payload: src/dst repository and the selected
//     artifacts) in one transaction that also marks the execution planned. Replicated
//     deletion (push policies with replicate_deletion, event-based) makes deletion tasks.
//     No task → Succeed with "no resources need to be replicated".
//  3. Workers (`workers` threads) claim Pending tasks (ReplicationStore::ClaimTask) and
//     run them through transfer.h with one RateLimiter per execution (policy speed, for
//     the whole policy), one HostLimiter per process, and an UploadJournal over the store.
//     A task's log goes to <log_dir>/<task id>.log.
//  4. When no task is Pending or InProgress the execution ends: Failed if any task
//     failed, else Stopped if any stopped, else Succeed; end_time set; then the policy's
//     finished executions beyond `execution_retention` are pruned (rows and log files).
//
// Stop: marks stop_requested, stops Pending tasks at once and sets the cancel token of
// running ones; in-flight transfers abort within about a second, mid-blob included, and
// their tasks end Stopped. An execution that is not planned yet ends Stopped too.
// Restart (kill -9 included): Start() requeues InProgress tasks of InProgress executions
// (their upload journals let blobs resume mid-way) and re-plans executions not yet
// planned; nothing stays InProgress forever.
//
// Scheduled policies fire on their cron (UTC) while enabled; a tick that finds the
// previous execution still running with single_active_replication set records a Failed
// execution "Execution skipped: active replication still in progress.". Event-based
// policies (local source) fire on ContentListener events for artifacts their filters keep.
//
// Thread safety: every public method may be called from any thread. Methods marked
// "blocking" talk to remotes and must not run on an io thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/adapter.h"
#include "common/error.h"
#include "content/content_service.h"
#include "endpoints/endpoint_service.h"
#include "metadata/records.h"
#include "metadata/replication_store.h"
#include "replication/model/policy.h"
#include "replication/transfer/local_end.h"

namespace berth::replication {

struct ReplicationOptions {
  int workers = 4;                // tasks running at once, process-wide
  int host_connections = 8;       // concurrent blob streams per destination host
  int execution_retention = 50;   // finished executions kept per policy
  std::filesystem::path log_dir;  // task logs; created when missing
  int64_t chunk_size = 10 << 20;  // copy_by_chunk chunk size
  int retries = 5;                // per blob / manifest step
  std::chrono::milliseconds backoff{1000};
  adapters::AdapterDeps adapter_deps;  // network options for remote ends
  // The scheduler's clock (UTC wall time); empty = std::chrono::system_clock::now. Tests
  // inject one to make a cron tick come at once.
  std::function<std::chrono::system_clock::time_point()> clock;
  // How often the scheduler looks at the clock.
  std::chrono::milliseconds scheduler_poll{500};
};

struct PolicyQuery {
  std::string name_exact;
  std::string name_like;
  metadata::Page page;
};

struct ExecutionQuery {
  int64_t policy_id = 0;
  std::string status;   // API vocabulary; "" = any
  std::string trigger;  // manual | scheduled | event_based; "" = any
  metadata::Page page;
};

struct TaskQuery {
  std::string status;
  std::string resource_type;
  metadata::Page page;
};

class ReplicationService : public content::ContentListener {
 public:
  // All references must outlive the service.
  ReplicationService(metadata::ReplicationStore& store, endpoints::EndpointService& endpoints,
                     LocalStores local, ReplicationOptions options);
  ~ReplicationService() override;
  ReplicationService(const ReplicationService&) = delete;
  ReplicationService& operator=(const ReplicationService&) = delete;

  // Recovers unfinished work and starts the planner, the workers and the scheduler.
  Status Start();
  // Stops taking work, cancels running transfers (they resume after the next Start) and
  // joins every thread. Idempotent.
  void Shutdown();

  // ---- policies. ValidatePolicy's BAD_REQUEST; NOT_FOUND `registry <id> not found`
  // for an unknown endpoint; CONFLICT on a duplicate name.
  Result<Policy> CreatePolicy(Policy policy);
  Result<Policy> GetPolicy(int64_t id);  // NOT_FOUND
  Result<metadata::PageResult<Policy>> ListPolicies(const PolicyQuery& query);
  Status UpdatePolicy(int64_t id, Policy policy);  // full replacement
  // PRECONDITION "the policy has a running execution; stop it first" while one runs.
  Status DeletePolicy(int64_t id);

  // ---- executions. Start: NOT_FOUND for an unknown policy, PRECONDITION when disabled.
  Result<int64_t> StartExecution(int64_t policy_id, std::string_view trigger = "manual");
  Status StopExecution(int64_t execution_id);  // NOT_FOUND; stopping a finished one is Ok
  Result<metadata::ReplicationExecution> GetExecution(int64_t id);  // NOT_FOUND
  Result<metadata::PageResult<metadata::ReplicationExecution>> ListExecutions(
      const ExecutionQuery& query);
  // NOT_FOUND when the execution is absent.
  Result<metadata::PageResult<metadata::ReplicationTask>> ListTasks(int64_t execution_id,
                                                                    const TaskQuery& query);
  // NOT_FOUND "execution <e> contains no task with ID <t>" / when the log is gone.
  Result<std::string> TaskLog(int64_t execution_id, int64_t task_id);

  // ---- content events (ContentListener); cheap, never block the caller.
  void ManifestPushed(std::string_view repository, std::string_view digest,
                      std::string_view tag) override;
  void ManifestDeleted(std::string_view repository, std::string_view digest,
                       const std::vector<std::string>& tags) override;
  void TagDeleted(std::string_view repository, std::string_view digest,
                  std::string_view tag) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::replication
