// PullThrough: how the /v2 handlers fill a proxy-cache project (a project whose
// registry_id names an upstream endpoint) before serving it from the local store.
//
// The registry calls these for GET and HEAD of manifests and blobs in a proxy-cache
// project only, off the io threads. On Ok the content named is (or stays) in the local
// repository and is served from there, unless a blob stream or size says otherwise; an
// error is answered to the client as it is.
//
// Errors: MANIFEST_UNKNOWN / BLOB_UNKNOWN when neither the cache nor the upstream has it;
// kUnavailable "the upstream registry <name> is unreachable: ..." when it is not cached
// and the upstream cannot be asked; kTooManyRequests (Error::detail may carry
// "retry-after=<seconds>") when the upstream throttles and nothing is cached.
//
// Thread safety: both methods may be called from many threads at once; they block.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "common/error.h"
#include "http/message.h"
#include "metadata/records.h"

namespace berth::registry {

// A blob still arriving from upstream, served to the client while it downloads.
struct BlobStream {
  int64_t size = 0;
  // Its ReadAsync waits for bytes still to come; an error means the download failed.
  std::unique_ptr<http::BodySource> body;
};

class PullThrough {
 public:
  virtual ~PullThrough() = default;

  // A tag is revalidated upstream (the cached copy is kept when the digest is the same,
  // refreshed otherwise, and served when the upstream cannot be reached); a digest that
  // is cached never goes upstream. Only the manifest is fetched: blobs and child
  // manifests follow when they are asked for.
  virtual Status EnsureManifest(const metadata::Project& project, std::string_view repository,
                                std::string_view reference) = 0;
  // GET of a blob. std::nullopt: it is in the local repository (now), serve it from there.
  // A stream: it is being downloaded — one upstream GET shared by every concurrent caller —
  // and stored whatever becomes of this client. `stream` false waits for the download to
  // be stored instead (e.g. for a range request) and never returns a stream.
  virtual Result<std::optional<BlobStream>> OpenBlob(const metadata::Project& project,
                                                     std::string_view repository,
                                                     std::string_view digest, bool stream) = 0;
  // HEAD of a blob. std::nullopt: it is in the local repository; otherwise the size the
  // upstream announces (nothing is downloaded).
  virtual Result<std::optional<int64_t>> StatBlob(const metadata::Project& project,
                                                  std::string_view repository,
                                                  std::string_view digest) = 0;
};

}  // namespace berth::registry
