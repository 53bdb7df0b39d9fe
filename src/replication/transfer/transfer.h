// The copy engine: copies the artifacts of one repository from a source RegistryEnd to a
// destination RegistryEnd, and deletes replicated artifacts. Pure of persistence: the
// executor hands in an UploadJournal (persisted offsets) and callbacks for logs and
// progress.
//
// Copy rules, per artifact (a tag, or a digest when untagged):
//  * GET the source manifest; HEAD the destination: same digest → skipped; another digest
//    and `override_tags` false → left alone and reported as a conflict (not an error).
//  * Children before their index, blobs before the manifest that names them; for every
//    blob: HEAD on the destination (present → skip), else MountBlob from a repository of
//    the same copy that already holds it, else stream source → destination: monolithic
//    WriteBlob, or (copy_by_chunk, or blobs larger than chunk_size when the destination
//    supports it) BeginUpload/AppendUpload/CommitUpload with the offset saved to the
//    journal after every chunk so a retry or a restart resumes mid-blob.
//  * Digests are checked end to end: the bytes read from the source are hashed while they
//    stream; a mismatch fails the blob (DIGEST_INVALID) and is never committed.
//  * Manifest bytes are pushed exactly as read (digest preserved), by digest for index
//    children, by tag for tags (every tag of the artifact).
//  * Referrers of each copied manifest (signatures, SBOMs) are copied after their subject.
//  * Blobs of one artifact run in parallel (`blob_parallelism`), artifacts of the
//    repository in parallel (`artifact_parallelism`), and no more than
//    `host_connections` streams to one destination host at a time (HostLimiter, shared by
//    the whole process).
//  * Each blob/manifest step retries `retries` times on kUnavailable, kTooManyRequests
//    (honouring Retry-After), resets and DIGEST_INVALID reads, with backoff from
//    `backoff` doubling to 30 s. kCancelled stops everything at once.
//  * All blob bytes pass through `limiter` (when set) on their way out.
//
// Thread safety: CopyRepository and DeleteArtifacts may run concurrently for different
// repositories; the callbacks are called from several threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "replication/transfer/rate_limiter.h"
#include "replication/transfer/registry_end.h"

namespace berth::replication {

// Persisted resumable-upload state of one task, keyed by blob digest.
class UploadJournal {
 public:
  virtual ~UploadJournal() = default;
  virtual std::optional<UploadProgress> Load(std::string_view digest) = 0;
  virtual void Save(std::string_view digest, const UploadProgress& progress) = 0;
  virtual void Clear(std::string_view digest) = 0;
};

// Bounds concurrent streams per destination host across every running transfer.
class HostLimiter {
 public:
  explicit HostLimiter(int per_host) : per_host_(per_host < 1 ? 1 : per_host) {}
  // Blocks for a slot on `host` (kCancelled when `cancel` is set while waiting).
  Status Acquire(const std::string& host, const CancelToken& cancel);
  void Release(const std::string& host);

 private:
  const int per_host_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> used_;
};

struct TransferOptions {
  bool override_tags = true;
  bool copy_by_chunk = false;
  int64_t chunk_size = 10 << 20;
  int blob_parallelism = 4;
  int artifact_parallelism = 4;
  int retries = 5;
  std::chrono::milliseconds backoff{1000};
  RateLimiter* limiter = nullptr;    // not owned; null = unlimited
  HostLimiter* hosts = nullptr;      // not owned; null = no per-host bound
  UploadJournal* journal = nullptr;  // not owned; null = nothing persisted
  CancelToken cancel;
  // A human log line ("copying blob sha256:… (12.0 MiB)"); never a secret.
  std::function<void(std::string_view line)> log;
  // Called as blob bytes reach the destination, and as each artifact finishes.
  std::function<void(int64_t bytes)> on_bytes;
  std::function<void()> on_artifact;
};

// What to copy: the source repository's selected artifacts, tags already filtered.
struct CopyRequest {
  std::string src_repository;
  std::string dst_repository;
  std::vector<ArtifactRef> artifacts;
};

struct CopyReport {
  int copied = 0;     // artifacts written to the destination
  int skipped = 0;    // already there with the same digest
  int conflicts = 0;  // destination tag points elsewhere and override is off
  int failed = 0;
  int64_t bytes = 0;  // blob bytes sent
};

// Copies every artifact; an artifact that fails is logged and the rest go on. The result
// is an error (the first failure's, or kCancelled) when any artifact failed, with the
// report in `report` either way.
Status CopyRepository(RegistryEnd& source, RegistryEnd& destination, const CopyRequest& request,
                      const TransferOptions& options, CopyReport& report);

// Replicated deletion on the destination: deletes the manifest each artifact's digest
// names (resolving tags there), or, with `tags_only`, only its tags (kUnsupported
// destinations are reported, not failed). Absent artifacts are fine.
Status DeleteArtifacts(RegistryEnd& destination, std::string_view repository,
                       const std::vector<ArtifactRef>& artifacts, bool tags_only,
                       const TransferOptions& options);

// Runs task(i) for i in [0, count) on at most `parallelism` threads (the caller's among
// them). Every task runs (unless cancelled); returns the first failure.
Status RunParallel(int parallelism, size_t count, const CancelToken& cancel,
                   const std::function<Status(size_t)>& task);

}  // namespace berth::replication
