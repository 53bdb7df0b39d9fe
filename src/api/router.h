// Route matching for /api/v2.0: method + path pattern with `{name}` segments.
//
// Pure and allocation-light; no I/O. Thread safety: a RouteTable is immutable after
// construction and may be shared by every io thread.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/percent_encoding.h"

namespace berth::api {

using PathParams = std::map<std::string, std::string, std::less<>>;

// Decodes %XX escapes (and nothing else: '+' stays '+'). Malformed escapes are kept
// verbatim.
std::string PercentDecode(std::string_view text);
// PercentEncode (common/percent_encoding.h) is the inverse.

// Splits a raw (still percent-encoded) path without query into segments, decoding each
// segment once. Empty segments (double or trailing slashes) are dropped, so an encoded
// "%2F" survives as a "/" inside one segment.
std::vector<std::string> SplitPath(std::string_view raw_path);

// Matches `segments` against a pattern like "projects/{project_name}/members". Literal
// segments must be equal; `{x}` binds one segment to "x".
std::optional<PathParams> MatchPattern(std::string_view pattern,
                                       const std::vector<std::string>& segments);

// Harbor's repository_name parameter: the repository path after the project, encoded
// twice when it contains '/' ("a/b" -> "a%252Fb"). Given the segment decoded once,
// returns it decoded again when it still contains "%2F" escapes.
std::string DecodeRepositoryParam(std::string_view once_decoded);

// A method + pattern table. Find reports NOT_FOUND when no pattern matches the path and
// METHOD_NOT_ALLOWED when a pattern matches but not for this method. A HEAD request
// falls back to the GET route of the same pattern when there is no HEAD route.
template <typename H>
class RouteTable {
 public:
  struct Match {
    const H* handler = nullptr;
    PathParams params;
    bool head_as_get = false;  // served by the GET handler; the body must be dropped
  };

  void Add(std::string method, std::string pattern, H handler) {
    routes_.push_back({std::move(method), std::move(pattern), std::move(handler)});
  }

  Result<Match> Find(std::string_view method, const std::vector<std::string>& segments) const {
    bool path_known = false;
    const Route* get_route = nullptr;
    PathParams get_params;
    for (const auto& route : routes_) {
      auto params = MatchPattern(route.pattern, segments);
      if (!params) continue;
      path_known = true;
      if (route.method == method) return Match{&route.handler, std::move(*params), false};
      if (method == "HEAD" && route.method == "GET" && get_route == nullptr) {
        get_route = &route;
        get_params = std::move(*params);
      }
    }
    if (get_route != nullptr) return Match{&get_route->handler, std::move(get_params), true};
    if (path_known) {
      return Fail(ErrorCode::kMethodNotAllowed,
                  "method " + std::string(method) + " is not allowed on this resource");
    }
    return Fail(ErrorCode::kNotFound, "no such API resource");
  }

  // The methods with a route for this path, for the Allow header of a 405 (HEAD with GET).
  std::vector<std::string> Allowed(const std::vector<std::string>& segments) const {
    std::vector<std::string> methods;
    auto add = [&](const std::string& m) {
      if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
    };
    for (const auto& route : routes_) {
      if (!MatchPattern(route.pattern, segments)) continue;
      add(route.method);
      if (route.method == "GET") add("HEAD");
    }
    return methods;
  }

 private:
  struct Route {
    std::string method;
    std::string pattern;
    H handler;
  };
  std::vector<Route> routes_;
};

}  // namespace berth::api
