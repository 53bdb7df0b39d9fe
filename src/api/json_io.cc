#include "api/json_io.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <ctime>

#include "api/router.h"

namespace berth::api {
namespace {

Result<int64_t> IntParam(const QueryParams& query, std::string_view name, int64_t fallback,
                         int64_t min, int64_t max) {
  for (const auto& [k, v] : query) {
    if (k != name) continue;
    if (v.empty()) return fallback;
    auto n = ParseInt(v);
    if (!n) {
      return Fail(ErrorCode::kUnprocessable,
                  fmt::format("{} in query must be of type int64: \"{}\"", name, v));
    }
    if (*n < min) {
      return Fail(ErrorCode::kUnprocessable,
                  fmt::format("{} in query should be greater than or equal to {}", name, min));
    }
    if (*n > max) {
      return Fail(ErrorCode::kUnprocessable,
                  fmt::format("{} in query should be less than or equal to {}", name, max));
    }
    return *n;
  }
  return fallback;
}

std::string Unquote(std::string_view v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    return std::string(v.substr(1, v.size() - 2));
  }
  return std::string(v);
}

std::string PageUrl(std::string_view path, const QueryParams& query, int64_t page,
                    int64_t page_size) {
  std::string url(path);
  url += "?";
  bool first = true;
  auto append = [&](std::string_view k, std::string_view v) {
    if (!first) url += "&";
    first = false;
    url += PercentEncode(k);
    url += "=";
    url += PercentEncode(v);
  };
  for (const auto& [k, v] : query) {
    if (k == "page" || k == "page_size") continue;
    append(k, v);
  }
  append("page", std::to_string(page));
  append("page_size", std::to_string(page_size));
  return url;
}

}  // namespace

std::optional<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

Result<std::optional<bool>> QueryBool(const http::Request& request, std::string_view name) {
  auto value = request.Query(name);
  if (!value || value->empty()) return std::optional<bool>();
  std::string lower(*value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::string_view kTrue[] = {"true", "1",        "yes",     "ok", "y",
                                               "on",   "selected", "checked", "t",  "enabled"};
  static constexpr std::string_view kFalse[] = {"false", "0", "no", "n", "off", "f", "disabled"};
  if (std::ranges::find(kTrue, lower) != std::end(kTrue)) return std::optional<bool>(true);
  if (std::ranges::find(kFalse, lower) != std::end(kFalse)) return std::optional<bool>(false);
  return Fail(ErrorCode::kUnprocessable,
              fmt::format("{} in query must be of type bool (true or false): \"{}\"", name,
                          value->substr(0, 100)));
}

Result<int64_t> PathId(std::string_view text, std::string_view what, int64_t min) {
  // As Harbor's parameter validation: 422, in its words.
  auto id = ParseInt(text);
  if (!id) {
    return Fail(ErrorCode::kUnprocessable,
                fmt::format("{} in path must be of type int64: \"{}\"", what, text));
  }
  if (*id < min) {
    return Fail(ErrorCode::kUnprocessable,
                fmt::format("{} in path should be greater than or equal to {}", what, min));
  }
  return *id;
}

std::string CreatedLocation(std::string_view path, std::string_view name) {
  while (path.ends_with('/')) path.remove_suffix(1);
  return fmt::format("{}/{}", path, name);
}

std::string CreatedLocation(std::string_view path, int64_t id) {
  return CreatedLocation(path, std::to_string(id));
}

Result<metadata::Page> ParsePage(const QueryParams& query) {
  metadata::Page page;
  auto p = IntParam(query, "page", 1, 1, INT32_MAX);
  if (!p) return Fail(p.error());
  auto size = IntParam(query, "page_size", kDefaultPageSize, 1, kMaxPageSize);
  if (!size) return Fail(size.error());
  page.page = *p;
  page.page_size = *size;
  return page;
}

Result<std::vector<QueryTerm>> ParseQ(std::string_view q) {
  std::vector<QueryTerm> terms;
  size_t start = 0;
  while (start <= q.size()) {
    size_t end = q.find(',', start);
    if (end == std::string_view::npos) end = q.size();
    std::string_view part = q.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return Fail(ErrorCode::kBadRequest,
                  fmt::format("invalid query term \"{}\": expected k=v or k=~v", part));
    }
    QueryTerm term;
    term.key = std::string(part.substr(0, eq));
    std::string_view value = part.substr(eq + 1);
    if (!value.empty() && value.front() == '~') {
      term.fuzzy = true;
      value.remove_prefix(1);
    }
    if (!value.empty() && (value.front() == '[' || value.front() == '{' || value.front() == '(')) {
      return Fail(ErrorCode::kBadRequest,
                  fmt::format("query term \"{}\": range and list queries are not supported", part));
    }
    term.value = Unquote(value);
    terms.push_back(std::move(term));
  }
  return terms;
}

bool NameFilter::Matches(std::string_view name) const {
  if (value.empty()) return true;
  if (fuzzy) return name.find(value) != std::string_view::npos;
  return name == value;
}

Result<NameFilter> ParseFilter(const QueryParams& query,
                               std::initializer_list<std::string_view> keys) {
  auto wanted = [&](std::string_view key) {
    return !key.empty() && std::find(keys.begin(), keys.end(), key) != keys.end();
  };
  NameFilter filter;
  for (const auto& [k, v] : query) {
    if (wanted(k) && !v.empty()) {
      filter.value = v;
      filter.fuzzy = true;
    }
  }
  for (const auto& [k, v] : query) {
    if (k != "q" || v.empty()) continue;
    auto terms = ParseQ(v);
    if (!terms) return Fail(terms.error());
    for (auto& term : *terms) {
      if (wanted(term.key)) {
        filter.value = std::move(term.value);
        filter.fuzzy = term.fuzzy;
      }
    }
  }
  return filter;
}

Result<NameFilter> ParseNameFilter(const QueryParams& query, std::string_view alt_key) {
  return ParseFilter(query, {"name", alt_key});
}

std::string LinkHeader(std::string_view path, const QueryParams& query, const metadata::Page& page,
                       int64_t total) {
  std::vector<std::string> links;
  // As Harbor: a prev link only while the previous page holds something.
  if (page.page > 1 && (page.page - 1) * page.page_size < total) {
    links.push_back(
        fmt::format("<{}>; rel=\"prev\"", PageUrl(path, query, page.page - 1, page.page_size)));
  }
  if (page.page * page.page_size < total) {
    links.push_back(
        fmt::format("<{}>; rel=\"next\"", PageUrl(path, query, page.page + 1, page.page_size)));
  }
  std::string out;
  for (const auto& link : links) {
    if (!out.empty()) out += " , ";
    out += link;
  }
  return out;
}

void SetPagingHeaders(http::Response& response, std::string_view path, const QueryParams& query,
                      const metadata::Page& page, int64_t total) {
  response.headers.Set("X-Total-Count", std::to_string(total));
  std::string link = LinkHeader(path, query, page, total);
  if (!link.empty()) response.headers.Set("Link", std::move(link));
}

Result<nlohmann::json> ParseJsonObject(std::string_view body) {
  auto value = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return Fail(ErrorCode::kBadRequest, "the request body is not valid JSON");
  }
  if (!value.is_object()) {
    return Fail(ErrorCode::kBadRequest, "the request body must be a JSON object");
  }
  return value;
}

Result<std::optional<std::string>> OptString(const nlohmann::json& body, const char* key,
                                             std::string_view where) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return Fail(ErrorCode::kBadRequest, fmt::format("{}{} must be a string", where, key));
  }
  return std::optional(it->get<std::string>());
}

Result<std::optional<bool>> OptBool(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) {
    return Fail(ErrorCode::kBadRequest, fmt::format("{} must be a boolean", key));
  }
  return std::optional(it->get<bool>());
}

Result<std::optional<int64_t>> OptInt(const nlohmann::json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) {
    return Fail(ErrorCode::kBadRequest, fmt::format("{} must be an integer", key));
  }
  return std::optional(it->get<int64_t>());
}

http::Response ToErrorResponse(const Error& error) {
  http::Response response = http::ErrorResponse(error);
  if (error.code == ErrorCode::kUnauthorized) {
    response.headers.Set("WWW-Authenticate", "Basic realm=\"harbor\"");
  }
  return response;
}

http::Response ToJsonResponse(int status, const nlohmann::json& value) {
  return http::JsonResponse(status,
                            value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string NowRfc3339() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
}

}  // namespace berth::api
