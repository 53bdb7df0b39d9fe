#include "metadata/sqlite_database.h"

#include <gtest/gtest.h>

#include <limits>
#include <thread>

#include "metadata/test_util.h"

namespace berth::metadata {
namespace {

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = SqliteDatabase::Open((dir_.path() / "test.db").string());
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    ASSERT_TRUE(db_->ExecScript(
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, i INTEGER, d REAL, s TEXT, "
        "u TEXT UNIQUE);"
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
        "REFERENCES parent (id));"
        "CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);"));
  }

  int64_t CountT() { return (*db_->QueryOne("SELECT COUNT(*) FROM t"))->Int(0); }

  testing::TempDir dir_;
  std::unique_ptr<SqliteDatabase> db_;
};

TEST_F(SqliteDatabaseTest, TypedValuesRoundTrip) {
  const int64_t big = std::numeric_limits<int64_t>::max();
  const std::string text("h\xc3\xa9llo\0world", 12);  // embedded NUL survives
  auto row =
      db_->QueryOne("INSERT INTO t (i, d, s, u) VALUES (?, ?, ?, ?) RETURNING id, i, d, s, u",
                    {big, 1.5, text, nullptr});
  ASSERT_TRUE(row && *row);
  const Row& r = **row;
  EXPECT_EQ(r.Int(0), 1);
  EXPECT_EQ(r.Int(1), big);
  EXPECT_DOUBLE_EQ(r.Double(2), 1.5);
  EXPECT_EQ(r.Text(3), text);
  EXPECT_TRUE(r.IsNull(4));
  EXPECT_EQ(r.Text(4), "");
  EXPECT_EQ(r.OptInt(4), std::nullopt);
  EXPECT_EQ(r.Text(1), std::to_string(big));  // lenient conversion
}

TEST_F(SqliteDatabaseTest, ParameterKinds) {
  std::optional<int64_t> none, some = 7;
  ASSERT_TRUE(db_->Exec("INSERT INTO t (i, s) VALUES (?, ?)", {none, std::string_view("sv")}));
  ASSERT_TRUE(db_->Exec("INSERT INTO t (i, s) VALUES (?, ?)", {some, "cstr"}));
  ASSERT_TRUE(db_->Exec("INSERT INTO t (i, s) VALUES (?, ?)", {true, std::string("str")}));
  auto rows = db_->Query("SELECT i, s FROM t ORDER BY id");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_TRUE((*rows)[0].IsNull(0));
  EXPECT_EQ((*rows)[1].Int(0), 7);
  EXPECT_TRUE((*rows)[2].Bool(0));
  EXPECT_EQ((*rows)[2].Text(1), "str");
}

TEST_F(SqliteDatabaseTest, ExecReturnsChangedRows) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(db_->Exec("INSERT INTO t (i) VALUES (?)", {i}));
  auto n = db_->Exec("UPDATE t SET s = 'x' WHERE i >= ?", {2});
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(*db_->QueryOne("SELECT 1 FROM t WHERE i = 99"), std::nullopt);
}

TEST_F(SqliteDatabaseTest, ErrorCodes) {
  struct Case {
    const char* sql;
    std::vector<Value> params;
    ErrorCode want;
  };
  ASSERT_TRUE(db_->Exec("INSERT INTO t (u) VALUES ('dup')"));
  const Case cases[] = {
      {"INSERT INTO t (u) VALUES (?)", {"dup"}, ErrorCode::kConflict},
      {"INSERT INTO child (parent_id) VALUES (?)", {42}, ErrorCode::kPrecondition},
      {"SELECT * FROM no_such_table", {}, ErrorCode::kInternal},
      {"SELECT 1; SELECT 2", {}, ErrorCode::kInternal},
      {"SELECT ?", {}, ErrorCode::kInternal},  // parameter count mismatch
      {"SELECT ?", {1, 2}, ErrorCode::kInternal},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.sql);
    auto r = db_->Query(c.sql, c.params);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, c.want);
    EXPECT_EQ(r.error().message.find("no_such_table"), std::string::npos);  // no SQL leaks
  }
}

TEST_F(SqliteDatabaseTest, TransactionCommitsAndRollsBack) {
  ASSERT_TRUE(db_->Transaction([](Database& tx) -> Status {
    BERTH_TRY(tx.Exec("INSERT INTO t (i) VALUES (1)"));
    return Ok();
  }));
  EXPECT_EQ(CountT(), 1);
  auto failed = db_->Transaction([](Database& tx) -> Status {
    BERTH_TRY(tx.Exec("INSERT INTO t (i) VALUES (2)"));
    return Fail(ErrorCode::kBadRequest, "changed my mind");
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(CountT(), 1);
  // A failing statement inside rolls everything back when propagated.
  auto conflict = db_->Transaction([](Database& tx) -> Status {
    BERTH_TRY(tx.Exec("INSERT INTO t (u) VALUES ('a')"));
    BERTH_TRY(tx.Exec("INSERT INTO t (u) VALUES ('a')"));
    return Ok();
  });
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
  EXPECT_EQ(CountT(), 1);
}

TEST_F(SqliteDatabaseTest, NestedTransactions) {
  ASSERT_TRUE(db_->Transaction([](Database& tx) -> Status {
    BERTH_TRY(tx.Exec("INSERT INTO t (i) VALUES (1)"));
    BERTH_TRY(tx.Transaction([](Database& inner) -> Status {
      BERTH_TRY(inner.Exec("INSERT INTO t (i) VALUES (2)"));
      return Ok();
    }));
    auto failed = tx.Transaction([](Database& inner) -> Status {
      BERTH_TRY(inner.Exec("INSERT INTO t (i) VALUES (3)"));
      return Fail(ErrorCode::kConflict, "inner fails");
    });
    EXPECT_FALSE(failed);
    return Ok();  // the outer one carries on
  }));
  auto rows = db_->Query("SELECT i FROM t ORDER BY i");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].Int(0), 2);

  // An outer failure undoes a committed inner one.
  EXPECT_FALSE(db_->Transaction([](Database& tx) -> Status {
    BERTH_TRY(tx.Transaction([](Database& inner) -> Status {
      BERTH_TRY(inner.Exec("INSERT INTO t (i) VALUES (4)"));
      return Ok();
    }));
    return Fail(ErrorCode::kInternal, "outer fails");
  }));
  EXPECT_EQ(CountT(), 2);
}

TEST_F(SqliteDatabaseTest, ConcurrentWritersAndTransactions) {
  constexpr int kThreads = 8, kOps = 100;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kOps; ++i) {
        if (!db_->Exec("INSERT INTO t (i, s) VALUES (?, ?)", {t, "x"})) ++errors;
        // Read-modify-write: only correct if transactions are isolated.
        auto s = db_->Transaction([](Database& tx) -> Status {
          auto row = tx.QueryOne("SELECT n FROM counter");
          if (!row) return Fail(row.error());
          BERTH_TRY(tx.Exec("UPDATE counter SET n = ?", {(*row)->Int(0) + 1}));
          return Ok();
        });
        if (!s) ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(CountT(), kThreads * kOps);
  EXPECT_EQ((*db_->QueryOne("SELECT n FROM counter"))->Int(0), kThreads * kOps);
}

TEST_F(SqliteDatabaseTest, SettingsAndPersistence) {
  EXPECT_EQ((*db_->QueryOne("PRAGMA journal_mode"))->Text(0), "wal");
  EXPECT_EQ((*db_->QueryOne("PRAGMA foreign_keys"))->Int(0), 1);
  EXPECT_EQ((*db_->QueryOne("PRAGMA synchronous"))->Int(0), 1);  // NORMAL
  ASSERT_TRUE(db_->Exec("INSERT INTO t (s) VALUES ('kept')"));
  db_.reset();
  auto again = SqliteDatabase::Open((dir_.path() / "test.db").string());
  ASSERT_TRUE(again);
  EXPECT_EQ((*(*again)->QueryOne("SELECT s FROM t"))->Text(0), "kept");
}

TEST(SqliteDatabaseOpen, FailsCleanly) {
  auto db = SqliteDatabase::Open("/nonexistent-dir/x/y.db");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::kInternal);
}

}  // namespace
}  // namespace berth::metadata
