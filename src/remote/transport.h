// One HTTP exchange over libcurl with the client's TLS, proxy, CONNECT_TO and timeout
// settings, reusing a small pool of easy handles (and so their connections). No redirects
// are followed and no auth is added here; DistributionClient does both.
//
// Transport failures become Errors whose message names the host and says what to check
// (resolve, refused, TLS trust, plain HTTP on https, timeout). Failures worth retrying (a
// timeout, a connection that broke or closed mid-exchange) are kUnavailable; a set cancel
// token gives kCancelled. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "remote/distribution_client.h"

namespace berth::remote {

struct TransportRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  bool send_body = false;            // POST/PUT/PATCH: send `body` or `source` with a length
  std::string_view body;
  const ByteSource* source = nullptr;  // streams `source_size` bytes instead of `body`
  int64_t source_size = 0;
  const ByteSink* sink = nullptr;  // receives the body of a 2xx answer instead of `body`
  int64_t skip_on_200 = 0;         // bytes of a 200 (not 206) body to drop before `sink`
  size_t max_body = 64 << 20;      // larger buffered bodies fail
  // A blob body: no whole-request timeout, only NetworkOptions::idle_timeout without a
  // byte moving.
  bool blob = false;
  // Checked at least once a second while the exchange runs (also while the peer stalls).
  const CancelToken* cancel = nullptr;
};

class Transport {
 public:
  explicit Transport(const ClientOptions& options);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  Result<HttpResponse> Perform(const TransportRequest& request);

 private:
  struct Handle;
  struct CaStore;
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> handle);

  TlsOptions tls_;
  NetworkOptions network_;
  std::string user_agent_;
  std::unique_ptr<CaStore> ca_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

}  // namespace berth::remote
