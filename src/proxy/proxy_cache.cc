#include "proxy/proxy_cache.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <set>
#include <shared_mutex>
#include <thread>

#include "common/names.h"
#include "remote/url.h"
#include "replication/transfer/remote_end.h"

namespace berth::proxy {
namespace {

// Worth another attempt here. A 429 is not: it goes back to the client with the
// upstream's Retry-After at once (a cached copy is served instead when there is one).
bool Retryable(const Error& error) { return error.code == ErrorCode::kUnavailable; }

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

ProxyCache::~ProxyCache() {
  {
    std::lock_guard lock(expiry_mu_);
    expiry_stop_ = true;
  }
  expiry_wake_.notify_all();
  if (expiry_thread_.joinable()) expiry_thread_.join();
  cancel_->store(true);
  std::unique_lock lock(mu_);
  downloads_done_.wait(lock, [this] { return downloads_ == 0; });
}

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
  auto end = ends_.Get(project.registry_id, view->update_time,
                       [&]() -> Result<std::shared_ptr<replication::RegistryEnd>> {
                         // One attempt per request: the cache retries what is worth retrying
                         // itself, and a cached copy is served at the first failure instead of
                         // after a retry back-off.
                         auto adapter = endpoints_.Connect(project.registry_id, 1);
                         if (!adapter) return Unreachable(up.name, adapter.error().message);
                         std::shared_ptr<replication::RegistryEnd> made =
                             replication::MakeRemoteEnd(std::move(*adapter),
                                                        fmt::format("{} {}", view->type, view->url),
                                                        remote::HostPort(view->url));
                         if (options_.decorate) made = options_.decorate(std::move(made));
                         return made;
                       });
  if (!end) return Fail(end.error());
  up.end = std::move(*end);
  return up;
}

// ---- manifests

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
  if (cached) {
    Result<std::optional<replication::ManifestInfo>> head;
    {
      UpstreamLimits::Slot slot = limits_.Acquire(project);
      head = up->end->HeadManifest(up->repository, reference);
    }
    if (!head) {
      spdlog::warn("proxy: {}:{}: serving the cached copy: {}", repository, reference,
                   head.error().message);
      return Ok();
    }
    // Gone upstream, or unchanged: what is cached stays what is served.
    if (!head->has_value() || (*local)->digest == (**head).digest) return Ok();
  }
  std::string key = fmt::format("{}:{}", repository, reference);
  Status fetched = manifest_flights_.Do(
      key, [&]() -> Status { return FetchManifest(project, *up, repository, reference); });
  if (fetched) return Ok();
  if (cached) {
    spdlog::warn("proxy: {}:{}: serving the cached copy: {}", repository, reference,
                 fetched.error().message);
    return Ok();
  }
  return fetched;
}

Status ProxyCache::FetchManifest(const metadata::Project& project, const Upstream& up,
                                 std::string_view repository, std::string_view reference) {
  Result<replication::Manifest> manifest;
  auto delay = options_.backoff;
  for (int attempt = 0;; ++attempt) {
    {
      UpstreamLimits::Slot slot = limits_.Acquire(project);
      manifest = up.end->GetManifest(up.repository, reference);
    }
    if (manifest || !Retryable(manifest.error()) || attempt >= options_.retries) break;
    std::this_thread::sleep_for(delay);
    delay *= 2;
  }
  if (!manifest) {
    const Error& error = manifest.error();
    if (error.code == ErrorCode::kManifestUnknown || error.code == ErrorCode::kNotFound ||
        error.code == ErrorCode::kNameUnknown) {
      return Fail(ErrorCode::kManifestUnknown,
                  fmt::format("manifest {} is not in {} on the upstream registry {}", reference,
                              up.repository, up.name));
    }
    if (ContentError(error)) return Fail(error);
    return UpstreamFailure(up.name, error);
  }
  auto ref = ParseReference(reference);
  if (!ref) return Fail(ref.error());
  std::shared_lock filling(repositories_mu_);  // expiry does not remove it meanwhile
  auto repo = local_.content->ResolveRepository(repository, true);
  if (!repo) return Fail(repo.error());
  auto stored = local_.content->CacheManifest(*repo, *ref, manifest->bytes, manifest->media_type);
  if (!stored) {
    return Fail(stored.error().code,
                fmt::format("the upstream registry {} sent manifest {} of {} that cannot be "
                            "cached: {}",
                            up.name, reference, up.repository, stored.error().message));
  }
  return Ok();
}

// ---- blobs

Result<int64_t> ProxyCache::UpstreamBlobSize(const metadata::Project& project, const Upstream& up,
                                             const Digest& digest) {
  Result<std::optional<int64_t>> size;
  {
    UpstreamLimits::Slot slot = limits_.Acquire(project);
    size = up.end->BlobSize(up.repository, digest.str());
  }
  if (!size) return UpstreamFailure(up.name, size.error());
  if (!size->has_value()) {
    return Fail(ErrorCode::kBlobUnknown,
                fmt::format("blob {} is not in {} on the upstream registry {}", digest.str(),
                            up.repository, up.name));
  }
  return **size;
}

Status ProxyCache::Link(std::string_view repository, const Digest& digest) {
  std::shared_lock filling(repositories_mu_);  // expiry does not remove it meanwhile
  auto repo = local_.content->ResolveRepository(repository, true);
  if (!repo) return Fail(repo.error());
  return local_.content->LinkBlob(*repo, digest);
}

Result<std::optional<int64_t>> ProxyCache::StatBlob(const metadata::Project& project,
                                                    std::string_view repository,
                                                    std::string_view digest_text) {
  auto digest = Digest::Parse(digest_text);
  if (!digest) return Fail(digest.error());
  auto linked = local_end_->BlobSize(repository, digest_text);
  if (!linked) return Fail(linked.error());
  if (linked->has_value()) return std::optional<int64_t>();
  auto up = Connect(project, repository);
  if (!up) return Fail(up.error());
  if (!up->unhealthy.empty()) return Unreachable(up->name, up->unhealthy);
  auto size = UpstreamBlobSize(project, *up, *digest);
  if (!size) return Fail(size.error());
  return std::optional<int64_t>(*size);
}

Status ProxyCache::EnsureBlob(const metadata::Project& project, std::string_view repository,
                              std::string_view digest) {
  auto opened = OpenBlob(project, repository, digest, false);
  if (!opened) return Fail(opened.error());
  return Ok();
}

Result<std::optional<registry::BlobStream>> ProxyCache::OpenBlob(const metadata::Project& project,
                                                                 std::string_view repository,
                                                                 std::string_view digest_text,
                                                                 bool stream) {
  using Opened = std::optional<registry::BlobStream>;
  auto digest = Digest::Parse(digest_text);
  if (!digest) return Fail(digest.error());
  auto linked = local_end_->BlobSize(repository, digest_text);
  if (!linked) return Fail(linked.error());
  if (linked->has_value()) return Opened();

  auto up = Connect(project, repository);
  if (!up) return Fail(up.error());
  if (!up->unhealthy.empty()) return Unreachable(up->name, up->unhealthy);
  const std::string repo_name(repository);
  for (;;) {
    std::shared_ptr<BlobFlight> flight;
    bool started = false;
    {
      std::lock_guard lock(mu_);
      auto it = blob_flights_.find(digest->str());
      if (it != blob_flights_.end()) {
        flight = it->second;
      } else if (!local_.blobs->Stat(*digest)) {
        flight = std::make_shared<BlobFlight>();
        flight->AddRepository(repo_name);
        blob_flights_.emplace(digest->str(), flight);
        ++downloads_;
        started = true;
      }
    }
    if (!flight) {
      // Stored already (for another repository): link it once the upstream confirms that
      // this repository has it too — unless expiry removed it meanwhile.
      auto size = UpstreamBlobSize(project, *up, *digest);
      if (!size) return Fail(size.error());
      std::lock_guard lock(mu_);
      if (local_.blobs->Stat(*digest)) {
        BERTH_TRY(Link(repository, *digest));
        return Opened();
      }
      continue;
    }
    if (started) {
      std::thread(&ProxyCache::Download, this, flight, project, *up, *digest).detach();
    } else if (!flight->HasRepository(repo_name)) {
      auto size = UpstreamBlobSize(project, *up, *digest);
      if (!size) return Fail(size.error());
      if (!flight->AddRepository(repo_name)) {
        (void)flight->Wait();  // finishing: it is in the store or failed; look again
        continue;
      }
    }
    if (stream) {
      auto reader = flight->Follow();
      if (!reader) return Fail(reader.error());
      if (*reader) {
        const int64_t size = flight->size();
        return Opened(registry::BlobStream{
            .size = size, .body = MakeFollowSource(flight, std::move(*reader), size)});
      }
    }
    Status result = flight->Wait();
    if (!result) return Fail(result.error());
    return Opened();
  }
}

void ProxyCache::Download(std::shared_ptr<BlobFlight> flight, metadata::Project project,
                          Upstream up, Digest digest) {
  Status status = [&]() -> Status {
    auto size = UpstreamBlobSize(project, up, digest);
    if (!size) return Fail(size.error());
    auto writer = local_.blobs->CreateUpload();
    if (!writer) return Fail(writer.error());
    storage::BlobWriter& w = **writer;
    FlightWriter out(*flight, w, *size);
    flight->Run(*size, &w);
    Status read = ReadInto(project, up, digest, *size, w, out);
    if (read && w.digest() != digest.str()) {
      read = Fail(ErrorCode::kDigestInvalid,
                  fmt::format("the upstream registry {} sent bytes for blob {} that hash to {}",
                              up.name, digest.str(), w.digest()));
    }
    flight->Verdict(read.has_value());  // releases the last bytes to the readers
    // Readers may still join while the commit makes the blob durable.
    if (read) read = w.Commit(digest);
    std::set<std::string> repositories = flight->Finish();
    if (!read) {
      (void)w.Cancel();
      return read;
    }
    for (const std::string& repository : repositories) BERTH_TRY(Link(repository, digest));
    return Ok();
  }();
  if (!status) {
    spdlog::warn("proxy: blob {} from {}: {}", digest.str(), up.name, status.error().message);
  }
  std::lock_guard lock(mu_);
  auto it = blob_flights_.find(digest.str());
  if (it != blob_flights_.end() && it->second == flight) blob_flights_.erase(it);
  (void)flight->Finish();
  flight->Done(std::move(status));
  if (--downloads_ == 0) downloads_done_.notify_all();
}

Status ProxyCache::ReadInto(const metadata::Project& project, const Upstream& up,
                            const Digest& digest, int64_t size, storage::BlobWriter& w,
                            FlightWriter& out) {
  std::shared_ptr<replication::RateLimiter> bandwidth = limits_.Bandwidth(project);
  remote::CancelToken cancel = cancel_;
  replication::ByteSink sink = [&](std::span<const char> data) -> Status {
    if (bandwidth) BERTH_TRY(bandwidth->Acquire(static_cast<int64_t>(data.size()), cancel));
    return out.Write(data);
  };
  const std::string host = up.end->HostKey();
  Status read;
  auto delay = options_.backoff;
  for (int attempt = 0;; ++attempt) {
    {
      UpstreamLimits::Slot slot = limits_.Acquire(project);
      if (options_.hosts != nullptr) BERTH_TRY(options_.hosts->Acquire(host, cancel));
      read = up.end->ReadBlob(up.repository, digest.str(), w.size(), sink, cancel);
      if (options_.hosts != nullptr) options_.hosts->Release(host);
    }
    if (read) {
      read = out.Flush();
    } else {
      out.Drop();  // the next attempt resumes from what the store holds
    }
    if (read || !Retryable(read.error()) || attempt >= options_.retries) break;
    std::this_thread::sleep_for(delay);
    delay *= 2;
  }
  if (read && w.size() != size) {
    read = Fail(ErrorCode::kSizeInvalid,
                fmt::format("blob {} from the upstream registry {} has {} bytes, not the {} it "
                            "announced",
                            digest.str(), up.name, w.size(), size));
  }
  if (read) return Ok();
  const Error& error = read.error();
  if (error.code == ErrorCode::kBlobUnknown || error.code == ErrorCode::kNotFound) {
    return Fail(ErrorCode::kBlobUnknown,
                fmt::format("blob {} is not in {} on the upstream registry {}", digest.str(),
                            up.repository, up.name));
  }
  if (ContentError(error) || error.code == ErrorCode::kCancelled) return Fail(error);
  return UpstreamFailure(up.name, error);
}

}  // namespace berth::proxy
