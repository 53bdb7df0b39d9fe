// Helpers shared by the store implementations. Internal to metadata/.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>

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

}  // namespace berth::metadata::internal
