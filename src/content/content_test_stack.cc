#include "content/content_test_stack.h"

#include "metadata/test_util.h"

namespace berth::content::testing {

ContentStack::ContentStack()
    : temp_(std::make_unique<metadata::testing::TempDir>()), dir_(temp_->path()) {
  Build();
}

ContentStack::ContentStack(const std::filesystem::path& dir) : dir_(dir) { Build(); }

// Members go in reverse order: the content service first, the temporary directory last.
ContentStack::~ContentStack() = default;

void ContentStack::Build() {
  db_ = metadata::testing::OpenMigrated(dir_ / "berth.db");
  if (!db_) return;
  projects_ = std::make_unique<metadata::ProjectStore>(*db_);
  artifacts_ = std::make_unique<metadata::ArtifactStore>(*db_);
  labels_ = std::make_unique<metadata::LabelStore>(*db_);
  blobs_ = std::make_unique<storage::FsBlobStore>(dir_ / "blobs");
  content_ = std::make_unique<ContentService>(*blobs_, *artifacts_, *projects_);
  ok_ = true;
}

}  // namespace berth::content::testing
