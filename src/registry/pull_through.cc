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

http::Task<std::optional<http::Response>> RegistryService::PullThroughFirst(
    const http::Request& request, const Route& route) {
  Result<metadata::Project> project = content_.ResolveProject(route.name);
  if (!project || project->registry_id == 0) co_return std::nullopt;
  PullThrough* filler = pull_through_;
  const bool blob = route.kind == RouteKind::kBlob;
  const bool head = request.method == "HEAD";
  const bool stream = !request.headers.Get("Range").has_value();
  // What the filler answers: a stream, a size, or neither (serve from the local store).
  struct Filled {
    std::optional<BlobStream> stream;
    std::optional<int64_t> size;
  };
  std::function<Result<Filled>()> work = [filler, p = *project, name = route.name, arg = route.arg,
                                          blob, head, stream]() -> Result<Filled> {
    Filled out;
    if (!blob) {
      BERTH_TRY(filler->EnsureManifest(p, name, arg));
    } else if (head) {
      auto size = filler->StatBlob(p, name, arg);
      if (!size) return Fail(size.error());
      out.size = *size;
    } else {
      auto opened = filler->OpenBlob(p, name, arg, stream);
      if (!opened) return Fail(opened.error());
      out.stream = std::move(*opened);
    }
    return out;
  };
  Result<Filled> filled;
  if (pool_ != nullptr) {
    filled = co_await pool_->Run<Result<Filled>>(std::move(work));
  } else {
    filled = work();
  }
  if (filled) {
    if (!filled->stream && !filled->size) co_return std::nullopt;
    // Not in the local store yet: answered from the upstream's size or the download.
    http::Response resp;
    resp.headers.Set("Docker-Content-Digest", route.arg);
    resp.headers.Set("Content-Type", "application/octet-stream");
    resp.headers.Set("ETag", "\"" + route.arg + "\"");
    if (filled->size) {
      resp.head_length = static_cast<uint64_t>(*filled->size);
    } else {
      resp.source_length = static_cast<uint64_t>(filled->stream->size);
      resp.source = std::move(filled->stream->body);
    }
    co_return resp;
  }
  http::Response resp = RegistryError(filled.error());
  if (filled.error().code == ErrorCode::kTooManyRequests) {
    std::optional<std::string> after = RetryAfterSeconds(filled.error());
    if (after) resp.headers.Set("Retry-After", *after);
  }
  co_return resp;
}

}  // namespace berth::registry
