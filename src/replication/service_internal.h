// ReplicationService internals shared by replication_service.cc (API), planner.cc,
// executor.cc, scheduler.cc and events.cc. Not part of the module's interface.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "replication/model/artifact.h"
#include "replication/replication_service.h"
#include "replication/transfer/kept_ends.h"
#include "replication/transfer/rate_limiter.h"
#include "replication/transfer/registry_end.h"
#include "replication/transfer/transfer.h"

namespace berth::replication {

// A content event waiting for the planner thread.
struct ContentEvent {
  std::string repository;
  std::string digest;
  std::vector<std::string> tags;  // the pushed tag, or the deleted tags
  bool deleted = false;
  bool tag_deleted = false;  // only the tags went; the manifest stays
};

// State of one execution while some of its tasks run in this process.
struct ExecutionRuntime {
  std::unique_ptr<RateLimiter> limiter;  // the policy's speed, for the whole execution
  int users = 0;                         // tasks holding it
};

// The policy document stored in a PolicyRecord, with the record's columns applied.
Result<Policy> PolicyFromRecord(const metadata::PolicyRecord& record);
// Every task of the execution (all pages).
Result<std::vector<metadata::ReplicationTask>> AllTasks(metadata::ReplicationStore& store,
                                                        int64_t execution_id);
// The event's JSON (ReplicationExecution::event) and back.
std::string EventToJson(const ContentEvent& event);
Result<ContentEvent> EventFromJson(std::string_view json);

struct ReplicationService::Impl {
  Impl(metadata::ReplicationStore& s, endpoints::EndpointService& e, LocalStores l,
       ReplicationOptions o);

  metadata::ReplicationStore& store;
  endpoints::EndpointService& endpoints;
  LocalStores local;
  ReplicationOptions options;
  HostLimiter hosts;

  std::chrono::system_clock::time_point Now() const {
    return options.clock ? options.clock() : std::chrono::system_clock::now();
  }
  std::filesystem::path LogPath(int64_t task_id) const;

  // ---- ends (blocking): Berth itself for id 0, else the stored endpoint. The end of an
  // endpoint is kept, with its open connections and tokens, and shared by every execution
  // and task until the endpoint's record changes (its update_time) or it is deleted.
  Result<std::shared_ptr<RegistryEnd>> MakeEnd(int64_t registry_id);
  KeptEnds ends;

  // ---- lifecycle
  std::mutex mu;  // guards everything below up to the threads
  std::condition_variable planner_cv;
  std::condition_variable worker_cv;
  std::condition_variable scheduler_cv;
  bool running = false;
  bool stopping = false;
  std::deque<int64_t> plan_queue;  // execution ids to plan
  std::deque<ContentEvent> event_queue;
  int64_t work_generation = 0;  // bumped when tasks may be claimable
  bool schedule_dirty = true;   // policies changed: the scheduler reloads
  std::map<int64_t, std::shared_ptr<ExecutionRuntime>> runtimes;  // by execution id
  // Running tasks: task id → (execution id, cancel flag).
  std::map<int64_t, std::pair<int64_t, std::shared_ptr<std::atomic<bool>>>> running_tasks;
  std::thread planner;
  std::vector<std::thread> workers;
  std::thread scheduler;

  // Serialises "check stop, then create tasks" against "stop an unplanned execution".
  std::mutex plan_mu;
  // Serialises execution completion checks.
  std::mutex finish_mu;

  // Creates an InProgress execution of the policy and queues it for planning.
  Result<int64_t> BeginExecution(int64_t policy_id, std::string_view trigger);
  void WakeWorkers();
  void WakeScheduler();
  void EnqueuePlan(int64_t execution_id);

  // ---- planner.cc
  void PlannerLoop();
  // Lists, filters and creates the tasks of a manual/scheduled execution, or the single
  // task of an event execution. Ends the execution itself when planning fails.
  void Plan(int64_t execution_id);
  // Ends an InProgress execution with `status` now (no-op when it already ended).
  void EndExecution(int64_t execution_id, std::string_view status, std::string_view text);
  // What planning left out, for the status text of a run with nothing to do.
  struct PlanNotes {
    int64_t up_to_date = 0;                // artifacts the destination holds already
    std::set<std::string> proxy_projects;  // destination projects that are proxy caches
  };
  // Lists the source and makes one copy task per repository with work left: tags the
  // destination already holds at the same digest are dropped here, so a run with nothing
  // to do creates no task; so are repositories whose destination project is a proxy
  // cache (pushing there is refused; Harbor skips them too).
  Status PlanListing(const Policy& policy, std::vector<metadata::ReplicationTask>& tasks,
                     PlanNotes& notes);
  Status PlanEvent(const Policy& policy, const ContentEvent& event,
                   std::vector<metadata::ReplicationTask>& tasks, PlanNotes& notes);

  // ---- executor.cc
  void WorkerLoop();
  void RunTask(metadata::ReplicationTask task);
  // Ends the execution when it is planned and no task is Pending/InProgress, then prunes
  // the policy's old executions.
  void FinishIfDone(int64_t execution_id);
  void Prune(int64_t policy_id);
  void CancelRunningTasks(int64_t execution_id);

  // ---- scheduler.cc
  void SchedulerLoop();
  void FireScheduled(int64_t policy_id);

  // ---- events.cc
  void EnqueueEvent(ContentEvent event);
  void HandleEvent(const ContentEvent& event);
};

}  // namespace berth::replication
