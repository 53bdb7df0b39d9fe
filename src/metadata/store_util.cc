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

}  // namespace berth::metadata::internal
