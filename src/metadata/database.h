// Database: the small SQL interface the metadata stores use. Backends: SQLite
// (sqlite_database.h) and, later, PostgreSQL; callers do not change between them.
//
// SQL is written with `?` placeholders (a PostgreSQL backend rewrites them to $1..$n)
// and in the common dialect of SQLite >= 3.35 and PostgreSQL: `INSERT ... RETURNING`,
// `ON CONFLICT ... DO UPDATE/NOTHING`, `LIMIT ? OFFSET ?`. Booleans are stored as
// integers 0/1; times as RFC 3339 text.
//
// Errors: a UNIQUE or PRIMARY KEY violation is kConflict, a FOREIGN KEY violation
// kPrecondition, anything else kInternal. Messages never contain SQL or parameters; the
// backend logs the driver's message.
//
// Thread safety: every method may be called from any thread. A Transaction runs its
// function while holding the database exclusively, so other threads wait until it ends;
// inside it, use the Database& passed to the function (it is the same object).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.h"

namespace berth::metadata {

// One SQL value: NULL, 64-bit integer, double or text. Implicitly constructible from
// the C++ types stores use, so parameters read naturally: {project_id, name, true}.
class Value {
 public:
  using Storage = std::variant<std::monostate, int64_t, double, std::string>;

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool v) : v_(int64_t{v ? 1 : 0}) {}
  Value(int v) : v_(int64_t{v}) {}
  Value(long v) : v_(int64_t{v}) {}
  Value(long long v) : v_(static_cast<int64_t>(v)) {}
  Value(unsigned v) : v_(int64_t{v}) {}
  Value(unsigned long v) : v_(static_cast<int64_t>(v)) {}
  Value(double v) : v_(v) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(std::string_view v) : v_(std::string(v)) {}
  Value(std::string v) : v_(std::move(v)) {}
  template <typename T>
  Value(const std::optional<T>& v) {
    if (v) *this = Value(*v);
  }

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  const Storage& storage() const { return v_; }
  bool operator==(const Value&) const = default;

 private:
  Storage v_;
};

// One result row. Getters convert leniently: NULL reads as 0 / 0.0 / "" (use IsNull to
// tell), an integer column read as text gives its decimal form, and so on.
class Row {
 public:
  Row() = default;
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}

  size_t size() const { return values_.size(); }
  bool IsNull(size_t i) const { return values_.at(i).is_null(); }
  int64_t Int(size_t i) const;
  bool Bool(size_t i) const { return Int(i) != 0; }
  double Double(size_t i) const;
  std::string Text(size_t i) const;
  std::optional<int64_t> OptInt(size_t i) const {
    return IsNull(i) ? std::nullopt : std::optional(Int(i));
  }
  const Value& at(size_t i) const { return values_.at(i); }

 private:
  std::vector<Value> values_;
};

using Params = std::span<const Value>;

class Database {
 public:
  enum class Dialect { kSqlite, kPostgres };

  virtual ~Database() = default;

  virtual Dialect dialect() const = 0;

  // Runs one statement; returns the number of rows it changed.
  virtual Result<int64_t> Exec(std::string_view sql, Params params) = 0;
  // Runs one statement and returns all its rows (also for INSERT ... RETURNING).
  virtual Result<std::vector<Row>> Query(std::string_view sql, Params params) = 0;
  // Runs several `;`-separated statements without parameters (migrations).
  virtual Status ExecScript(std::string_view sql) = 0;
  // Runs `fn` in a transaction: commits when it succeeds, rolls back when it returns an
  // error (which is then returned). Nested calls on the same thread nest (a failing
  // inner call rolls back only its own work when the outer one carries on).
  virtual Status Transaction(const std::function<Status(Database&)>& fn) = 0;

  // Conveniences with brace-list parameters: db.Query("... ?", {id}).
  Result<int64_t> Exec(std::string_view sql, std::initializer_list<Value> params = {}) {
    return Exec(sql, Params(params.begin(), params.size()));
  }
  Result<std::vector<Row>> Query(std::string_view sql, std::initializer_list<Value> params = {}) {
    return Query(sql, Params(params.begin(), params.size()));
  }
  // The first row, std::nullopt when there is none.
  Result<std::optional<Row>> QueryOne(std::string_view sql, Params params);
  Result<std::optional<Row>> QueryOne(std::string_view sql,
                                      std::initializer_list<Value> params = {}) {
    return QueryOne(sql, Params(params.begin(), params.size()));
  }
};

}  // namespace berth::metadata
