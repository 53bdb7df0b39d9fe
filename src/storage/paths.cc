#include "storage/paths.h"

namespace berth::storage {

namespace fs = std::filesystem;

constexpr size_t kUploadIdHexLength = 32;

fs::path FsPaths::BlobsDir() const { return root_ / "blobs"; }
fs::path FsPaths::UploadsDir() const { return root_ / "uploads"; }
fs::path FsPaths::TmpDir() const { return root_ / "tmp"; }

fs::path FsPaths::BlobShardDir(const Digest& digest) const {
  return BlobsDir() / std::string(digest.algorithm()) / std::string(digest.hex().substr(0, 2));
}

fs::path FsPaths::BlobFile(const Digest& digest) const {
  return BlobShardDir(digest) / std::string(digest.hex());
}

fs::path FsPaths::UploadDir(std::string_view id) const { return UploadsDir() / std::string(id); }

fs::path FsPaths::UploadData(std::string_view id) const { return UploadDir(id) / "data"; }

fs::path FsPaths::NewTmpFile() const {
  return TmpDir() / (std::string(kTmpPrefix) + RandomHex(kUploadIdHexLength / 2));
}

bool FsPaths::IsValidUploadId(std::string_view id) {
  if (id.size() != kUploadIdHexLength) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string FsPaths::NewUploadId() { return RandomHex(kUploadIdHexLength / 2); }

}  // namespace berth::storage
