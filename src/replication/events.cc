// Event triggers: content events from ContentService become executions of the enabled
// event-based push policies whose filters keep the artifact. The listener methods only
// queue the event; the planner thread does the rest.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "metadata/timestamps.h"
#include "replication/model/filters.h"
#include "replication/service_internal.h"

namespace berth::replication {
namespace {

constexpr size_t kMaxQueuedEvents = 10000;

}  // namespace

void ReplicationService::Impl::EnqueueEvent(ContentEvent event) {
  {
    std::lock_guard lock(mu);
    if (event_queue.size() >= kMaxQueuedEvents) {
      spdlog::warn("replication: event queue full; dropping the event for {}@{}", event.repository,
                   event.digest);
      return;
    }
    event_queue.push_back(std::move(event));
  }
  planner_cv.notify_all();
}

void ReplicationService::ManifestPushed(std::string_view repository, std::string_view digest,
                                        std::string_view tag) {
  ContentEvent e{std::string(repository), std::string(digest), {}, false, false};
  if (!tag.empty()) e.tags.emplace_back(tag);
  impl_->EnqueueEvent(std::move(e));
}

void ReplicationService::ManifestDeleted(std::string_view repository, std::string_view digest,
                                         const std::vector<std::string>& tags) {
  impl_->EnqueueEvent(
      ContentEvent{std::string(repository), std::string(digest), tags, true, false});
}

void ReplicationService::TagDeleted(std::string_view repository, std::string_view digest,
                                    std::string_view tag) {
  impl_->EnqueueEvent(
      ContentEvent{std::string(repository), std::string(digest), {std::string(tag)}, true, true});
}

void ReplicationService::Impl::HandleEvent(const ContentEvent& event) {
  auto records = store.EnabledPolicies("event_based");
  if (!records) {
    spdlog::warn("replication: cannot load event-based policies: {}", records.error().message);
    return;
  }
  if (records->empty()) return;
  // The artifact as the filters see it: media type and labels from Berth itself while it
  // still exists.
  ArtifactRef artifact;
  artifact.digest = event.digest;
  artifact.tags = event.tags;
  if (!event.deleted) {
    auto local_end = MakeEnd(0);
    if (local_end) {
      if (auto listed = (*local_end)->ListArtifacts(event.repository)) {
        for (const auto& a : *listed) {
          if (a.digest == event.digest) {
            artifact.media_type = a.media_type;
            artifact.labels = a.labels;
          }
        }
      }
    }
  }
  for (const auto& record : *records) {
    auto policy = PolicyFromRecord(record);
    if (!policy || !policy->is_push()) continue;
    if (event.deleted && !policy->replicate_deletion) continue;
    if (!RepositorySelected(policy->filters, event.repository)) continue;
    auto kept = SelectArtifacts(policy->filters, {artifact});
    if (kept.empty()) continue;
    ContentEvent narrowed = event;
    narrowed.tags = kept.front().tags;
    metadata::ReplicationExecution e;
    e.policy_id = policy->id;
    e.status = "InProgress";
    e.trigger = "event_based";
    e.event = EventToJson(narrowed);
    e.start_time = metadata::NowTimestamp();
    auto created = store.CreateExecution(e);
    if (!created) {
      spdlog::warn("replication policy {}: cannot start an event execution: {}", policy->id,
                   created.error().message);
      continue;
    }
    spdlog::info("replication execution {} of policy {} started (event_based, {}@{})", created->id,
                 policy->id, event.repository, event.digest);
    Plan(created->id);
  }
}

}  // namespace berth::replication
