// ProxyCache: the pull-through cache behind proxy-cache projects (registry::PullThrough).
// A repository "<project>/<path>" of a project whose registry_id names an endpoint caches
// "<path>" of that endpoint ("library/<path>" for a one-segment path on a docker-hub
// endpoint, as Docker Hub names its official images).
//
//  * Manifests: a cached digest is served without asking upstream. A tag is revalidated
//    with a HEAD upstream (nothing cached: a GET at once); another digest fetches the
//    manifest — only the manifest, an index whole with its upstream digest — and stores
//    it under the tag. Blobs and child manifests follow when clients ask for them. When
//    the upstream is unreachable, unhealthy or throttling, what is cached is served;
//    otherwise the error says why.
//  * Blobs: one download per digest at a time (BlobFlight), whichever repositories and
//    clients ask for it: clients read it while it is written, and it is committed to the
//    store and linked to every repository that asked, even when they have all gone.
//    A repository joining another's download is first checked upstream (HEAD) to hold the
//    blob. A blob held for another repository is linked after the same check.
//  * Limits: a project's max_upstream_conn and proxy_speed_kb (UpstreamLimits), and
//    ProxyOptions::hosts for every download.
//
// Ownership: holds references to the endpoint service and the local stores, which must
// outlive it. The destructor cancels running downloads and waits for them.
// Thread safety: every method may be called from many threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>

#include "endpoints/endpoint_service.h"
#include "metadata/proxy_cache_store.h"
#include "proxy/blob_flight.h"
#include "proxy/single_flight.h"
#include "proxy/upstream_limits.h"
#include "registry/pull_through.h"
#include "replication/transfer/kept_ends.h"
#include "replication/transfer/local_end.h"
#include "replication/transfer/registry_end.h"
#include "replication/transfer/transfer.h"

namespace berth::proxy {

struct ProxyOptions {
  // Retries of an upstream step on kUnavailable, and the first delay. A 429 is passed
  // on to the client at once, with the upstream's Retry-After.
  int retries = 2;
  std::chrono::milliseconds backoff{200};
  replication::HostLimiter* hosts = nullptr;  // not owned; null = no per-host bound
  // Wraps each upstream end when it is made (tests count requests with it); empty = none.
  std::function<std::shared_ptr<replication::RegistryEnd>(
      std::shared_ptr<replication::RegistryEnd>)>
      decorate;
  // Expiry (cache_expiry.cc): content not used for `expiry` is removed. Null store: never.
  metadata::ProxyCacheStore* cache_store = nullptr;  // not owned
  std::chrono::seconds expiry{7 * 24 * 3600};
};

// What one expiry pass removed.
struct ExpiryReport {
  int64_t artifacts = 0;     // manifests with their tags
  int64_t links = 0;         // blob links of cached repositories
  int64_t blobs = 0;         // blob contents no repository links any more
  int64_t repositories = 0;  // cached repositories left empty
};

// The upstream repository that `repository` (in proxy project `project`) caches:
// the path after the project, "library/<path>" for one segment when `docker_hub`.
std::string UpstreamRepository(std::string_view project, std::string_view repository,
                               bool docker_hub);

class ProxyCache : public registry::PullThrough {
 public:
  ProxyCache(endpoints::EndpointService& endpoints, const replication::LocalStores& local,
             ProxyOptions options = {});
  ~ProxyCache() override;

  Status EnsureManifest(const metadata::Project& project, std::string_view repository,
                        std::string_view reference) override;
  Result<std::optional<registry::BlobStream>> OpenBlob(const metadata::Project& project,
                                                       std::string_view repository,
                                                       std::string_view digest,
                                                       bool stream) override;
  Result<std::optional<int64_t>> StatBlob(const metadata::Project& project,
                                          std::string_view repository,
                                          std::string_view digest) override;
  // OpenBlob without a stream: Ok once the blob is stored and linked to `repository`.
  Status EnsureBlob(const metadata::Project& project, std::string_view repository,
                    std::string_view digest);

  // cache_expiry.cc. Removes what proxy-cache projects have not used since `cutoff`:
  // artifacts neither fetched nor pulled since, then blob links no remaining artifact
  // names, then the contents no repository links (never one being downloaded), then
  // repositories left empty. A client already reading a blob keeps reading it (the
  // store's readers hold the data open). Needs ProxyOptions::cache_store.
  Result<ExpiryReport> Expire(std::chrono::system_clock::time_point cutoff);
  // Runs Expire(now - ProxyOptions::expiry) every `interval` on a background thread
  // until destruction. Does nothing without a cache store or with expiry 0.
  void StartExpiry(std::chrono::seconds interval);

 private:
  struct Upstream {
    std::shared_ptr<replication::RegistryEnd> end;  // one attempt per request
    std::string name;                               // the endpoint's name, for messages
    std::string repository;                         // upstream repository name
    std::string unhealthy;  // why the endpoint is marked unhealthy; "" when it is not
  };
  Result<Upstream> Connect(const metadata::Project& project, std::string_view repository);
  // GETs `reference` upstream and stores the manifest under it.
  Status FetchManifest(const metadata::Project& project, const Upstream& up,
                       std::string_view repository, std::string_view reference);
  // Ok when the upstream repository holds the blob; its size.
  Result<int64_t> UpstreamBlobSize(const metadata::Project& project, const Upstream& up,
                                   const Digest& digest);
  // The download behind a running flight (on its own thread).
  void Download(std::shared_ptr<BlobFlight> flight, metadata::Project project, Upstream up,
                Digest digest);
  Status ReadInto(const metadata::Project& project, const Upstream& up, const Digest& digest,
                  int64_t size, storage::BlobWriter& writer, FlightWriter& out);
  Status Link(std::string_view repository, const Digest& digest);

  endpoints::EndpointService& endpoints_;
  replication::LocalStores local_;
  std::unique_ptr<replication::RegistryEnd> local_end_;
  ProxyOptions options_;
  SingleFlight manifest_flights_;
  UpstreamLimits limits_;
  std::shared_ptr<std::atomic<bool>> cancel_ = std::make_shared<std::atomic<bool>>(false);

  replication::KeptEnds ends_;  // of the projects' endpoints
  std::mutex mu_;               // guards the flights and the count below
  std::map<std::string, std::shared_ptr<BlobFlight>> blob_flights_;  // by digest
  int downloads_ = 0;                                                // running threads
  std::condition_variable downloads_done_;

  // Held shared while a repository is resolved and filled, exclusively while expiry
  // deletes empty repositories.
  std::shared_mutex repositories_mu_;
  std::mutex expiry_mu_;
  std::condition_variable expiry_wake_;
  bool expiry_stop_ = false;
  std::thread expiry_thread_;
};

}  // namespace berth::proxy
