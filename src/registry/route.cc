#include "registry/route.h"

namespace berth::registry {
namespace {

// Splits "<name><marker><arg>" where <arg> holds no '/'; false when it does not fit.
bool SplitAt(std::string_view rest, std::string_view marker, Route& route, bool arg_may_be_empty) {
  auto pos = rest.rfind(marker);
  if (pos == std::string_view::npos || pos == 0) return false;
  auto arg = rest.substr(pos + marker.size());
  if (arg.find('/') != std::string_view::npos) return false;
  if (arg.empty() && !arg_may_be_empty) return false;
  route.name = std::string(rest.substr(0, pos));
  route.arg = std::string(arg);
  return true;
}

}  // namespace

std::optional<Route> ParseRoute(std::string_view path) {
  if (path == "/v2" || path == "/v2/") return Route{RouteKind::kBase, {}, {}};
  if (!path.starts_with("/v2/")) return std::nullopt;
  std::string_view rest = path.substr(4);
  if (rest == "_catalog") return Route{RouteKind::kCatalog, {}, {}};
  Route route;
  if (rest.ends_with("/tags/list") && rest.size() > 10) {
    route.kind = RouteKind::kTags;
    route.name = std::string(rest.substr(0, rest.size() - 10));
    return route;
  }
  if (rest.ends_with("/blobs/uploads") || rest.ends_with("/blobs/uploads/")) {
    route.kind = RouteKind::kUploadStart;
    route.name = std::string(rest.substr(0, rest.rfind("/blobs/uploads")));
    if (route.name.empty()) return std::nullopt;
    return route;
  }
  struct Marker {
    std::string_view text;
    RouteKind kind;
  } markers[] = {{"/blobs/uploads/", RouteKind::kUpload},
                 {"/manifests/", RouteKind::kManifest},
                 {"/blobs/", RouteKind::kBlob},
                 {"/referrers/", RouteKind::kReferrers}};
  for (const auto& m : markers) {
    if (SplitAt(rest, m.text, route, false)) {
      route.kind = m.kind;
      return route;
    }
  }
  return std::nullopt;
}

}  // namespace berth::registry
