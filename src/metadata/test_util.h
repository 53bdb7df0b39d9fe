// Test helpers for metadata tests: a temp directory per test, and a fixture base with a
// freshly migrated database in one.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "metadata/database.h"
#include "metadata/migrate.h"
#include "metadata/sqlite_database.h"

namespace berth::metadata::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "berth-md-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Opens (creating when missing) the SQLite database `file` and migrates it. Failures are
// reported to the running test as non-fatal failures; the result is null then.
inline std::unique_ptr<Database> OpenMigrated(const std::filesystem::path& file) {
  auto db = SqliteDatabase::Open(file.string());
  EXPECT_TRUE(db.has_value()) << db.error().message;
  if (!db) return nullptr;
  auto migrated = Migrate(**db);
  EXPECT_TRUE(migrated.has_value()) << migrated.error().message;
  if (!migrated) return nullptr;
  return std::move(*db);
}

// Fixture base: db_ is a migrated SQLite database in dir_. A derived SetUp calls this one
// first and returns when it failed.
class MigratedDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenMigrated(dir_.path() / "berth.db");
    ASSERT_TRUE(db_ != nullptr);
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

}  // namespace berth::metadata::testing
