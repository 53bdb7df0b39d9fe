// SqliteDatabase: the embedded Database backend (one file, WAL mode).
//
// One connection guarded by a mutex: statements take microseconds, so serialising them
// costs less than a pool would. Prepared statements are cached by SQL text, so stores
// should use constant SQL strings. Settings: journal_mode=WAL, synchronous=NORMAL,
// foreign_keys=ON, busy_timeout 5 s (other processes on the same file wait, not fail).
// Top-level transactions use BEGIN IMMEDIATE; nested ones use savepoints.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "metadata/database.h"

struct sqlite3;
struct sqlite3_stmt;

namespace berth::metadata {

class SqliteDatabase final : public Database {
 public:
  // Opens (creating when missing) the database file at `path`; ":memory:" gives a
  // private in-memory database. kInternal when it cannot be opened or configured.
  static Result<std::unique_ptr<SqliteDatabase>> Open(const std::string& path);
  ~SqliteDatabase() override;
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  using Database::Exec;
  using Database::Query;

  Dialect dialect() const override { return Dialect::kSqlite; }
  Result<int64_t> Exec(std::string_view sql, Params params) override;
  Result<std::vector<Row>> Query(std::string_view sql, Params params) override;
  Status ExecScript(std::string_view sql) override;
  Status Transaction(const std::function<Status(Database&)>& fn) override;

 private:
  struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const;
  };
  using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

  explicit SqliteDatabase(sqlite3* db) : db_(db) {}

  // The cached statement for `sql`, bound to `params`. Requires mu_.
  Result<sqlite3_stmt*> Prepare(std::string_view sql, Params params);
  // Steps `stmt` to the end, appending rows to `rows` when given; resets it. Requires mu_.
  Status Run(sqlite3_stmt* stmt, std::vector<Row>* rows);
  // The Error for the connection's last failure, logged with `what`. Requires mu_.
  Error LastError(std::string_view what);
  Status ExecLocked(const char* sql);

  std::recursive_mutex mu_;
  sqlite3* db_;
  std::unordered_map<std::string, Stmt> statements_;  // guarded by mu_
  int transaction_depth_ = 0;                         // guarded by mu_
};

}  // namespace berth::metadata
