// ContentService: the one way content enters or leaves a repository. The registry
// handlers, the local replication adapter and the proxy cache all go through it, so the
// invariants hold everywhere:
//   * a repository sees only blobs linked to it (and present in the blob store);
//   * a manifest is accepted only when every blob and child manifest it names is
//     available in the repository; its exact bytes are stored, so its digest is stable;
//   * repositories live inside an existing project.
//
// Ownership: holds references to the stores, which must outlive it.
// Thread safety: every method may be called concurrently (the stores are thread-safe).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.h"
#include "common/error.h"
#include "common/names.h"
#include "content/manifest.h"
#include "metadata/records.h"
#include "metadata/stores.h"
#include "storage/blob_store.h"

namespace berth::content {

struct PutManifestResult {
  Digest digest;
  std::string media_type;
  std::string subject;  // subject digest for the OCI-Subject header; "" when none
};

struct ManifestInfo {
  Digest digest;
  std::string media_type;
  int64_t size = 0;
};

struct ManifestContent : ManifestInfo {
  std::string bytes;  // exactly as pushed
};

// One page of a lexically ordered name listing (tags or catalog).
struct NameList {
  std::vector<std::string> names;
  bool more = false;  // further names follow the last one (for the Link header)
};

struct ReferrersResult {
  std::string index_json;       // an OCI image index (application/vnd.oci.image.index.v1+json)
  bool filter_applied = false;  // set OCI-Filters-Applied: artifactType
};

// Told about every change to tags and manifests after it is committed (replication's
// event triggers). Called on the caller's thread; implementations return quickly and
// never call back into ContentService.
class ContentListener {
 public:
  virtual ~ContentListener() = default;
  // A manifest was stored; `tag` is "" when pushed by digest.
  virtual void ManifestPushed(std::string_view repository, std::string_view digest,
                              std::string_view tag) = 0;
  // A manifest was deleted together with `tags`.
  virtual void ManifestDeleted(std::string_view repository, std::string_view digest,
                               const std::vector<std::string>& tags) = 0;
  // Only a tag was deleted; the manifest `digest` stays.
  virtual void TagDeleted(std::string_view repository, std::string_view digest,
                          std::string_view tag) = 0;
};

class ContentService {
 public:
  ContentService(storage::BlobStore& blobs, metadata::ArtifactStore& artifacts,
                 metadata::ProjectStore& projects)
      : blobs_(blobs), artifacts_(artifacts), projects_(projects) {}

  // Installs the listener (not owned; null = none). Call before serving requests.
  void SetListener(ContentListener* listener) { listener_ = listener; }

  // Validates `name` and finds its repository. NAME_INVALID for malformed names or names
  // without a project component; NAME_UNKNOWN when the project does not exist, or when
  // the repository does not exist and `create` is false. With `create` the repository
  // row is made when missing.
  Result<metadata::Repository> ResolveRepository(std::string_view name, bool create);
  // For a push: the repository, or when it does not exist yet one with id 0 that is not
  // stored. LinkBlob and the manifest puts store it with the first blob or manifest they
  // commit, so a push that fails or is cancelled before then leaves no empty repository.
  Result<metadata::Repository> ResolveForPush(std::string_view name);
  // The project of repository `name`: NAME_INVALID / NAME_UNKNOWN as ResolveRepository.
  Result<metadata::Project> ResolveProject(std::string_view name);

  // The size of `digest` when it is linked to the repository and present in the store;
  // BLOB_UNKNOWN otherwise.
  Result<int64_t> StatBlob(const metadata::Repository& repo, const Digest& digest);

  // Links a blob already in the store to the repository. `size` < 0 means "take the
  // stored size". BLOB_UNKNOWN when the store lacks it, SIZE_INVALID when `size` differs.
  Status LinkBlob(const metadata::Repository& repo, const Digest& digest, int64_t size = -1);

  // Cross-repository mount: links `digest` into `to` when the store holds it and it is
  // linked in repository `from` (any repository when `from` is empty; the caller has
  // checked pull access). Returns false when a mount is not possible (the client then
  // uploads), true when the blob is now linked to `to`.
  Result<bool> MountBlob(const metadata::Repository& to, const Digest& digest,
                         std::string_view from = {});

  // Unlinks a blob from the repository (BLOB_UNKNOWN when not linked). The bytes stay
  // in the shared store for garbage collection to decide.
  Status DeleteBlob(const metadata::Repository& repo, const Digest& digest);

  // Accepts a manifest pushed under `ref` (a tag, or the digest of `bytes`).
  // Errors: MANIFEST_INVALID (413 kManifestTooLarge) over kMaxManifestSize;
  // MANIFEST_INVALID from ParseManifest; DIGEST_INVALID when `ref` is a digest that
  // `bytes` do not hash to; MANIFEST_BLOB_UNKNOWN naming the first blob or child manifest
  // not available in the repository (nothing is stored then). A `subject` need not exist.
  Result<PutManifestResult> PutManifest(const metadata::Repository& repo, const Reference& ref,
                                        std::string_view bytes, std::string_view content_type);

  // A proxy cache's copy of an upstream manifest: as PutManifest, except that the blobs
  // and child manifests it names need not be here yet (they are fetched when asked for)
  // and no push event is sent.
  Result<PutManifestResult> CacheManifest(const metadata::Repository& repo, const Reference& ref,
                                          std::string_view bytes, std::string_view content_type);

  // The manifest `ref` names; MANIFEST_UNKNOWN when absent.
  Result<ManifestContent> GetManifest(const metadata::Repository& repo, const Reference& ref);
  Result<ManifestInfo> StatManifest(const metadata::Repository& repo, const Reference& ref);

  // By digest: deletes the manifest and every tag on it. By tag: deletes only the tag.
  // MANIFEST_UNKNOWN when absent.
  Status DeleteManifest(const metadata::Repository& repo, const Reference& ref);

  // Tags in lexical order after `last`, at most `n` (n < 0: all).
  Result<NameList> ListTags(const metadata::Repository& repo, std::string_view last, int64_t n);
  // Repository names in lexical order after `last`, at most `n` (n < 0: all).
  Result<NameList> Catalog(std::string_view last, int64_t n);

  // The referrers of `subject` in the repository as an OCI image index, optionally only
  // those whose artifactType equals `artifact_type`. Never MANIFEST_UNKNOWN: no
  // referrers give an empty index.
  Result<ReferrersResult> Referrers(const metadata::Repository& repo, const Digest& subject,
                                    std::string_view artifact_type = {});

 private:
  Result<PutManifestResult> StoreManifest(const metadata::Repository& repo, const Reference& ref,
                                          std::string_view bytes, std::string_view content_type,
                                          bool pushed);
  Result<metadata::Artifact> FindArtifact(const metadata::Repository& repo, const Reference& ref);
  // MANIFEST_BLOB_UNKNOWN unless every blob the manifest names is usable in `repo`.
  Status CheckReferences(const metadata::Repository& repo, const ParsedManifest& manifest);
  // `repo` itself, or for an unstored one (id 0) the repository row, created now.
  Result<metadata::Repository> Stored(const metadata::Repository& repo);

  storage::BlobStore& blobs_;
  metadata::ArtifactStore& artifacts_;
  metadata::ProjectStore& projects_;
  ContentListener* listener_ = nullptr;
};

}  // namespace berth::content
