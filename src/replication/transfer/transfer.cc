#include "replication/transfer/transfer.h"

#include <fmt/format.h>

#include <set>

#include "replication/transfer/manifest_copy.h"
#include "replication/transfer/transfer_internal.h"

namespace berth::replication {

using internal::ArtifactOutcome;
using internal::CopyContext;

namespace {

std::string Refs(const ArtifactRef& artifact) {
  if (artifact.tags.empty()) return artifact.digest;
  return fmt::format("[{}]", fmt::join(artifact.tags, ", "));
}

}  // namespace

Status CopyRepository(RegistryEnd& source, RegistryEnd& destination, const CopyRequest& request,
                      const TransferOptions& options, CopyReport& report) {
  CopyContext ctx{source, destination, request.src_repository, request.dst_repository, options};
  ctx.Log(fmt::format("copying {} artifacts of {} ({}) to {} ({})", request.artifacts.size(),
                      request.src_repository, source.Describe(), request.dst_repository,
                      destination.Describe()));
  if (options.limiter && options.limiter->bytes_per_second() > 0) {
    ctx.Log(fmt::format("limit network speed at {}/s",
                        internal::HumanBytes(options.limiter->bytes_per_second())));
  }
  std::mutex mu;
  Status status =
      RunParallel(options.artifact_parallelism, request.artifacts.size(), options.cancel,
                  [&](size_t i) -> Status {
                    const ArtifactRef& artifact = request.artifacts[i];
                    auto outcome = internal::CopyArtifact(ctx, artifact);
                    {
                      std::lock_guard lock(mu);
                      if (!outcome) {
                        if (outcome.error().code != ErrorCode::kCancelled) ++report.failed;
                      } else if (*outcome == ArtifactOutcome::kCopied) {
                        ++report.copied;
                      } else if (*outcome == ArtifactOutcome::kConflict) {
                        ++report.conflicts;
                      } else {
                        ++report.skipped;
                      }
                    }
                    if (!outcome) {
                      if (outcome.error().code != ErrorCode::kCancelled) {
                        ctx.Log(fmt::format("failed to copy {}:{}: {}", request.src_repository,
                                            Refs(artifact), outcome.error().message));
                      }
                      return Fail(outcome.error());
                    }
                    if (options.on_artifact) options.on_artifact();
                    return Ok();
                  });
  report.bytes += ctx.bytes.load();
  if (!status && status.error().code == ErrorCode::kCancelled) {
    ctx.Log("the copy is stopped");
  } else {
    ctx.Log(fmt::format("{}: {} copied, {} skipped, {} conflicts, {} failed, {} sent",
                        request.dst_repository, report.copied, report.skipped, report.conflicts,
                        report.failed, internal::HumanBytes(ctx.bytes.load())));
  }
  return status;
}

Status DeleteArtifacts(RegistryEnd& destination, std::string_view repository,
                       const std::vector<ArtifactRef>& artifacts, bool tags_only,
                       const TransferOptions& options) {
  CopyContext ctx{destination, destination, std::string(repository), std::string(repository),
                  options};
  Status first;
  auto note = [&](const Status& s) {
    if (!s && (first || s.error().code == ErrorCode::kCancelled)) first = s;
  };
  for (const auto& artifact : artifacts) {
    if (ctx.cancelled()) return internal::Cancelled();
    if (tags_only) {
      for (const auto& tag : artifact.tags) {
        auto deleted = internal::WithRetries(
            ctx, "deleting tag " + tag, [&] { return destination.DeleteTag(repository, tag); });
        if (!deleted && deleted.error().code == ErrorCode::kUnsupported) {
          ctx.Log(fmt::format("{} cannot delete the tag {}:{} alone ({}); left in place",
                              destination.Describe(), repository, tag, deleted.error().message));
          continue;
        }
        if (!deleted) {
          ctx.Log(fmt::format("failed to delete the tag {}:{}: {}", repository, tag,
                              deleted.error().message));
        } else {
          ctx.Log(fmt::format("deleted the tag {}:{}", repository, tag));
        }
        note(deleted);
      }
      continue;
    }
    std::vector<std::string> refs = artifact.tags;
    if (refs.empty()) refs.push_back(artifact.digest);
    std::set<std::string> digests;
    for (const auto& ref : refs) {
      auto head = internal::WithRetries(ctx, "checking " + std::string(repository) + ":" + ref,
                                        [&] { return destination.HeadManifest(repository, ref); });
      if (!head) {
        note(Fail(head.error()));
        continue;
      }
      if (head->has_value()) digests.insert((*head)->digest);
    }
    if (digests.empty()) {
      ctx.Log(fmt::format("{}:{} is not on the destination, skip", repository, Refs(artifact)));
    }
    for (const auto& digest : digests) {
      auto deleted = internal::WithRetries(ctx, "deleting " + digest, [&] {
        return destination.DeleteManifest(repository, digest);
      });
      if (deleted) {
        ctx.Log(fmt::format("deleted {}@{}", repository, digest));
      } else {
        ctx.Log(
            fmt::format("failed to delete {}@{}: {}", repository, digest, deleted.error().message));
      }
      note(deleted);
    }
    if (options.on_artifact) options.on_artifact();
  }
  return first;
}

}  // namespace berth::replication
