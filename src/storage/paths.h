// The on-disk layout of FsBlobStore. This is the only code that builds paths under the
// store root; everything else asks it.
//
//   <root>/
//   ├── blobs/
//   │   └── sha256/
//   │       └── ab/                      first two hex characters of the digest
//   │           └── ab12…ef              the content, named by its full hex digest
//   ├── uploads/
//   │   └── <id>/                        one upload session; <id> = 32 lowercase hex
//   │       └── data                     bytes received so far
//   └── tmp/
//       └── put-<32 hex>                 Put() staging file, renamed into blobs/
//
// Only complete, verified content is ever renamed into blobs/, so nothing a crash
// leaves behind (a session or a staging file) is visible as a blob. All three trees live
// on one filesystem so that rename(2) is atomic.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/digest.h"

namespace berth::storage {

class FsPaths {
 public:
  explicit FsPaths(std::filesystem::path root) : root_(std::move(root)) {}

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path BlobsDir() const;
  std::filesystem::path UploadsDir() const;
  std::filesystem::path TmpDir() const;

  // blobs/<algorithm>/<first 2 hex>/ and the blob file inside it. `digest` is already
  // validated (Digest::Parse), so it cannot escape the root.
  std::filesystem::path BlobShardDir(const Digest& digest) const;
  std::filesystem::path BlobFile(const Digest& digest) const;

  // uploads/<id>/ and its data file. Callers must check IsValidUploadId first.
  std::filesystem::path UploadDir(std::string_view id) const;
  std::filesystem::path UploadData(std::string_view id) const;

  // A fresh staging file name in tmp/.
  std::filesystem::path NewTmpFile() const;

  // True when `id` is exactly 32 lowercase hex characters (what NewUploadId makes).
  static bool IsValidUploadId(std::string_view id);
  static std::string NewUploadId();

  static constexpr std::string_view kTmpPrefix = "put-";

 private:
  std::filesystem::path root_;
};

}  // namespace berth::storage
