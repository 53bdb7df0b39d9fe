// Test-only helpers for the transfer tests: a complete local Berth stack in a temp dir,
// image builders, an in-memory journal and a fault-injecting RegistryEnd decorator.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/digest.h"
#include "content/content_service.h"
#include "content/content_test_stack.h"
#include "metadata/database.h"
#include "metadata/label_store.h"
#include "metadata/stores.h"
#include "replication/transfer/local_end.h"
#include "replication/transfer/transfer.h"
#include "storage/fs_blob_store.h"

namespace berth::replication::testing {

// One Berth in a temp dir: its content stack (database, stores, blob store,
// ContentService) and a LocalEnd over it.
class Stack {
 public:
  Stack();
  RegistryEnd& end() { return *end_; }
  content::ContentService& content() { return stack_.content(); }
  storage::BlobStore& blobs() { return stack_.blobs(); }
  bool ok() const { return ok_; }
  metadata::LabelStore& labels() { return stack_.labels(); }
  metadata::ArtifactStore& artifacts() { return stack_.artifacts(); }

  // Creates the project if needed and stores `content` as a blob linked to `repository`.
  std::string PushBlob(const std::string& repository, std::string_view content);
  // Pushes an OCI image of a config plus `layers` under `reference`; returns its digest.
  std::string PushImage(const std::string& repository, const std::string& reference,
                        const std::vector<std::string>& layers, const std::string& extra = "");
  // Pushes raw manifest bytes; returns the digest.
  std::string PushManifest(const std::string& repository, const std::string& reference,
                           const std::string& bytes, std::string_view media_type);
  // The manifest bytes of `reference`, "" when absent.
  std::string ManifestBytes(const std::string& repository, const std::string& reference);

 private:
  content::testing::ContentStack stack_;
  bool ok_ = false;
  std::unique_ptr<RegistryEnd> end_;
};

// A deterministic pseudo-random byte string.
std::string RandomBytes(size_t size, uint32_t seed);

// An OCI image manifest naming the given (already pushed) config and layers.
std::string ImageManifest(const std::string& config_digest, int64_t config_size,
                          const std::vector<std::pair<std::string, int64_t>>& layers,
                          const std::string& extra = "");

class MemoryJournal : public UploadJournal {
 public:
  std::optional<UploadProgress> Load(std::string_view digest) override;
  void Save(std::string_view digest, const UploadProgress& progress) override;
  void Clear(std::string_view digest) override;
  std::map<std::string, UploadProgress, std::less<>> entries();

 private:
  std::mutex mu_;
  std::map<std::string, UploadProgress, std::less<>> entries_;
};

// Wraps an end: every `fail_every`-th ReadBlob / WriteBlob / AppendUpload fails half way
// with `fault` (0 = never); counts bytes read from the source and consumed by the
// destination (their difference is what the engine buffers); optional hooks.
class FaultyEnd : public RegistryEnd {
 public:
  explicit FaultyEnd(RegistryEnd& inner) : inner_(inner) {}

  int fail_every = 0;
  Error fault = MakeError(ErrorCode::kUnavailable, "injected fault");
  // Sleep per sink call on reads (a slow source).
  std::chrono::milliseconds read_delay{0};
  // Called with the total bytes the destination consumed so far.
  std::function<void(int64_t)> on_consumed;

  struct Counters {
    std::atomic<int64_t> read_bytes{0};      // handed to ReadBlob sinks
    std::atomic<int64_t> consumed_bytes{0};  // taken from WriteBlob/AppendUpload sources
    std::atomic<int64_t> peak_in_flight{0};  // max of read - consumed
    std::atomic<int> faults{0};
  };
  // Share one Counters between the source and destination wrappers of a copy.
  std::shared_ptr<Counters> counters = std::make_shared<Counters>();

  std::string Describe() const override { return "faulty " + inner_.Describe(); }
  std::string HostKey() const override { return inner_.HostKey(); }
  bool SupportsLabels() const override { return inner_.SupportsLabels(); }
  bool ChunkedByDefault() const override { return inner_.ChunkedByDefault(); }
  bool VerifiesBlobDigests() const override { return inner_.VerifiesBlobDigests(); }
  Result<std::vector<std::string>> ListRepositories() override { return inner_.ListRepositories(); }
  Result<std::vector<ArtifactRef>> ListArtifacts(std::string_view r) override {
    return inner_.ListArtifacts(r);
  }
  Status PrepareForPush(const std::vector<std::string>& r) override {
    return inner_.PrepareForPush(r);
  }
  Result<std::optional<ManifestInfo>> HeadManifest(std::string_view r,
                                                   std::string_view ref) override {
    return inner_.HeadManifest(r, ref);
  }
  Result<Manifest> GetManifest(std::string_view r, std::string_view ref) override {
    return inner_.GetManifest(r, ref);
  }
  Status PutManifest(std::string_view r, std::string_view ref, std::string_view bytes,
                     std::string_view mt) override {
    return inner_.PutManifest(r, ref, bytes, mt);
  }
  Status DeleteManifest(std::string_view r, std::string_view d) override {
    return inner_.DeleteManifest(r, d);
  }
  Status DeleteTag(std::string_view r, std::string_view t) override {
    return inner_.DeleteTag(r, t);
  }
  Result<std::vector<Descriptor>> Referrers(std::string_view r, std::string_view d) override {
    return inner_.Referrers(r, d);
  }
  Result<std::optional<int64_t>> BlobSize(std::string_view r, std::string_view d) override {
    return inner_.BlobSize(r, d);
  }
  Result<bool> MountBlob(std::string_view r, std::string_view d, std::string_view f) override {
    return inner_.MountBlob(r, d, f);
  }
  Result<UploadProgress> BeginUpload(std::string_view r) override { return inner_.BeginUpload(r); }
  Result<UploadProgress> ResumeUpload(std::string_view r, const UploadProgress& p) override {
    return inner_.ResumeUpload(r, p);
  }
  Status CommitUpload(std::string_view r, const UploadProgress& p, std::string_view d) override {
    return inner_.CommitUpload(r, p, d);
  }

  Status ReadBlob(std::string_view r, std::string_view d, int64_t offset, const ByteSink& sink,
                  const CancelToken& cancel) override;
  Status WriteBlob(std::string_view r, std::string_view d, int64_t size, const ByteSource& source,
                   const CancelToken& cancel) override;
  Result<UploadProgress> AppendUpload(std::string_view r, const UploadProgress& p, int64_t length,
                                      const ByteSource& source, const CancelToken& cancel) override;

 private:
  bool ShouldFail();
  // Wraps a destination source: counts, and fails after `fail_after` bytes when >= 0.
  ByteSource Counting(const ByteSource& source, int64_t fail_after, bool* failed);
  void NoteInFlight();

  RegistryEnd& inner_;
  std::atomic<int> calls_{0};
};

}  // namespace berth::replication::testing
