#include "proxy/proxy_cache.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "common/names.h"
#include "remote/url.h"
#include "replication/transfer/remote_end.h"

namespace berth::proxy {
namespace {

bool Retryable(const Error& error) {
  return error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kTooManyRequests;
}

std::unexpected<Error> Unreachable(const std::string& name, std::string_view why) {
  return Fail(ErrorCode::kUnavailable,
              fmt::format("the upstream registry {} is unreachable: {}", name, why));
}

// True when the upstream answered that something is absent or wrong with the content
// itself, rather than failing to answer.
bool ContentError(const Error& error) {
  switch (error.code) {
    case ErrorCode::kNotFound:
    case ErrorCode::kNameUnknown:
    case ErrorCode::kManifestUnknown:
    case ErrorCode::kManifestInvalid:
    case ErrorCode::kManifestBlobUnknown:
    case ErrorCode::kBlobUnknown:
    case ErrorCode::kDigestInvalid:
    case ErrorCode::kSizeInvalid:
      return true;
    default:
      return false;
  }
}

// The error a caller gets for an upstream failure when nothing is cached.
std::unexpected<Error> UpstreamFailure(const std::string& name, const Error& error) {
  if (error.code == ErrorCode::kTooManyRequests) {
    return std::unexpected(MakeError(
        ErrorCode::kTooManyRequests,
        fmt::format("too many requests to the upstream registry {}: {}", name, error.message),
        error.detail));
  }
  return Unreachable(name, error.message);
}

}  // namespace

std::string UpstreamRepository(std::string_view project, std::string_view repository,
                               bool docker_hub) {
  std::string_view path = repository;
  if (path.size() > project.size() && path.starts_with(project) && path[project.size()] == '/') {
    path.remove_prefix(project.size() + 1);
  }
  if (docker_hub && path.find('/') == std::string_view::npos) return "library/" + std::string(path);
  return std::string(path);
}

ProxyCache::ProxyCache(endpoints::EndpointService& endpoints, const replication::LocalStores& local,
                       ProxyOptions options)
    : endpoints_(endpoints),
      local_(local),
      local_end_(replication::MakeLocalEnd(local_)),
      options_(options) {}

ProxyCache::~ProxyCache() = default;

Result<ProxyCache::Upstream> ProxyCache::Connect(const metadata::Project& project,
                                                 std::string_view repository) {
  auto view = endpoints_.Get(project.registry_id);
  if (!view) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("the upstream registry of project {} is unreachable: {}", project.name,
                            view.error().message));
  }
  Upstream up;
  up.name = view->name;
  up.repository = UpstreamRepository(project.name, repository, view->type == "docker-hub");
  if (view->status == "unhealthy") {
    up.unhealthy = view->last_error.empty() ? "it is marked unhealthy" : view->last_error;
  }
  std::lock_guard lock(mu_);
  CachedEnd& cached = ends_[project.registry_id];
  if (!cached.end || cached.update_time != view->update_time) {
    auto adapter = endpoints_.Connect(project.registry_id);
    if (!adapter) return Unreachable(up.name, adapter.error().message);
    cached.end =
        replication::MakeRemoteEnd(std::move(*adapter), fmt::format("{} {}", view->type, view->url),
                                   remote::HostPort(view->url));
    if (options_.decorate) cached.end = options_.decorate(std::move(cached.end));
    cached.update_time = view->update_time;
  }
  up.end = cached.end;
  return up;
}

Status ProxyCache::EnsureManifest(const metadata::Project& project, std::string_view repository,
                                  std::string_view reference) {
  auto ref = ParseReference(reference);
  if (!ref) return Fail(ref.error());
  auto local = local_end_->HeadManifest(repository, reference);
  if (!local) return Fail(local.error());
  const bool cached = local->has_value();
  if (cached && ref->is_digest) return Ok();

  auto up = Connect(project, repository);
  if (!up) {
    if (cached) return Ok();
    return Fail(up.error());
  }
  if (!up->unhealthy.empty()) {
    if (cached) return Ok();
    return Unreachable(up->name, up->unhealthy);
  }
  auto head = up->end->HeadManifest(up->repository, reference);
  if (!head) {
    if (cached) {
      spdlog::warn("proxy: {}:{}: serving the cached copy: {}", repository, reference,
                   head.error().message);
      return Ok();
    }
    return UpstreamFailure(up->name, head.error());
  }
  if (!head->has_value()) {
    if (cached) return Ok();
    return Fail(ErrorCode::kManifestUnknown,
                fmt::format("manifest {} is not in {} on the upstream registry {}", reference,
                            up->repository, up->name));
  }
  const replication::ManifestInfo& remote = **head;
  if (cached && (*local)->digest == remote.digest) return Ok();

  replication::ArtifactRef artifact{.digest = remote.digest, .media_type = remote.media_type};
  if (!ref->is_digest) artifact.tags.push_back(std::string(reference));
  replication::CopyRequest request{.src_repository = up->repository,
                                   .dst_repository = std::string(repository),
                                   .artifacts = {artifact}};
  std::string key = fmt::format("manifest {}:{}@{}", repository, reference, remote.digest);
  Status copied = flights_.Do(key, [&]() -> Status {
    replication::TransferOptions options;
    options.override_tags = true;
    options.retries = options_.retries;
    options.backoff = options_.backoff;
    options.hosts = options_.hosts;
    replication::CopyReport report;
    return replication::CopyRepository(*up->end, *local_end_, request, options, report);
  });
  if (copied) return Ok();
  if (cached) {
    spdlog::warn("proxy: {}:{}: serving the cached copy: {}", repository, reference,
                 copied.error().message);
    return Ok();
  }
  if (ContentError(copied.error())) return Fail(copied.error());
  return UpstreamFailure(up->name, copied.error());
}

Status ProxyCache::EnsureBlob(const metadata::Project& project, std::string_view repository,
                              std::string_view digest_text) {
  auto digest = Digest::Parse(digest_text);
  if (!digest) return Fail(digest.error());
  auto linked = local_end_->BlobSize(repository, digest_text);
  if (!linked) return Fail(linked.error());
  if (linked->has_value()) return Ok();

  auto up = Connect(project, repository);
  if (!up) return Fail(up.error());
  if (!up->unhealthy.empty()) return Unreachable(up->name, up->unhealthy);
  std::string key = fmt::format("blob {}@{}", repository, digest->str());
  return flights_.Do(key, [&]() -> Status {
    // An earlier flight may have finished between the check above and this one.
    auto again = local_end_->BlobSize(repository, digest_text);
    if (again && again->has_value()) return Ok();
    return FetchBlob(*up, repository, *digest);
  });
}

Status ProxyCache::FetchBlob(const Upstream& up, std::string_view repository,
                             const Digest& digest) {
  auto repo = local_.content->ResolveRepository(repository, true);
  if (!repo) return Fail(repo.error());
  if (local_.blobs->Stat(digest)) {
    // Held for another repository: link it once the upstream confirms this one has it.
    auto size = up.end->BlobSize(up.repository, digest.str());
    if (!size) return UpstreamFailure(up.name, size.error());
    if (!size->has_value()) {
      return Fail(ErrorCode::kBlobUnknown,
                  fmt::format("blob {} is not in {} on the upstream registry {}", digest.str(),
                              up.repository, up.name));
    }
    return local_.content->LinkBlob(*repo, digest);
  }
  auto writer = local_.blobs->CreateUpload();
  if (!writer) return Fail(writer.error());
  storage::BlobWriter& w = **writer;
  replication::ByteSink sink = [&w](std::span<const char> data) { return w.Write(data); };
  Status read;
  auto delay = options_.backoff;
  for (int attempt = 0;; ++attempt) {
    read = up.end->ReadBlob(up.repository, digest.str(), w.size(), sink, {});
    if (read || !Retryable(read.error()) || attempt >= options_.retries) break;
    std::this_thread::sleep_for(delay);
    delay *= 2;
  }
  if (read) read = w.Commit(digest);
  if (!read) {
    (void)w.Cancel();
    const Error& error = read.error();
    if (error.code == ErrorCode::kBlobUnknown || error.code == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kBlobUnknown,
                  fmt::format("blob {} is not in {} on the upstream registry {}", digest.str(),
                              up.repository, up.name));
    }
    if (ContentError(error)) return Fail(error);
    return UpstreamFailure(up.name, error);
  }
  return local_.content->LinkBlob(*repo, digest);
}

}  // namespace berth::proxy
