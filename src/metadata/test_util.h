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

// Fixture base: db_ is a migrated SQLite database in dir_. A derived SetUp calls this one
// first and returns when it failed.
class MigratedDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::Open((dir_.path() / "berth.db").string());
    ASSERT_TRUE(db.has_value()) << db.error().message;
    db_ = std::move(*db);
    auto migrated = Migrate(*db_);
    ASSERT_TRUE(migrated.has_value()) << migrated.error().message;
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
};

}  // namespace berth::metadata::testing
