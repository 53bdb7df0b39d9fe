// The table of open upload sessions. A session's BlobWriter keeps its SHA-256 state
// between requests; the durable facts (id, repository) are in metadata::UploadStore, so
// a session survives a restart (its hash is then recomputed from the stored bytes).
//
// Thread safety: all methods may be called concurrently. A checked-out writer belongs
// to one request until it is returned or dropped.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/error.h"
#include "metadata/stores.h"
#include "storage/blob_store.h"

namespace berth::registry {

class UploadSessions {
 public:
  UploadSessions(storage::BlobStore& blobs, metadata::UploadStore& uploads)
      : blobs_(blobs), uploads_(uploads) {}

  // Creates a session for `repository`.
  Result<std::unique_ptr<storage::BlobWriter>> Create(const std::string& repository);
  // Takes the writer of session `id` of `repository` for the duration of one request.
  // BLOB_UPLOAD_UNKNOWN when there is no such session (or it belongs to another
  // repository); BLOB_UPLOAD_INVALID when another request is using it.
  Result<std::unique_ptr<storage::BlobWriter>> CheckOut(const std::string& repository,
                                                        const std::string& id);
  // Returns a writer after a request, keeping the session open.
  void Return(std::unique_ptr<storage::BlobWriter> writer);
  // Ends session `id` after a commit or cancel (the writer is gone already).
  void Finish(const std::string& id);

 private:
  static constexpr size_t kMaxIdle = 512;

  storage::BlobStore& blobs_;
  metadata::UploadStore& uploads_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<storage::BlobWriter>> idle_;  // GUARDED_BY(mu_)
  std::map<std::string, bool> busy_;                                  // GUARDED_BY(mu_)
};

}  // namespace berth::registry
