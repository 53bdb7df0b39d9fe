#include "metadata/store_util.h"

namespace berth::metadata::internal {

std::string Contains(std::string_view s) {
  std::string out = "%";
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('%');
  return out;
}

Error Relabel(Error e, ErrorCode when, ErrorCode code, std::string message) {
  if (e.code == when) return MakeError(code, std::move(message));
  return e;
}

Result<int64_t> Count(Database& db, std::string_view sql, Params params) {
  auto row = db.QueryOne(sql, params);
  if (!row) return Fail(row.error());
  return *row ? (*row)->Int(0) : 0;
}

std::string Sql(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out += p;
  return out;
}

Where& Where::Equal(std::string_view column, Value value) {
  conditions_.push_back(internal::Sql({column, " = ?"}));
  params_.push_back(std::move(value));
  return *this;
}

Where& Where::Like(std::string_view column, std::string_view s) {
  conditions_.push_back(internal::Sql({column, " LIKE ? ESCAPE '\\'"}));
  params_.emplace_back(Contains(s));
  return *this;
}

Where& Where::LikeNoCase(std::string_view column, std::string_view s) {
  conditions_.push_back(internal::Sql({"LOWER(", column, ") LIKE LOWER(?) ESCAPE '\\'"}));
  params_.emplace_back(Contains(s));
  return *this;
}

std::string Where::Sql() const {
  std::string out;
  for (const auto& c : conditions_) out += internal::Sql({out.empty() ? " WHERE " : " AND ", c});
  return out;
}

Result<PageRows> QueryPage(Database& db, std::string_view from, std::string_view columns,
                           const Where& where, std::string_view order_by, const Page& page) {
  const std::string filter = where.Sql();
  std::vector<Value> params = where.params();
  auto total = Count(db, Sql({"SELECT COUNT(*) FROM ", from, filter}), params);
  if (!total) return Fail(total.error());
  params.emplace_back(Limit(page));
  params.emplace_back(Offset(page));
  auto rows = db.Query(Sql({"SELECT ", columns, " FROM ", from, filter, " ORDER BY ", order_by,
                            " LIMIT ? OFFSET ?"}),
                       params);
  if (!rows) return Fail(rows.error());
  return PageRows{*total, std::move(*rows)};
}

}  // namespace berth::metadata::internal
