// The scheduler thread: fires enabled scheduled policies on their cron (UTC).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>

#include "metadata/timestamps.h"
#include "replication/model/cron.h"
#include "replication/service_internal.h"

namespace berth::replication {
namespace {

struct ScheduleEntry {
  CronSchedule cron;
  std::chrono::system_clock::time_point next;
};

}  // namespace

void ReplicationService::Impl::SchedulerLoop() {
  std::map<int64_t, ScheduleEntry> entries;
  while (true) {
    bool reload = false;
    {
      std::unique_lock lock(mu);
      scheduler_cv.wait_for(lock, options.scheduler_poll,
                            [&] { return stopping || schedule_dirty; });
      if (stopping) return;
      reload = schedule_dirty;
      schedule_dirty = false;
    }
    const auto now = Now();
    if (reload) {
      auto policies = store.EnabledPolicies("scheduled");
      if (!policies) {
        spdlog::warn("replication scheduler: cannot load the policies: {}",
                     policies.error().message);
        std::lock_guard lock(mu);
        schedule_dirty = true;  // try again at the next poll
        continue;
      }
      std::map<int64_t, ScheduleEntry> fresh;
      for (const auto& record : *policies) {
        auto policy = PolicyFromRecord(record);
        if (!policy) continue;
        auto cron = CronSchedule::Parse(policy->trigger.cron);
        if (!cron) {
          spdlog::warn("replication policy {}: {}", record.id, cron.error().message);
          continue;
        }
        auto old = entries.find(record.id);
        if (old != entries.end() && old->second.cron.spec() == cron->spec()) {
          fresh.emplace(record.id, std::move(old->second));
        } else {
          auto next = cron->Next(now);
          fresh.emplace(record.id, ScheduleEntry{std::move(*cron), next});
        }
      }
      entries = std::move(fresh);
    }
    for (auto& [policy_id, entry] : entries) {
      if (now < entry.next) continue;
      entry.next = entry.cron.Next(now);
      FireScheduled(policy_id);
    }
  }
}

void ReplicationService::Impl::FireScheduled(int64_t policy_id) {
  auto record = store.GetPolicy(policy_id);
  if (!record || !*record || !(*record)->enabled || (*record)->trigger_type != "scheduled") {
    return;
  }
  auto policy = PolicyFromRecord(**record);
  if (!policy) return;
  if (policy->single_active_replication) {
    auto busy = store.PolicyHasRunningExecution(policy_id);
    if (busy && *busy) {
      metadata::ReplicationExecution skipped;
      skipped.policy_id = policy_id;
      skipped.status = "Failed";
      skipped.status_text = "Execution skipped: active replication still in progress.";
      skipped.trigger = "scheduled";
      skipped.planned = true;
      skipped.start_time = metadata::NowTimestamp();
      skipped.end_time = skipped.start_time;
      if (auto created = store.CreateExecution(skipped); !created) {
        spdlog::warn("replication policy {}: cannot record a skipped execution: {}", policy_id,
                     created.error().message);
      }
      spdlog::info("replication policy {}: scheduled run skipped, one is still running", policy_id);
      Prune(policy_id);
      return;
    }
  }
  if (auto started = BeginExecution(policy_id, "scheduled"); !started) {
    spdlog::warn("replication policy {}: scheduled run failed to start: {}", policy_id,
                 started.error().message);
  }
}

}  // namespace berth::replication
