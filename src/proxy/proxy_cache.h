// ProxyCache: the pull-through cache behind proxy-cache projects (registry::PullThrough).
// A repository "<project>/<path>" of a project whose registry_id names an endpoint caches
// "<path>" of that endpoint ("library/<path>" for a one-segment path on a docker-hub
// endpoint, as Docker Hub names its official images).
//
//  * Manifests: a cached digest is served without asking upstream. A tag is revalidated
//    with a HEAD upstream: the same digest as cached keeps the cache; another digest (or
//    none cached) copies the artifact — an index with all of its children, blobs first,
//    digests verified — into the local repository (created when missing) with the copy
//    engine, then it is served. When the upstream is unreachable, unhealthy, throttling,
//    or the copy fails, what is cached is served; otherwise the error says why.
//  * Blobs: a blob not linked to the repository is downloaded once into the store (one
//    upstream GET shared by every concurrent caller of the same repository and digest,
//    resumed from the bytes held on a retry) and linked.
//
// Ownership: holds references to the endpoint service and the local stores, which must
// outlive it. Thread safety: every method may be called from many threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "endpoints/endpoint_service.h"
#include "proxy/single_flight.h"
#include "registry/pull_through.h"
#include "replication/transfer/local_end.h"
#include "replication/transfer/registry_end.h"
#include "replication/transfer/transfer.h"

namespace berth::proxy {

struct ProxyOptions {
  // Retries of an upstream step on kUnavailable / kTooManyRequests, and the first delay.
  int retries = 2;
  std::chrono::milliseconds backoff{200};
  replication::HostLimiter* hosts = nullptr;  // not owned; null = no per-host bound
  // Wraps each upstream end when it is made (tests count requests with it); empty = none.
  std::function<std::shared_ptr<replication::RegistryEnd>(
      std::shared_ptr<replication::RegistryEnd>)>
      decorate;
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
  Status EnsureBlob(const metadata::Project& project, std::string_view repository,
                    std::string_view digest) override;

 private:
  struct Upstream {
    std::shared_ptr<replication::RegistryEnd> end;
    std::string name;        // the endpoint's name, for messages
    std::string repository;  // upstream repository name
    std::string unhealthy;   // why the endpoint is marked unhealthy; "" when it is not
  };
  Result<Upstream> Connect(const metadata::Project& project, std::string_view repository);
  Status FetchBlob(const Upstream& upstream, std::string_view repository, const Digest& digest);

  endpoints::EndpointService& endpoints_;
  replication::LocalStores local_;
  std::unique_ptr<replication::RegistryEnd> local_end_;
  ProxyOptions options_;
  SingleFlight flights_;

  struct CachedEnd {
    std::string update_time;
    std::shared_ptr<replication::RegistryEnd> end;
  };
  std::mutex mu_;
  std::map<int64_t, CachedEnd> ends_;  // by endpoint id
};

}  // namespace berth::proxy
