// The proxy-cache step of GET/HEAD on manifests and blobs (see pull_through.h).
#include "registry/pull_through.h"

#include <charconv>
#include <functional>

#include "registry/registry_service.h"

namespace berth::registry {
namespace {

// The seconds of a "retry-after=<seconds>" detail, if any.
std::optional<std::string> RetryAfterSeconds(const Error& error) {
  static constexpr std::string_view kKey = "retry-after=";
  auto pos = error.detail.find(kKey);
  if (pos == std::string::npos) return std::nullopt;
  auto rest = std::string_view(error.detail).substr(pos + kKey.size());
  int64_t seconds = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), seconds);
  if (ec != std::errc() || seconds < 0) return std::nullopt;
  return std::to_string(seconds);
}

}  // namespace

http::Task<std::optional<http::Response>> RegistryService::PullThroughFirst(const Route& route) {
  Result<metadata::Project> project = content_.ResolveProject(route.name);
  if (!project || project->registry_id == 0) co_return std::nullopt;
  PullThrough* filler = pull_through_;
  std::function<Status()> work = [filler, p = *project, name = route.name, arg = route.arg,
                                  blob = route.kind == RouteKind::kBlob]() -> Status {
    if (blob) return filler->EnsureBlob(p, name, arg);
    return filler->EnsureManifest(p, name, arg);
  };
  Status status;
  if (pool_ != nullptr) {
    status = co_await pool_->Run<Status>(std::move(work));
  } else {
    status = work();
  }
  if (status) co_return std::nullopt;
  http::Response resp = RegistryError(status.error());
  if (status.error().code == ErrorCode::kTooManyRequests) {
    std::optional<std::string> after = RetryAfterSeconds(status.error());
    if (after) resp.headers.Set("Retry-After", *after);
  }
  co_return resp;
}

}  // namespace berth::registry
