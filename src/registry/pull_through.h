// PullThrough: how the /v2 handlers fill a proxy-cache project (a project whose
// registry_id names an upstream endpoint) before serving it from the local store.
//
// The registry calls these for GET and HEAD of manifests and blobs in a proxy-cache
// project only, off the io threads. On Ok the content named is (or stays) in the local
// repository and is served from there; an error is answered to the client as it is.
//
// Errors: MANIFEST_UNKNOWN / BLOB_UNKNOWN when neither the cache nor the upstream has it;
// kUnavailable "the upstream registry <name> is unreachable: ..." when it is not cached
// and the upstream cannot be asked; kTooManyRequests (Error::detail may carry
// "retry-after=<seconds>") when the upstream throttles and nothing is cached.
//
// Thread safety: both methods may be called from many threads at once; they block.
#pragma once

#include <string_view>

#include "common/error.h"
#include "metadata/records.h"

namespace berth::registry {

class PullThrough {
 public:
  virtual ~PullThrough() = default;

  // A tag is revalidated upstream (the cached copy is kept when the digest is the same,
  // refreshed otherwise, and served when the upstream cannot be reached); a digest that
  // is cached never goes upstream.
  virtual Status EnsureManifest(const metadata::Project& project, std::string_view repository,
                                std::string_view reference) = 0;
  // A blob that is not cached is fetched once (concurrent callers share the download).
  virtual Status EnsureBlob(const metadata::Project& project, std::string_view repository,
                            std::string_view digest) = 0;
};

}  // namespace berth::registry
