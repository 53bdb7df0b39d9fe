// Shared request parsing and response shaping for /api/v2.0: paging (page, page_size,
// q), the X-Total-Count and Link headers, JSON bodies and the Harbor error envelope.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "http/message.h"
#include "metadata/records.h"

namespace berth::api {

inline constexpr int64_t kDefaultPageSize = 10;
inline constexpr int64_t kMaxPageSize = 100;

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// page (>= 1, default 1) and page_size (1..100, default 10). UNPROCESSABLE_ENTITY (422,
// as Harbor's parameter validation) naming the parameter when a value is not an integer
// or out of range.
Result<metadata::Page> ParsePage(const QueryParams& query);

// One term of Harbor's `q` parameter: "k=v" (exact) or "k=~v" (fuzzy).
struct QueryTerm {
  std::string key;
  std::string value;
  bool fuzzy = false;
};
// Parses "k1=v1,k2=~v2". Values may be quoted with " or '. Range and list forms are not
// supported: BAD_REQUEST with a message saying so.
Result<std::vector<QueryTerm>> ParseQ(std::string_view q);

// A name filter gathered from `name=` (fuzzy, Harbor's list semantics) and `q`
// (key `name`, or `alt_key` when given, e.g. "username").
struct NameFilter {
  std::string value;  // empty = no filter
  bool fuzzy = true;
  bool Matches(std::string_view name) const;
};
Result<NameFilter> ParseNameFilter(const QueryParams& query, std::string_view alt_key = {});
// The same for any of `keys` (e.g. {"email"}): the bare parameter (fuzzy) or a q term.
Result<NameFilter> ParseFilter(const QueryParams& query,
                               std::initializer_list<std::string_view> keys);

// The Link header value for a page of `total` items at `path` (e.g.
// "/api/v2.0/projects"): `<path?...page=N-1...>; rel="prev" , <...>; rel="next"`, with
// every other query parameter kept. Empty when there is neither a previous nor a next page.
std::string LinkHeader(std::string_view path, const QueryParams& query, const metadata::Page& page,
                       int64_t total);

// Sets X-Total-Count and, when non-empty, Link.
void SetPagingHeaders(http::Response& response, std::string_view path, const QueryParams& query,
                      const metadata::Page& page, int64_t total);

// The [begin, end) slice of `items` for `page` (for lists filtered in memory).
template <typename T>
std::vector<T> Slice(std::vector<T> items, const metadata::Page& page) {
  const auto n = static_cast<int64_t>(items.size());
  int64_t begin = std::min(n, (page.page - 1) * page.page_size);
  int64_t end = std::min(n, begin + page.page_size);
  return std::vector<T>(std::make_move_iterator(items.begin() + begin),
                        std::make_move_iterator(items.begin() + end));
}

// Parses a JSON object body; BAD_REQUEST with the parser's complaint otherwise.
Result<nlohmann::json> ParseJsonObject(std::string_view body);

// Optional fields of a JSON object body: absent or null gives nullopt, another JSON type
// BAD_REQUEST "<where><key> must be a string" (a boolean, an integer).
Result<std::optional<std::string>> OptString(const nlohmann::json& body, const char* key,
                                             std::string_view where = "");
Result<std::optional<bool>> OptBool(const nlohmann::json& body, const char* key);
Result<std::optional<int64_t>> OptInt(const nlohmann::json& body, const char* key);

// The Harbor error envelope for `error`; a 401 also carries
// `WWW-Authenticate: Basic realm="harbor"`.
http::Response ToErrorResponse(const Error& error);
// 200/201 JSON response from a json value.
http::Response ToJsonResponse(int status, const nlohmann::json& value);

// A 200 JSON array of `list`'s items, each through `to_json`, with the paging headers
// for `list.total` (see SetPagingHeaders).
template <typename T, typename ToJson>
http::Response PageResponse(std::string_view path, const QueryParams& query,
                            const metadata::Page& page, const metadata::PageResult<T>& list,
                            ToJson&& to_json) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& item : list.items) items.push_back(to_json(item));
  auto response = ToJsonResponse(200, items);
  SetPagingHeaders(response, path, query, page, list.total);
  return response;
}

// Parses a decimal int64; std::nullopt for anything else (sign, spaces, overflow).
std::optional<int64_t> ParseInt(std::string_view text);

// A numeric path parameter such as {id}: UNPROCESSABLE_ENTITY (422, as Harbor) when it is
// not an integer or is below `min`.
// Boolean query parameter `name`, read as Harbor's generated API reads one (true, 1, yes,
// on, t, … / false, 0, no, off, f, …, any case): std::nullopt when absent or empty, 422
// naming it for anything else.
Result<std::optional<bool>> QueryBool(const http::Request& request, std::string_view name);

Result<int64_t> PathId(std::string_view text, std::string_view what,
                       int64_t min = std::numeric_limits<int64_t>::min());

// The Location of the item `id` (or `name`) created by a POST to `path` (trailing slashes
// dropped).
std::string CreatedLocation(std::string_view path, int64_t id);
std::string CreatedLocation(std::string_view path, std::string_view name);

// Current UTC time as RFC 3339 with milliseconds, "2026-11-27T10:00:00.000Z".
std::string NowRfc3339();

}  // namespace berth::api
