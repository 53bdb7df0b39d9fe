#include "registry/upload_sessions.h"

#include "metadata/timestamps.h"

namespace berth::registry {

Result<std::unique_ptr<storage::BlobWriter>> UploadSessions::Create(const std::string& repository) {
  auto writer = blobs_.CreateUpload();
  if (!writer) return writer;
  BERTH_TRY(
      uploads_.Create(metadata::Upload{(*writer)->id(), repository, metadata::NowTimestamp()}));
  std::lock_guard lock(mu_);
  busy_[(*writer)->id()] = true;
  return writer;
}

Result<std::unique_ptr<storage::BlobWriter>> UploadSessions::CheckOut(const std::string& repository,
                                                                      const std::string& id) {
  auto unknown = [&] {
    return Fail(ErrorCode::kBlobUploadUnknown,
                "upload " + id.substr(0, 80) + " is unknown for repository " + repository +
                    ": start a new upload with POST /v2/" + repository + "/blobs/uploads/");
  };
  auto record = uploads_.Get(id);
  if (!record) return Fail(record.error());
  if (!*record || (*record)->repository != repository) return unknown();
  {
    std::lock_guard lock(mu_);
    if (busy_[id]) {
      return Fail(ErrorCode::kBlobUploadInvalid,
                  "upload " + id + " is in use by another request; retry when it has finished");
    }
    busy_[id] = true;
    if (auto it = idle_.find(id); it != idle_.end()) {
      auto writer = std::move(it->second);
      idle_.erase(it);
      return writer;
    }
  }
  auto writer = blobs_.ResumeUpload(id);
  if (!writer) {
    std::lock_guard lock(mu_);
    busy_.erase(id);
    if (writer.error().code == ErrorCode::kBlobUploadUnknown) return unknown();
  }
  return writer;
}

void UploadSessions::Return(std::unique_ptr<storage::BlobWriter> writer) {
  std::lock_guard lock(mu_);
  std::string id = writer->id();
  busy_.erase(id);
  // Abandoned sessions must not pin file descriptors forever: past the cap an idle
  // writer is closed, and a later request resumes it from the stored bytes.
  if (idle_.size() >= kMaxIdle) idle_.erase(idle_.begin());
  idle_[id] = std::move(writer);
}

void UploadSessions::Finish(const std::string& id) {
  (void)uploads_.Delete(id);
  std::lock_guard lock(mu_);
  busy_.erase(id);
  idle_.erase(id);
}

}  // namespace berth::registry
