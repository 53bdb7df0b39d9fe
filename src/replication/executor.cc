// The executor: worker threads that claim Pending tasks from the store and run them
// through the copy engine, task logs, execution completion and retention.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "metadata/timestamps.h"
#include "replication/service_internal.h"

namespace berth::replication {
namespace {

constexpr auto kIdlePoll = std::chrono::seconds(1);
constexpr auto kProgressInterval = std::chrono::seconds(1);

// A task's log file: timestamped human lines, appended (a retried task keeps its history).
class TaskLogFile {
 public:
  explicit TaskLogFile(const std::filesystem::path& path)
      : out_(path, std::ios::app | std::ios::binary) {}
  void Line(std::string_view level, std::string_view text) {
    std::lock_guard lock(mu_);
    out_ << metadata::NowTimestamp() << " [" << level << "] " << text << '\n';
    out_.flush();
  }

 private:
  std::mutex mu_;
  std::ofstream out_;
};

// Upload offsets of one task, persisted in the store so a restart resumes mid-blob.
class StoreJournal : public UploadJournal {
 public:
  StoreJournal(metadata::ReplicationStore& store, int64_t task_id)
      : store_(store), task_id_(task_id) {}
  std::optional<UploadProgress> Load(std::string_view digest) override {
    auto got = store_.GetUpload(task_id_, digest);
    if (!got || !*got) return std::nullopt;
    return UploadProgress{(*got)->first, (*got)->second};
  }
  void Save(std::string_view digest, const UploadProgress& p) override {
    (void)store_.SaveUpload(task_id_, digest, p.session, p.offset);
  }
  void Clear(std::string_view digest) override { (void)store_.ClearUpload(task_id_, digest); }

 private:
  metadata::ReplicationStore& store_;
  int64_t task_id_;
};

struct TaskPayload {
  std::string operation;
  std::string src_repository;
  std::string dst_repository;
  std::vector<ArtifactRef> artifacts;
};

Result<TaskPayload> ParsePayload(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ErrorCode::kInternal, "the task's payload is not a JSON object");
  }
  TaskPayload p;
  p.operation = j.value("operation", "copy");
  p.src_repository = j.value("src_repository", "");
  p.dst_repository = j.value("dst_repository", "");
  if (auto it = j.find("artifacts"); it != j.end() && it->is_array()) {
    for (const auto& a : *it) {
      ArtifactRef ref;
      ref.digest = a.value("digest", "");
      ref.media_type = a.value("media_type", "");
      ref.tags = a.value("tags", std::vector<std::string>{});
      ref.labels = a.value("labels", std::vector<std::string>{});
      p.artifacts.push_back(std::move(ref));
    }
  }
  return p;
}

std::string ArtifactsText(const std::vector<ArtifactRef>& artifacts) {
  std::string out;
  for (const auto& a : artifacts) {
    if (!out.empty()) out += ", ";
    if (a.tags.empty()) {
      out += a.digest;
    } else {
      for (size_t i = 0; i < a.tags.size(); ++i) out += (i ? "," : "") + a.tags[i];
    }
  }
  return "[" + out + "]";
}

}  // namespace

void ReplicationService::Impl::WorkerLoop() {
  while (true) {
    int64_t generation = 0;
    {
      std::lock_guard lock(mu);
      if (stopping) return;
      generation = work_generation;
    }
    auto claimed = store.ClaimTask();
    if (!claimed) {
      spdlog::warn("replication: cannot claim a task: {}", claimed.error().message);
    } else if (*claimed) {
      RunTask(std::move(**claimed));
      continue;
    }
    std::unique_lock lock(mu);
    worker_cv.wait_for(lock, kIdlePoll, [&] { return stopping || work_generation != generation; });
  }
}

void ReplicationService::Impl::RunTask(metadata::ReplicationTask task) {
  const int64_t execution_id = task.execution_id;
  auto e = store.GetExecution(execution_id);
  if (!e || !*e) return;
  auto record = store.GetPolicy((*e)->policy_id);
  Result<Policy> policy =
      Fail(ErrorCode::kNotFound, fmt::format("policy {} not found", (*e)->policy_id));
  if (record && *record) policy = PolicyFromRecord(**record);

  auto cancel = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<ExecutionRuntime> runtime;
  {
    std::lock_guard lock(mu);
    if (stopping) return;  // stays InProgress; requeued by the next Start
    running_tasks[task.id] = {execution_id, cancel};
    auto& rt = runtimes[execution_id];
    if (!rt) {
      rt = std::make_shared<ExecutionRuntime>();
      rt->limiter = std::make_unique<RateLimiter>(policy ? policy->speed_kbps * 125 : 0);
    }
    ++rt->users;
    runtime = rt;
  }
  // A stop that came between the claim and the registration above.
  if (auto fresh = store.GetExecution(execution_id); fresh && *fresh && (*fresh)->stop_requested) {
    cancel->store(true);
  }

  TaskLogFile log(LogPath(task.id));
  std::mutex progress_mu;
  auto last_save = std::chrono::steady_clock::now();
  task.artifacts_done = 0;
  task.status_message.clear();
  auto save_progress = [&](bool force) {
    // Called with progress_mu held.
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_save < kProgressInterval) return;
    last_save = now;
    task.update_time = metadata::NowTimestamp();
    (void)store.UpdateTask(task);
  };

  Status result = Ok();
  std::string summary;
  auto payload = ParsePayload(task.payload);
  if (!policy) {
    result = Fail(policy.error());
  } else if (!payload) {
    result = Fail(payload.error());
  }
  std::shared_ptr<RegistryEnd> source;
  std::shared_ptr<RegistryEnd> destination;
  if (result) {
    auto src = MakeEnd(policy->src_registry_id);
    auto dst = MakeEnd(policy->dest_registry_id);
    if (!src) {
      result = Fail(src.error().code, "source registry: " + src.error().message);
    } else if (!dst) {
      result = Fail(dst.error().code, "destination registry: " + dst.error().message);
    } else {
      source = std::move(*src);
      destination = std::move(*dst);
      log.Line("INFO", fmt::format("client for source registry [{}] created", source->Describe()));
      log.Line("INFO", fmt::format("client for destination registry [{}] created",
                                   destination->Describe()));
    }
  }
  if (result) {
    StoreJournal journal(store, task.id);
    TransferOptions options;
    options.override_tags = policy->override_tags;
    options.copy_by_chunk = policy->copy_by_chunk;
    options.chunk_size = this->options.chunk_size;
    options.retries = this->options.retries;
    options.backoff = this->options.backoff;
    options.limiter = runtime->limiter.get();
    options.hosts = &hosts;
    options.journal = &journal;
    options.cancel = cancel;
    options.log = [&log](std::string_view line) { log.Line("INFO", line); };
    options.on_bytes = [&](int64_t bytes) {
      std::lock_guard lock(progress_mu);
      task.bytes += bytes;
      save_progress(false);
    };
    options.on_artifact = [&] {
      std::lock_guard lock(progress_mu);
      ++task.artifacts_done;
      save_progress(false);
    };
    if (policy->speed_kbps > 0) {
      log.Line("INFO", fmt::format("limit network speed at {} kb/s", policy->speed_kbps));
    }
    if (payload->operation == "copy") {
      log.Line("INFO", fmt::format("copying {}:{}(source registry) to {}:{}(destination registry)",
                                   payload->src_repository, ArtifactsText(payload->artifacts),
                                   payload->dst_repository, ArtifactsText(payload->artifacts)));
      CopyRequest request{payload->src_repository, payload->dst_repository, payload->artifacts};
      CopyReport report;
      result = CopyRepository(*source, *destination, request, options, report);
      summary = fmt::format("{} copied, {} already there, {} conflict(s), {} failed", report.copied,
                            report.skipped, report.conflicts, report.failed);
      if (report.conflicts > 0) {
        summary += " (override is off: destination tags that point elsewhere were left alone)";
      }
      log.Line("INFO", summary);
    } else {
      bool tags_only = payload->operation == "tag deletion";
      log.Line("INFO", fmt::format("deleting {}:{} on the destination registry",
                                   payload->dst_repository, ArtifactsText(payload->artifacts)));
      result = DeleteArtifacts(*destination, payload->dst_repository, payload->artifacts, tags_only,
                               options);
    }
  }

  bool requeue = false;
  {
    std::lock_guard lock(progress_mu);
    if (result) {
      task.status = "Succeed";
      task.status_message = summary;
      log.Line("INFO", "the task succeeded");
    } else {
      bool stop_requested = false;
      if (auto fresh = store.GetExecution(execution_id); fresh && *fresh) {
        stop_requested = (*fresh)->stop_requested;
      }
      bool shutting_down = false;
      {
        std::lock_guard lock2(mu);
        shutting_down = stopping;
      }
      if (cancel->load() && stop_requested) {
        task.status = "Stopped";
        task.status_message = "the task was stopped";
        log.Line("INFO", "the job is stopped");
      } else if (cancel->load() && shutting_down) {
        requeue = true;  // stays InProgress; the next Start requeues it
        log.Line("INFO", "Berth is shutting down; the task resumes after the restart");
      } else {
        task.status = "Failed";
        task.status_message = result.error().message;
        log.Line("ERROR", result.error().message);
      }
    }
    if (!requeue) task.end_time = metadata::NowTimestamp();
    save_progress(true);
  }
  {
    std::lock_guard lock(mu);
    running_tasks.erase(task.id);
    if (--runtime->users == 0) runtimes.erase(execution_id);
  }
  if (!requeue) FinishIfDone(execution_id);
}

void ReplicationService::Impl::CancelRunningTasks(int64_t execution_id) {
  std::lock_guard lock(mu);
  for (auto& [task, entry] : running_tasks) {
    if (entry.first == execution_id) entry.second->store(true);
  }
}

void ReplicationService::Impl::FinishIfDone(int64_t execution_id) {
  std::lock_guard lock(finish_mu);
  auto e = store.GetExecution(execution_id);
  if (!e || !*e) return;
  const auto& x = **e;
  if (x.status != "InProgress" || !x.planned || x.in_progress > 0) return;
  if (x.failed > 0) {
    EndExecution(execution_id, "Failed", fmt::format("{} of {} task(s) failed", x.failed, x.total));
  } else if (x.stopped > 0 || (x.stop_requested && x.total == 0)) {
    EndExecution(execution_id, "Stopped", "");
  } else {
    EndExecution(execution_id, "Succeed", "");
  }
}

void ReplicationService::Impl::Prune(int64_t policy_id) {
  if (options.execution_retention <= 0) return;
  auto pruned = store.PruneExecutions(policy_id, options.execution_retention);
  if (!pruned) {
    spdlog::warn("replication: pruning old executions of policy {}: {}", policy_id,
                 pruned.error().message);
    return;
  }
  for (int64_t task : *pruned) {
    std::error_code ec;
    std::filesystem::remove(LogPath(task), ec);
  }
}

}  // namespace berth::replication
