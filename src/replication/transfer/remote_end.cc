#include "replication/transfer/remote_end.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "replication/transfer/transfer_internal.h"

namespace berth::replication {

namespace {

// Tags resolved to digests at once when listing a repository.
constexpr int kListParallelism = 8;

bool IsAbsent(const Error& error) {
  return error.code == ErrorCode::kNotFound || error.code == ErrorCode::kManifestUnknown ||
         error.code == ErrorCode::kNameUnknown;
}

class RemoteEnd final : public RegistryEnd {
 public:
  RemoteEnd(std::unique_ptr<adapters::Adapter> adapter, std::string description,
            std::string host_key)
      : adapter_(std::move(adapter)),
        description_(std::move(description)),
        host_key_(std::move(host_key)) {}

  std::string Describe() const override { return description_; }
  std::string HostKey() const override { return host_key_; }

  Result<std::vector<std::string>> ListRepositories() override {
    return adapter_->ListRepositories();
  }

  Result<std::vector<ArtifactRef>> ListArtifacts(std::string_view repository) override {
    auto listed = ListArtifactsOf({std::string(repository)});
    return std::move(listed.front());
  }

  // Two flat rounds, each on at most kListParallelism threads: every repository's tag
  // list, then one HEAD per tag across all repositories (nesting the HEADs inside the
  // per-repository threads started and dropped threads and connections by the hundred).
  std::vector<Result<std::vector<ArtifactRef>>> ListArtifactsOf(
      const std::vector<std::string>& repositories) override {
    std::vector<Result<std::vector<std::string>>> tags(repositories.size(),
                                                       std::vector<std::string>{});
    (void)RunParallel(kListParallelism, repositories.size(), {}, [&](size_t r) {
      tags[r] = client().ListTags(repositories[r]);
      return Status(Ok());
    });
    struct Tag {
      size_t repository;
      size_t tag;
    };
    std::vector<Tag> all;
    for (size_t r = 0; r < repositories.size(); ++r) {
      if (!tags[r]) continue;
      for (size_t t = 0; t < tags[r]->size(); ++t) all.push_back({r, t});
    }
    std::vector<Result<std::optional<ManifestInfo>>> heads(all.size(), std::nullopt);
    (void)RunParallel(kListParallelism, all.size(), {}, [&](size_t i) {
      heads[i] = client().HeadManifest(repositories[all[i].repository],
                                       (*tags[all[i].repository])[all[i].tag]);
      return Status(Ok());
    });
    std::vector<std::optional<Error>> failed(repositories.size());
    std::vector<std::map<std::string, ArtifactRef>> by_digest(repositories.size());
    for (size_t i = 0; i < all.size(); ++i) {
      const size_t r = all[i].repository;
      if (!heads[i]) {
        if (!failed[r]) failed[r] = heads[i].error();
        continue;
      }
      const auto& info = *heads[i];
      if (!info) continue;  // a tag deleted meanwhile
      ArtifactRef& ref = by_digest[r][info->digest];
      ref.digest = info->digest;
      ref.media_type = info->media_type;
      ref.tags.push_back((*tags[r])[all[i].tag]);
    }
    std::vector<Result<std::vector<ArtifactRef>>> out;
    out.reserve(repositories.size());
    for (size_t r = 0; r < repositories.size(); ++r) {
      if (!tags[r]) {
        if (IsAbsent(tags[r].error())) {
          out.push_back(Fail(ErrorCode::kNameUnknown,
                             "repository " + repositories[r] + " is not on " + description_));
        } else {
          out.push_back(Fail(tags[r].error()));
        }
        continue;
      }
      if (failed[r]) {
        out.push_back(Fail(*failed[r]));
        continue;
      }
      std::vector<ArtifactRef> artifacts;
      artifacts.reserve(by_digest[r].size());
      for (auto& [digest, ref] : by_digest[r]) {
        std::sort(ref.tags.begin(), ref.tags.end());
        artifacts.push_back(std::move(ref));
      }
      out.push_back(std::move(artifacts));
    }
    return out;
  }

  Status PrepareForPush(const std::vector<std::string>& repositories) override {
    return adapter_->PrepareForPush(repositories);
  }

  Result<std::optional<std::map<std::string, std::vector<std::string>>>> ArtifactLabels(
      std::string_view repository) override {
    return adapter_->ArtifactLabels(repository);
  }

  Status CreatePublicProjects(const std::set<std::string>& projects) override {
    return adapter_->CreatePublicProjects(projects);
  }

  Result<std::set<std::string>> ProxyCacheProjects(
      const std::vector<std::string>& repositories) override {
    return adapter_->ProxyCacheProjects(repositories);
  }

  Result<std::optional<ManifestInfo>> HeadManifest(std::string_view repository,
                                                   std::string_view reference) override {
    return client().HeadManifest(repository, reference);
  }

  Result<Manifest> GetManifest(std::string_view repository, std::string_view reference) override {
    return client().GetManifest(repository, reference);
  }

  Status PutManifest(std::string_view repository, std::string_view reference,
                     std::string_view bytes, std::string_view media_type) override {
    auto put = client().PutManifest(repository, reference, bytes, media_type);
    if (!put) return Fail(put.error());
    return Ok();
  }

  Status DeleteManifest(std::string_view repository, std::string_view digest) override {
    auto deleted = client().DeleteManifest(repository, digest);
    if (!deleted && IsAbsent(deleted.error())) return Ok();
    return deleted;
  }

  Status DeleteTag(std::string_view repository, std::string_view tag) override {
    Status deleted = adapter_->DeleteTag(repository, tag);
    if (!deleted && deleted.error().code == ErrorCode::kUnsupported) {
      return Fail(ErrorCode::kUnsupported,
                  description_ + " has no API to delete a tag without its manifest");
    }
    return deleted;
  }

  Result<std::vector<Descriptor>> Referrers(std::string_view repository,
                                            std::string_view digest) override {
    return client().Referrers(repository, digest);
  }

  Result<std::optional<int64_t>> BlobSize(std::string_view repository,
                                          std::string_view digest) override {
    return client().BlobSize(repository, digest);
  }

  Status ReadBlob(std::string_view repository, std::string_view digest, int64_t offset,
                  const ByteSink& sink, const CancelToken& cancel) override {
    return client().GetBlob(repository, digest, sink, offset, cancel);
  }

  Result<bool> MountBlob(std::string_view repository, std::string_view digest,
                         std::string_view from) override {
    if (from.empty() || from == repository) return false;
    auto mounted = client().MountBlob(repository, digest, from);
    // Registries that refuse the mount outright (rather than opening a session) just
    // mean "upload it".
    if (!mounted && (IsAbsent(mounted.error()) || mounted.error().code == ErrorCode::kDenied ||
                     mounted.error().code == ErrorCode::kUnsupported ||
                     mounted.error().code == ErrorCode::kBlobUnknown)) {
      return false;
    }
    return mounted;
  }

  Status WriteBlob(std::string_view repository, std::string_view digest, int64_t size,
                   const ByteSource& source, const CancelToken& cancel) override {
    return client().PushBlob(repository, digest, size, source, cancel);
  }

  Result<UploadProgress> BeginUpload(std::string_view repository) override {
    auto state = client().StartUpload(repository);
    if (!state) return Fail(state.error());
    return UploadProgress{state->location, state->offset};
  }

  Result<UploadProgress> ResumeUpload(std::string_view, const UploadProgress& progress) override {
    auto state = client().UploadStatus(remote::UploadState{progress.session, progress.offset});
    if (!state) {
      if (state.error().code == ErrorCode::kNotFound) {
        return Fail(ErrorCode::kBlobUploadUnknown, "the upload session is gone");
      }
      return Fail(state.error());
    }
    return UploadProgress{state->location, state->offset};
  }

  Result<UploadProgress> AppendUpload(std::string_view, const UploadProgress& progress,
                                      int64_t length, const ByteSource& source,
                                      const CancelToken& cancel) override {
    auto state = client().UploadChunk(remote::UploadState{progress.session, progress.offset},
                                      length, source, cancel);
    if (!state) return Fail(state.error());
    return UploadProgress{state->location, state->offset};
  }

  Status CommitUpload(std::string_view, const UploadProgress& progress,
                      std::string_view digest) override {
    return client().FinishUpload(remote::UploadState{progress.session, progress.offset}, digest);
  }

 private:
  remote::DistributionClient& client() { return adapter_->Registry(); }

  std::unique_ptr<adapters::Adapter> adapter_;
  std::string description_;
  std::string host_key_;
};

}  // namespace

std::unique_ptr<RegistryEnd> MakeRemoteEnd(std::unique_ptr<adapters::Adapter> adapter,
                                           std::string description, std::string host_key) {
  return std::make_unique<RemoteEnd>(std::move(adapter), std::move(description),
                                     std::move(host_key));
}

}  // namespace berth::replication
