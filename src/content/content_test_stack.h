// Test-only: one Berth's content stack (a migrated SQLite database, the project, artifact
// and label stores, a filesystem blob store and the ContentService over them) in one
// directory. Shared by the tests of content and of the modules above it; built into
// berth_content_test_support, never linked into berth.
#pragma once

#include <filesystem>
#include <memory>

#include "content/content_service.h"
#include "metadata/database.h"
#include "metadata/label_store.h"
#include "metadata/stores.h"
#include "storage/fs_blob_store.h"

namespace berth::metadata::testing {
class TempDir;
}

namespace berth::content::testing {

// Owns every part and destroys them in reverse order of construction. Failures while
// building are reported to the running test as non-fatal failures, and ok() is false:
// the accessors may then be called only when ok() is true. Not thread-safe to build;
// the parts are as thread-safe as their own classes.
class ContentStack {
 public:
  // Over a fresh temporary directory, removed with the stack.
  ContentStack();
  // Over `dir`, which must exist and outlives the stack: the database is `dir`/berth.db
  // (created when missing), the blobs live under `dir`/blobs.
  explicit ContentStack(const std::filesystem::path& dir);
  ~ContentStack();
  ContentStack(const ContentStack&) = delete;
  ContentStack& operator=(const ContentStack&) = delete;

  bool ok() const { return ok_; }
  const std::filesystem::path& dir() const { return dir_; }

  metadata::Database& db() { return *db_; }
  metadata::ProjectStore& projects() { return *projects_; }
  metadata::ArtifactStore& artifacts() { return *artifacts_; }
  metadata::LabelStore& labels() { return *labels_; }
  storage::FsBlobStore& blobs() { return *blobs_; }
  ContentService& content() { return *content_; }

 private:
  void Build();

  std::unique_ptr<metadata::testing::TempDir> temp_;
  std::filesystem::path dir_;
  bool ok_ = false;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<metadata::ProjectStore> projects_;
  std::unique_ptr<metadata::ArtifactStore> artifacts_;
  std::unique_ptr<metadata::LabelStore> labels_;
  std::unique_ptr<storage::FsBlobStore> blobs_;
  std::unique_ptr<ContentService> content_;
};

}  // namespace berth::content::testing
