// Helpers shared by the store implementations. Internal to metadata/.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "metadata/database.h"
#include "metadata/records.h"

namespace berth::metadata::internal {

constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();

// LIMIT and OFFSET for a 1-based page; page_size <= 0 means everything.
inline int64_t Limit(const Page& page) { return page.page_size > 0 ? page.page_size : kNoLimit; }
inline int64_t Offset(const Page& page) {
  return page.page_size > 0 ? (std::max<int64_t>(page.page, 1) - 1) * page.page_size : 0;
}
// LIMIT for an `n` where n < 0 means everything.
inline int64_t LimitN(int64_t n) { return n < 0 ? kNoLimit : n; }

// A LIKE pattern (for `LIKE ? ESCAPE '\'`) matching `s` anywhere.
std::string Contains(std::string_view s);

// `e` with a specific code and message when its code is `when`; else `e` unchanged.
Error Relabel(Error e, ErrorCode when, ErrorCode code, std::string message);

// The value of a `SELECT COUNT(*) ...` query.
Result<int64_t> Count(Database& db, std::string_view sql, Params params);
inline Result<int64_t> Count(Database& db, std::string_view sql,
                             std::initializer_list<Value> params) {
  return Count(db, sql, Params(params.begin(), params.size()));
}

// Concatenates SQL fragments.
std::string Sql(std::initializer_list<std::string_view> parts);

// The filter of a listing query, built one AND-ed condition at a time so the SQL text and
// its parameters cannot drift apart. Column names are trusted text, never user input.
class Where {
 public:
  // `column = ?`.
  Where& Equal(std::string_view column, Value value);
  // `column LIKE ?` matching `s` anywhere, with the backend's own case rules.
  Where& Like(std::string_view column, std::string_view s);
  // Like, but ignoring case on every backend.
  Where& LikeNoCase(std::string_view column, std::string_view s);

  // " WHERE a AND b", or "" when there is no condition.
  std::string Sql() const;
  const std::vector<Value>& params() const { return params_; }

 private:
  std::vector<std::string> conditions_;
  std::vector<Value> params_;
};

// The total row count and the rows of one page of
// `SELECT columns FROM from WHERE ... ORDER BY order_by LIMIT ? OFFSET ?`.
struct PageRows {
  int64_t total = 0;
  std::vector<Row> rows;
};
Result<PageRows> QueryPage(Database& db, std::string_view from, std::string_view columns,
                           const Where& where, std::string_view order_by, const Page& page);

// QueryPage with every row converted by `convert(const Row&) -> T`.
template <class T, class Convert>
Result<PageResult<T>> ListPage(Database& db, std::string_view from, std::string_view columns,
                               const Where& where, std::string_view order_by, const Page& page,
                               Convert convert) {
  auto found = QueryPage(db, from, columns, where, order_by, page);
  if (!found) return Fail(found.error());
  PageResult<T> result;
  result.total = found->total;
  result.items.reserve(found->rows.size());
  for (const auto& r : found->rows) result.items.push_back(convert(r));
  return result;
}

}  // namespace berth::metadata::internal
