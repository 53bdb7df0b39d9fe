// FsBlobStore: the BlobStore on a local (or shared POSIX) filesystem. The directory
// layout is documented in paths.h.
//
// Durability: Commit and Put fdatasync the content, rename it into place and fsync the
// directory, so a blob that a call reported as stored survives a crash, and a blob is
// never visible half written. Upload sessions live in files, so they survive a restart
// and can be resumed by id from any FsBlobStore over the same root.
//
// Thread safety: all methods may be called concurrently, also from several processes
// sharing the root. A writer or reader is used by one thread at a time. A session has
// at most one live writer: CreateUpload/ResumeUpload take an exclusive flock(2) on its
// data file, released when the writer is destroyed; ResumeUpload of a session whose
// writer is still alive fails with BLOB_UPLOAD_INVALID ("in use") instead of letting two
// writers interleave bytes behind each other's hash.
#pragma once

#include <filesystem>
#include <memory>

#include "storage/blob_store.h"
#include "storage/paths.h"

namespace berth::storage {

class FsBlobStore final : public BlobStore {
 public:
  // Uses `root` (created, with its subdirectories, when missing).
  explicit FsBlobStore(std::filesystem::path root);

  Result<BlobInfo> Stat(const Digest& digest) override;
  Result<std::unique_ptr<BlobReader>> Open(const Digest& digest, int64_t offset = 0) override;
  Result<std::string> ReadAll(const Digest& digest, int64_t max_size) override;
  Status Put(const Digest& digest, std::string_view bytes) override;
  Status Delete(const Digest& digest) override;

  Result<std::unique_ptr<BlobWriter>> CreateUpload() override;
  Result<std::unique_ptr<BlobWriter>> ResumeUpload(std::string_view id) override;
  // Also removes staging files and malformed entries older than `age` left by a crash.
  Result<int> PurgeUploads(std::chrono::seconds age) override;

  const FsPaths& paths() const { return paths_; }

 private:
  FsPaths paths_;
};

}  // namespace berth::storage
