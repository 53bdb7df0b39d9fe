#include "metadata/sqlite_database.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <cctype>
#include <exception>

namespace berth::metadata {
namespace {

constexpr int kBusyTimeoutMs = 5000;

bool OnlyWhitespaceOrComments(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (std::isspace(static_cast<unsigned char>(s[i])) || s[i] == ';') continue;
    if (s.substr(i, 2) == "--") {
      i = s.find('\n', i);
      if (i == std::string_view::npos) return true;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

void SqliteDatabase::StmtDeleter::operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(raw));
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    spdlog::error("sqlite: cannot open database: {}", msg);
    return Fail(ErrorCode::kInternal, "cannot open the metadata database: " + msg);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    BERTH_TRY(db->ExecLocked(pragma));
  }
  return db;
}

SqliteDatabase::~SqliteDatabase() {
  statements_.clear();
  if (db_) sqlite3_close_v2(db_);
}

Error SqliteDatabase::LastError(std::string_view what) {
  what = what.substr(0, 200);
  int code = sqlite3_extended_errcode(db_);
  std::string msg = sqlite3_errmsg(db_);
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      spdlog::debug("sqlite: {}: {}", what, msg);
      return MakeError(ErrorCode::kConflict, "the record already exists");
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      spdlog::debug("sqlite: {}: {}", what, msg);
      return MakeError(ErrorCode::kPrecondition,
                       "the record is referenced or refers to a "
                       "missing record");
    default:
      spdlog::error("sqlite: {}: {} (code {})", what, msg, code);
      return MakeError(ErrorCode::kInternal, "metadata database error");
  }
}

Status SqliteDatabase::ExecLocked(const char* sql) {
  std::lock_guard lock(mu_);
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Fail(LastError(sql));
  }
  return Ok();
}

Result<sqlite3_stmt*> SqliteDatabase::Prepare(std::string_view sql, Params params) {
  auto it = statements_.find(std::string(sql));
  if (it == statements_.end()) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &raw, &tail) != SQLITE_OK) {
      return Fail(LastError("prepare"));
    }
    Stmt stmt(raw);
    if (!stmt || !OnlyWhitespaceOrComments(sql.substr(tail - sql.data()))) {
      spdlog::error("sqlite: not exactly one statement: {}", sql);
      return Fail(ErrorCode::kInternal, "metadata database error");
    }
    it = statements_.emplace(std::string(sql), std::move(stmt)).first;
  }
  sqlite3_stmt* stmt = it->second.get();
  if (sqlite3_bind_parameter_count(stmt) != static_cast<int>(params.size())) {
    spdlog::error("sqlite: statement wants {} parameters, got {}: {}",
                  sqlite3_bind_parameter_count(stmt), params.size(), sql);
    return Fail(ErrorCode::kInternal, "metadata database error");
  }
  for (size_t i = 0; i < params.size(); ++i) {
    int idx = static_cast<int>(i + 1);
    const auto& v = params[i].storage();
    int rc = SQLITE_OK;
    if (auto p = std::get_if<int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, idx, *p);
    } else if (auto p = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, idx, *p);
    } else if (auto p = std::get_if<std::string>(&v)) {
      rc = sqlite3_bind_text64(stmt, idx, p->data(), p->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else {
      rc = sqlite3_bind_null(stmt, idx);
    }
    if (rc != SQLITE_OK) {
      sqlite3_clear_bindings(stmt);
      return Fail(LastError("bind"));
    }
  }
  return stmt;
}

Status SqliteDatabase::Run(sqlite3_stmt* stmt, std::vector<Row>* rows) {
  Status status;
  for (;;) {
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      status = Fail(LastError(sqlite3_sql(stmt)));
      break;
    }
    if (!rows) continue;
    int n = sqlite3_column_count(stmt);
    std::vector<Value> values;
    values.reserve(n);
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          values.emplace_back(static_cast<long long>(sqlite3_column_int64(stmt, c)));
          break;
        case SQLITE_FLOAT:
          values.emplace_back(sqlite3_column_double(stmt, c));
          break;
        case SQLITE_NULL:
          values.emplace_back();
          break;
        default: {
          auto text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          values.emplace_back(std::string(text ? text : "", sqlite3_column_bytes(stmt, c)));
        }
      }
    }
    rows->emplace_back(std::move(values));
  }
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return status;
}

Result<int64_t> SqliteDatabase::Exec(std::string_view sql, Params params) {
  std::lock_guard lock(mu_);
  auto stmt = Prepare(sql, params);
  if (!stmt) return Fail(stmt.error());
  BERTH_TRY(Run(*stmt, nullptr));
  return static_cast<int64_t>(sqlite3_changes64(db_));
}

Result<std::vector<Row>> SqliteDatabase::Query(std::string_view sql, Params params) {
  std::lock_guard lock(mu_);
  auto stmt = Prepare(sql, params);
  if (!stmt) return Fail(stmt.error());
  std::vector<Row> rows;
  BERTH_TRY(Run(*stmt, &rows));
  return rows;
}

Status SqliteDatabase::ExecScript(std::string_view sql) {
  return ExecLocked(std::string(sql).c_str());
}

Status SqliteDatabase::Transaction(const std::function<Status(Database&)>& fn) {
  std::lock_guard lock(mu_);
  const bool outer = transaction_depth_ == 0;
  const std::string savepoint = "berth_sp" + std::to_string(transaction_depth_);
  BERTH_TRY(ExecLocked(outer ? "BEGIN IMMEDIATE" : ("SAVEPOINT " + savepoint).c_str()));
  ++transaction_depth_;
  Status status;
  try {
    status = fn(*this);
  } catch (const std::exception& e) {
    spdlog::error("sqlite: transaction aborted by exception: {}", e.what());
    status = Fail(ErrorCode::kInternal, "metadata database error");
  }
  --transaction_depth_;
  if (status) {
    status = ExecLocked(outer ? "COMMIT" : ("RELEASE " + savepoint).c_str());
    if (status) return status;
  }
  if (outer) {
    (void)ExecLocked("ROLLBACK");
  } else {
    auto rollback = "ROLLBACK TO " + savepoint + "; RELEASE " + savepoint;
    (void)ExecLocked(rollback.c_str());
  }
  return status;
}

}  // namespace berth::metadata
