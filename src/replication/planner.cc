// The planner thread: turns an execution into tasks (one per repository), and content
// events into event executions (events.cc decides which policies fire).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "metadata/timestamps.h"
#include "replication/model/filters.h"
#include "replication/service_internal.h"
#include "replication/transfer/transfer.h"

namespace berth::replication {
namespace {

constexpr int kListingThreads = 8;

nlohmann::json ArtifactToJson(const ArtifactRef& a) {
  return {
      {"digest", a.digest}, {"media_type", a.media_type}, {"tags", a.tags}, {"labels", a.labels}};
}

std::string ResourceType(const Policy& policy) {
  for (const auto& f : policy.filters) {
    if (f.type == "resource" && !f.values.empty()) return f.values.front();
  }
  return "image";
}

// As Harbor names a task's resources: the repository and how many items it carries, an
// item being a tag (an untagged artifact counts as one).
std::string ResourceText(std::string_view repository, const std::vector<ArtifactRef>& artifacts) {
  size_t items = 0;
  for (const auto& a : artifacts) items += std::max<size_t>(1, a.tags.size());
  return fmt::format("{} [{} item(s) in total]", repository, items);
}

metadata::ReplicationTask MakeTask(const Policy& policy, std::string_view operation,
                                   const std::string& src, const std::string& dst,
                                   const std::vector<ArtifactRef>& artifacts) {
  metadata::ReplicationTask t;
  t.status = "Pending";
  t.operation = std::string(operation);
  t.resource_type = ResourceType(policy);
  t.src_resource = ResourceText(src, artifacts);
  t.dst_resource = ResourceText(dst, artifacts);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& a : artifacts) items.push_back(ArtifactToJson(a));
  t.payload = nlohmann::json{
      {"operation", operation},
      {"src_repository", src},
      {"dst_repository", dst},
      {"artifacts",
       items}}.dump();
  t.artifacts_total = static_cast<int64_t>(artifacts.size());
  return t;
}

// The selected artifacts of every repository the name filters keep.
Result<std::vector<std::pair<std::string, std::vector<ArtifactRef>>>> ListSource(
    RegistryEnd& source, const Policy& policy) {
  auto names = source.ListRepositories();
  if (!names) return Fail(names.error());
  std::vector<std::string> repos;
  for (auto& n : *names) {
    if (RepositorySelected(policy.filters, n)) repos.push_back(std::move(n));
  }
  auto listed = source.ListArtifactsOf(repos);
  const bool by_label = std::any_of(policy.filters.begin(), policy.filters.end(),
                                    [](const Filter& f) { return f.type == "label"; });
  std::vector<std::pair<std::string, std::vector<ArtifactRef>>> out;
  for (size_t i = 0; i < repos.size(); ++i) {
    if (!listed[i]) {
      // A repository deleted since the catalog was read has nothing to copy.
      if (listed[i].error().code == ErrorCode::kNameUnknown) continue;
      return Fail(listed[i].error().code,
                  fmt::format("listing the artifacts of {} on {}: {}", repos[i], source.Describe(),
                              listed[i].error().message));
    }
    if (by_label && !source.SupportsLabels()) {
      // A Harbor source's labels come from its API, asked only when a filter needs them.
      auto labels = source.ArtifactLabels(repos[i]);
      if (!labels) {
        return Fail(labels.error().code, fmt::format("listing the labels of {} on {}: {}", repos[i],
                                                     source.Describe(), labels.error().message));
      }
      if (*labels) {
        for (auto& artifact : *listed[i]) {
          if (auto it = (*labels)->find(artifact.digest); it != (*labels)->end()) {
            artifact.labels = it->second;
          }
        }
      }
    }
    auto selected = SelectArtifacts(policy.filters, std::move(*listed[i]));
    if (!selected.empty()) out.emplace_back(std::move(repos[i]), std::move(selected));
  }
  return out;
}

// Narrows each repository's artifacts to the references the destination lacks (or holds at
// another digest: the copy reports those as conflicts or overrides them), checking the
// destination in parallel. Returns how many artifacts were already there entirely.
Result<int64_t> DropUpToDate(RegistryEnd& destination,
                             std::vector<std::pair<std::string, std::vector<ArtifactRef>>>& repos,
                             const std::vector<std::string>& destinations) {
  struct Item {
    size_t repo;
    size_t artifact;
  };
  std::vector<Item> items;
  for (size_t r = 0; r < repos.size(); ++r) {
    for (size_t a = 0; a < repos[r].second.size(); ++a) items.push_back({r, a});
  }
  std::vector<char> drop(items.size(), 0);
  (void)RunParallel(kListingThreads, items.size(), {}, [&](size_t i) -> Status {
    ArtifactRef& artifact = repos[items[i].repo].second[items[i].artifact];
    if (artifact.digest.empty()) return Ok();
    std::vector<std::string> refs = artifact.tags;
    if (refs.empty()) refs.push_back(artifact.digest);
    std::vector<std::string> missing;
    for (const auto& ref : refs) {
      auto head = destination.HeadManifest(destinations[items[i].repo], ref);
      if (!head) return Ok();  // left for the copy to retry and report
      if (!head->has_value() || (*head)->digest != artifact.digest) missing.push_back(ref);
    }
    if (missing.empty()) {
      drop[i] = 1;
    } else if (!artifact.tags.empty()) {
      artifact.tags = std::move(missing);
    }
    return Ok();
  });
  int64_t dropped = 0;
  for (size_t i = items.size(); i-- > 0;) {
    if (!drop[i]) continue;
    auto& artifacts = repos[items[i].repo].second;
    artifacts.erase(artifacts.begin() + static_cast<std::ptrdiff_t>(items[i].artifact));
    ++dropped;
  }
  return dropped;
}

// What a push needs at the destination before its tasks run: the projects, created public
// where the source project is (as Harbor does), the others private.
Status PrepareDestination(RegistryEnd& source, RegistryEnd& destination,
                          const std::vector<std::string>& sources,
                          const std::vector<std::string>& destinations) {
  auto public_sources = source.PublicProjects(sources);
  Status prepared = public_sources ? Ok() : Status(Fail(public_sources.error()));
  if (prepared) {
    std::set<std::string> public_destinations;
    for (size_t i = 0; i < sources.size() && i < destinations.size(); ++i) {
      if (public_sources->contains(std::string(ProjectOf(sources[i])))) {
        public_destinations.insert(std::string(ProjectOf(destinations[i])));
      }
    }
    if (!public_destinations.empty()) {
      prepared = destination.CreatePublicProjects(public_destinations);
    }
  }
  if (prepared) prepared = destination.PrepareForPush(destinations);
  if (!prepared) {
    return Fail(prepared.error().code,
                fmt::format("preparing {} for the push: {}", destination.Describe(),
                            prepared.error().message));
  }
  return Ok();
}

}  // namespace

Status ReplicationService::Impl::PlanListing(const Policy& policy,
                                             std::vector<metadata::ReplicationTask>& tasks,
                                             PlanNotes& notes) {
  auto source = MakeEnd(policy.src_registry_id);
  if (!source) return Fail(source.error());
  auto destination = MakeEnd(policy.dest_registry_id);
  if (!destination) return Fail(destination.error());
  auto listed = ListSource(**source, policy);
  if (!listed) return Fail(listed.error());
  std::vector<std::string> all_destinations;
  for (const auto& entry : *listed) {
    auto dst = DestinationRepository(entry.first, policy.dest_namespace,
                                     policy.dest_namespace_replace_count);
    if (!dst) return Fail(dst.error());
    all_destinations.push_back(*dst);
  }
  auto proxies = (*destination)->ProxyCacheProjects(all_destinations);
  if (!proxies) {
    return Fail(proxies.error().code,
                fmt::format("checking the projects at {}: {}", (*destination)->Describe(),
                            proxies.error().message));
  }
  if (!proxies->empty()) {
    for (size_t i = listed->size(); i-- > 0;) {
      if (!proxies->contains(std::string(ProjectOf(all_destinations[i])))) continue;
      listed->erase(listed->begin() + static_cast<std::ptrdiff_t>(i));
      all_destinations.erase(all_destinations.begin() + static_cast<std::ptrdiff_t>(i));
    }
    spdlog::info("replication policy {}: skipping the proxy-cache project(s) {} at {}", policy.id,
                 fmt::join(*proxies, ", "), (*destination)->Describe());
    notes.proxy_projects = std::move(*proxies);
  }
  auto dropped = DropUpToDate(**destination, *listed, all_destinations);
  if (!dropped) return Fail(dropped.error());
  notes.up_to_date = *dropped;
  std::vector<std::string> sources, destinations;
  for (size_t i = 0; i < listed->size(); ++i) {
    const auto& [repo, artifacts] = (*listed)[i];
    if (artifacts.empty()) continue;
    sources.push_back(repo);
    destinations.push_back(all_destinations[i]);
    tasks.push_back(MakeTask(policy, "copy", repo, all_destinations[i], artifacts));
  }
  if (destinations.empty()) return Ok();
  return PrepareDestination(**source, **destination, sources, destinations);
}

Status ReplicationService::Impl::PlanEvent(const Policy& policy, const ContentEvent& event,
                                           std::vector<metadata::ReplicationTask>& tasks,
                                           PlanNotes& notes) {
  auto dst = DestinationRepository(event.repository, policy.dest_namespace,
                                   policy.dest_namespace_replace_count);
  if (!dst) return Fail(dst.error());
  auto destination = MakeEnd(policy.dest_registry_id);
  if (!destination) return Fail(destination.error());
  auto proxies = (*destination)->ProxyCacheProjects({*dst});
  if (!proxies) return Fail(proxies.error());
  if (!proxies->empty()) {
    notes.proxy_projects = std::move(*proxies);
    return Ok();
  }
  ArtifactRef artifact;
  artifact.digest = event.digest;
  artifact.tags = event.tags;
  if (event.deleted) {
    tasks.push_back(MakeTask(policy, event.tag_deleted ? "tag deletion" : "deletion",
                             event.repository, *dst, {artifact}));
    return Ok();
  }
  auto source = MakeEnd(policy.src_registry_id);
  if (!source) return Fail(source.error());
  BERTH_TRY(PrepareDestination(**source, **destination, {event.repository}, {*dst}));
  tasks.push_back(MakeTask(policy, "copy", event.repository, *dst, {artifact}));
  return Ok();
}

void ReplicationService::Impl::PlannerLoop() {
  while (true) {
    std::optional<ContentEvent> event;
    int64_t execution_id = 0;
    {
      std::unique_lock lock(mu);
      planner_cv.wait(lock,
                      [&] { return stopping || !plan_queue.empty() || !event_queue.empty(); });
      if (stopping) return;
      if (!event_queue.empty()) {
        event = std::move(event_queue.front());
        event_queue.pop_front();
      } else {
        execution_id = plan_queue.front();
        plan_queue.pop_front();
      }
    }
    if (event) {
      HandleEvent(*event);
    } else {
      Plan(execution_id);
    }
  }
}

void ReplicationService::Impl::Plan(int64_t execution_id) {
  auto e = store.GetExecution(execution_id);
  if (!e || !*e) return;
  const auto& execution = **e;
  if (execution.status != "InProgress" || execution.planned) return;
  if (execution.stop_requested) {
    EndExecution(execution_id, "Stopped", "");
    return;
  }
  auto record = store.GetPolicy(execution.policy_id);
  if (!record || !*record) {
    EndExecution(execution_id, "Failed", fmt::format("policy {} not found", execution.policy_id));
    return;
  }
  auto policy = PolicyFromRecord(**record);
  if (!policy) {
    EndExecution(execution_id, "Failed", policy.error().message);
    return;
  }
  std::vector<metadata::ReplicationTask> tasks;
  Status planned = Ok();
  PlanNotes notes;
  if (execution.event.empty()) {
    planned = PlanListing(*policy, tasks, notes);
  } else {
    auto event = EventFromJson(execution.event);
    planned = event ? PlanEvent(*policy, *event, tasks, notes) : Status(Fail(event.error()));
  }
  if (!planned) {
    spdlog::warn("replication execution {} failed while planning: {}", execution_id,
                 planned.error().message);
    EndExecution(execution_id, "Failed", planned.error().message);
    return;
  }
  {
    std::lock_guard plan_lock(plan_mu);
    {
      std::lock_guard lock(mu);
      if (stopping) return;  // planned again after the next Start
    }
    auto fresh = store.GetExecution(execution_id);
    if (!fresh || !*fresh || (*fresh)->status != "InProgress") return;
    if ((*fresh)->stop_requested) {
      EndExecution(execution_id, "Stopped", "");
      return;
    }
    if (tasks.empty()) {  // ends in one write, without recording an empty plan first
      std::string text =
          notes.up_to_date > 0
              ? fmt::format(
                    "nothing to replicate: the {} selected artifact(s) are already at "
                    "the destination",
                    notes.up_to_date)
              : std::string("no resources need to be replicated");
      if (!notes.proxy_projects.empty()) {
        text += fmt::format("; skipped the destination's proxy-cache project(s) {}",
                            fmt::join(notes.proxy_projects, ", "));
      }
      EndExecution(execution_id, "Succeed", text);
      return;
    }
    if (auto created = store.CreateTasks(execution_id, tasks, true); !created) {
      EndExecution(execution_id, "Failed", created.error().message);
      return;
    }
  }
  spdlog::info("replication execution {}: {} task(s) planned", execution_id, tasks.size());
  WakeWorkers();
}

void ReplicationService::Impl::EndExecution(int64_t execution_id, std::string_view status,
                                            std::string_view text) {
  auto e = store.GetExecution(execution_id);
  if (!e || !*e) return;
  auto execution = std::move(**e);
  if (execution.status != "InProgress") return;
  execution.status = std::string(status);
  execution.status_text = std::string(text);
  execution.end_time = metadata::NowTimestamp();
  if (auto tasks = AllTasks(store, execution_id)) {
    int64_t bytes = 0;
    for (const auto& t : *tasks) bytes += t.bytes;
    execution.bytes = bytes;
  }
  if (auto updated = store.UpdateExecution(execution); !updated) {
    spdlog::error("replication execution {}: cannot record its end: {}", execution_id,
                  updated.error().message);
    return;
  }
  spdlog::info("replication execution {} ended {}{}{}", execution_id, status,
               text.empty() ? "" : ": ", text);
  Prune(execution.policy_id);
}

}  // namespace berth::replication
