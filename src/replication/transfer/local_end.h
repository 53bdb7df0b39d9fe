// LocalEnd: Berth's own repositories as a RegistryEnd, straight on the stores (no HTTP),
// so every write passes ContentService's checks exactly like a push over /v2.
//
//  * ListRepositories: every repository (catalog order). ListArtifacts: every artifact
//    with its tags and label names (untagged ones included).
//  * PrepareForPush: creates each missing project (first path component), private,
//    owned by `owner_id`, as Harbor's adapter does for a Harbor destination.
//  * Uploads are BlobStore upload sessions (the session token is the upload id), which
//    survive a restart; ResumeUpload reports the bytes the session really holds.
//  * MountBlob links a blob the store already holds (from any repository).
//  * DeleteTag removes only the tag.
#pragma once

#include <memory>

#include "content/content_service.h"
#include "metadata/label_store.h"
#include "metadata/stores.h"
#include "replication/transfer/registry_end.h"
#include "storage/blob_store.h"

namespace berth::replication {

struct LocalStores {
  content::ContentService* content = nullptr;
  storage::BlobStore* blobs = nullptr;
  metadata::ArtifactStore* artifacts = nullptr;
  metadata::ProjectStore* projects = nullptr;
  metadata::LabelStore* labels = nullptr;  // may be null: no labels
  int64_t owner_id = 1;                    // owner of projects PrepareForPush creates
};

// All pointers must outlive the end.
std::unique_ptr<RegistryEnd> MakeLocalEnd(const LocalStores& stores);

}  // namespace berth::replication
