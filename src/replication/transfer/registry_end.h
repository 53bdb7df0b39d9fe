// RegistryEnd: one side of a replication copy — Berth itself (LocalEnd: the local stores,
// no HTTP) or a remote endpoint (RemoteEnd: an adapter and its DistributionClient). Push
// and pull are the same copy with the ends swapped.
//
// Every call blocks; none may run on an io thread. Errors use the common table:
// kUnavailable / kTooManyRequests (worth retrying, see remote::RetryAfter),
// kCancelled (the CancelToken was set), kUnsupported (the end cannot do it), the OCI codes
// otherwise. Thread safety: every method may be called from several threads at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "remote/distribution_client.h"
#include "replication/model/artifact.h"

namespace berth::replication {

using remote::ByteSink;
using remote::ByteSource;
using remote::CancelToken;
using remote::Descriptor;
using remote::Manifest;
using remote::ManifestInfo;

// A resumable blob upload: the end's own session token (a remote upload URL, or a local
// upload id) and the bytes it holds. Persisted by the executor between attempts.
struct UploadProgress {
  std::string session;
  int64_t offset = 0;
};

class RegistryEnd {
 public:
  virtual ~RegistryEnd() = default;

  // For logs: "docker-registry http://127.0.0.1:5001" or "local". Never a secret.
  virtual std::string Describe() const = 0;
  // Connection-limit bucket: "host:port" of the remote, "local" for Berth.
  virtual std::string HostKey() const = 0;
  // True when ListArtifacts fills labels (Berth itself).
  virtual bool SupportsLabels() const { return false; }
  // For an end whose listing does not fill labels: the label names of each artifact (by
  // digest) of `repository`, where the provider has labels (Harbor); std::nullopt when it
  // has none (the default).
  virtual Result<std::optional<std::map<std::string, std::vector<std::string>>>> ArtifactLabels(
      std::string_view repository) {
    (void)repository;
    return std::optional<std::map<std::string, std::vector<std::string>>>();
  }
  // True when blobs larger than TransferOptions::chunk_size should go up in resumable
  // chunks even without copy_by_chunk (cheap on this end, e.g. Berth's own store).
  virtual bool ChunkedByDefault() const { return false; }
  // True when this end, as a destination, hashes the bytes it stores and refuses to
  // commit a blob that does not match its digest (Berth's own store), so the copy need
  // not hash them a second time.
  virtual bool VerifiesBlobDigests() const { return false; }

  // ---- listing (source side)
  // Repository names, through the provider's own API where it has one, else the catalog.
  virtual Result<std::vector<std::string>> ListRepositories() = 0;
  // The tagged artifacts of `repository` (tags grouped by digest), plus — for ends that
  // can list them cheaply (local) — untagged artifacts. NAME_UNKNOWN when absent.
  virtual Result<std::vector<ArtifactRef>> ListArtifacts(std::string_view repository) = 0;
  // ListArtifacts of each of `repositories`, slot for slot (a repository gone since it was
  // listed gives NAME_UNKNOWN in its slot). Ends that resolve tags one request at a time
  // (remote registries) run the whole batch on one bounded set of threads.
  virtual std::vector<Result<std::vector<ArtifactRef>>> ListArtifactsOf(
      const std::vector<std::string>& repositories) {
    std::vector<Result<std::vector<ArtifactRef>>> out;
    out.reserve(repositories.size());
    for (const auto& repository : repositories) out.push_back(ListArtifacts(repository));
    return out;
  }

  // ---- destination preparation
  // Creates what must exist before pushing to `repositories` (see adapters::Adapter).
  virtual Status PrepareForPush(const std::vector<std::string>& repositories) = 0;
  // The projects of `repositories` that are public here (a push source's, so that the
  // destination creates its projects public too). Default: none known.
  virtual Result<std::set<std::string>> PublicProjects(
      const std::vector<std::string>& repositories) {
    (void)repositories;
    return std::set<std::string>();
  }
  // Creates `projects` public where they do not exist yet (see adapters::Adapter).
  virtual Status CreatePublicProjects(const std::set<std::string>& projects) {
    (void)projects;
    return Ok();
  }
  // The projects of `repositories` that are proxy caches here: pushing there is refused,
  // so replication leaves them out (see adapters::Adapter). Default: none.
  virtual Result<std::set<std::string>> ProxyCacheProjects(
      const std::vector<std::string>& repositories) {
    (void)repositories;
    return std::set<std::string>();
  }

  // ---- manifests
  // std::nullopt when absent.
  virtual Result<std::optional<ManifestInfo>> HeadManifest(std::string_view repository,
                                                           std::string_view reference) = 0;
  virtual Result<Manifest> GetManifest(std::string_view repository, std::string_view reference) = 0;
  // Stores the exact `bytes` under `reference` (a tag, or their digest).
  virtual Status PutManifest(std::string_view repository, std::string_view reference,
                             std::string_view bytes, std::string_view media_type) = 0;
  // Deletes the manifest by digest (with every tag on it). Absent = Ok.
  virtual Status DeleteManifest(std::string_view repository, std::string_view digest) = 0;
  // Removes one tag and leaves the manifest. kUnsupported where the end cannot (the
  // Distribution API has no tag deletion). Absent = Ok.
  virtual Status DeleteTag(std::string_view repository, std::string_view tag) = 0;
  // Manifests whose subject is `digest` (signatures, SBOMs).
  virtual Result<std::vector<Descriptor>> Referrers(std::string_view repository,
                                                    std::string_view digest) = 0;

  // ---- blobs
  // std::nullopt when absent from `repository`.
  virtual Result<std::optional<int64_t>> BlobSize(std::string_view repository,
                                                  std::string_view digest) = 0;
  // Streams the blob from `offset` into `sink`.
  virtual Status ReadBlob(std::string_view repository, std::string_view digest, int64_t offset,
                          const ByteSink& sink, const CancelToken& cancel) = 0;
  // Links a blob that the end holds in repository `from` (or anywhere, when the end
  // can tell) into `repository`. False when it cannot; the caller then uploads.
  virtual Result<bool> MountBlob(std::string_view repository, std::string_view digest,
                                 std::string_view from) = 0;
  // One-shot upload of `size` bytes.
  virtual Status WriteBlob(std::string_view repository, std::string_view digest, int64_t size,
                           const ByteSource& source, const CancelToken& cancel) = 0;

  // Resumable upload: Begin, then Append chunks, then Commit. Resume asks the end where a
  // persisted session stands (its offset may be lower than the one persisted);
  // kBlobUploadUnknown when the session is gone (start again from 0).
  virtual Result<UploadProgress> BeginUpload(std::string_view repository) = 0;
  virtual Result<UploadProgress> ResumeUpload(std::string_view repository,
                                              const UploadProgress& progress) = 0;
  virtual Result<UploadProgress> AppendUpload(std::string_view repository,
                                              const UploadProgress& progress, int64_t length,
                                              const ByteSource& source,
                                              const CancelToken& cancel) = 0;
  virtual Status CommitUpload(std::string_view repository, const UploadProgress& progress,
                              std::string_view digest) = 0;
};

}  // namespace berth::replication
