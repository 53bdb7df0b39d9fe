// ProxyCacheStore: the queries behind proxy-cache expiry. "Used" means pushed into the
// cache (fetched from upstream) or pulled by a client: an artifact's push_time or
// pull_time; a blob link's creation_time. Only repositories of proxy-cache projects
// (registry_id > 0) are ever looked at.
//
// Thread safety: as the Database it uses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "metadata/database.h"

namespace berth::metadata {

struct CachedItem {
  int64_t repository_id = 0;
  std::string repository;
  std::string digest;
};

class ProxyCacheStore {
 public:
  explicit ProxyCacheStore(Database& db) : db_(db) {}

  // Artifacts neither cached nor pulled since `cutoff` (a timestamp).
  Result<std::vector<CachedItem>> ArtifactsUnusedSince(std::string_view cutoff);
  // Deletes the artifact and its tags unless it was used since `cutoff` meanwhile; true
  // when it was deleted.
  Result<bool> DeleteArtifactUnusedSince(int64_t repository_id, std::string_view digest,
                                         std::string_view cutoff);
  // Blob links made before `cutoff` that no artifact of their repository names (as its
  // manifest, config, layer or child).
  Result<std::vector<CachedItem>> LinksUnusedSince(std::string_view cutoff);
  // Unlinks the blob unless an artifact of the repository names it meanwhile; true when
  // it was unlinked.
  Result<bool> UnlinkUnreferenced(int64_t repository_id, std::string_view digest);
  // True when some repository (of any project) links the blob.
  Result<bool> IsLinkedAnywhere(std::string_view digest);
  // Deletes repositories of proxy-cache projects created before `cutoff` and left with
  // no artifact and no blob link; how many.
  Result<int64_t> DeleteEmptyRepositories(std::string_view cutoff);

 private:
  Database& db_;
};

}  // namespace berth::metadata
