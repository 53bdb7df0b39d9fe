// Parsing of /v2 request paths into typed routes. Repository names may contain '/', so
// the route kind is found from the end of the path.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::registry {

enum class RouteKind {
  kBase,         // /v2/
  kCatalog,      // /v2/_catalog
  kTags,         // /v2/<name>/tags/list
  kManifest,     // /v2/<name>/manifests/<reference>
  kBlob,         // /v2/<name>/blobs/<digest>
  kUploadStart,  // /v2/<name>/blobs/uploads/
  kUpload,       // /v2/<name>/blobs/uploads/<id>
  kReferrers,    // /v2/<name>/referrers/<digest>
};

struct Route {
  RouteKind kind = RouteKind::kBase;
  std::string name;  // repository, unvalidated
  std::string arg;   // reference, digest or upload id, unvalidated
};

// std::nullopt when the path is not a /v2 route.
std::optional<Route> ParseRoute(std::string_view path);

}  // namespace berth::registry
