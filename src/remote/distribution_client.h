// DistributionClient: a blocking OCI Distribution (Docker Registry v2) client over
// libcurl, used by the adapters (Test Connection, listing), replication (transfer) and
// the proxy cache.
//
// Auth: the first request discovers the registry's challenge with an anonymous
// GET /v2/ — Bearer (token from the realm, Basic credentials from the CredentialProvider
// when it has a username, one cached token per scope set honouring expires_in/issued_at
// with 10 s of skew), Basic, or none. Credentials are never sent to hosts other than the
// registry's (redirects to storage get none).
//
// Errors carry a message a user can act on: name not resolved, connection refused, TLS
// verification failed ("untick Verify Remote Cert or add the CA certificate"), timeout,
// 401 (kUnauthorized), 403 (kDenied), 404 (kNotFound / kManifestUnknown / kBlobUnknown),
// 429 (kTooManyRequests), "not a registry". Secrets never appear in messages or logs.
//
// Thread safety: one client may be used from several threads at once (the token cache is
// locked; each call uses its own curl easy handle or one from a locked pool). Calls block:
// never call them on an io thread (use http::RunBlocking).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace berth::remote {

struct BasicCredential {
  std::string username;  // empty = anonymous
  std::string password;
};

// Supplies the username/password used against the registry (directly for Basic, or at
// the token realm for Bearer). Providers with temporary credentials (ECR, Ali ACR) fetch
// and cache them; Invalidate() is called after a 401 so the next Get() refreshes.
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  virtual Result<BasicCredential> Get() = 0;
  virtual void Invalidate() {}
};

// A fixed username/password.
std::shared_ptr<CredentialProvider> StaticCredentials(std::string username, std::string password);

struct TlsOptions {
  bool insecure = false;  // skip certificate verification ("Verify Remote Cert" unticked)
  std::string ca_pem;     // extra trusted CA certificates (PEM), added to the system roots
};

// Retries of idempotent requests (GET/HEAD of manifests, blob HEAD, tag and catalog
// listing, token fetches; never a body upload) on kUnavailable (5xx, connection reset,
// timeout) and kTooManyRequests. The delay doubles from base_delay with jitter, capped at
// max_delay; a Retry-After (seconds or HTTP date) on 429/503 replaces the computed delay
// (also capped at max_delay).
struct RetryPolicy {
  int attempts = 4;  // tries in total; 1 = no retry
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{30000};
};

// Network settings shared by every client a process makes (from the config).
struct NetworkOptions {
  // curl CONNECT_TO entries "HOST:PORT:CONNECT-HOST:CONNECT-PORT": where a named host is
  // really reached. Used to point provider hostnames at local emulators in tests.
  std::vector<std::string> connect_to;
  std::string extra_ca_pem;  // trusted in addition to the system roots for every client
  std::string proxy;         // explicit proxy URL; empty = the usual *_proxy environment
  std::chrono::seconds connect_timeout{10};
  // Whole request for everything but blob bodies (manifests, listing, provider APIs).
  std::chrono::seconds timeout{300};
  // Blob transfers (GetBlob, PushBlob, UploadChunk) have no whole-request limit: they fail
  // with kUnavailable only when no byte moves for this long.
  std::chrono::seconds idle_timeout{60};
  RetryPolicy retry;
};

struct ClientOptions {
  std::string base_url;  // "https://host[:port][/prefix]" without "/v2"
  TlsOptions tls;
  NetworkOptions network;
  std::string user_agent = "berth-registry-client";
};

// A plain HTTP exchange through the client's TLS, proxy and timeout settings (and, with
// `registry_auth`, its registry authorizer). Used by adapters for provider APIs.
struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool registry_auth = false;
};
struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<std::string> Header(std::string_view name) const;
};

struct ManifestInfo {
  std::string digest;
  std::string media_type;
  int64_t size = 0;
};
struct Manifest : ManifestInfo {
  std::string bytes;
};

// An OCI descriptor as listed by the referrers API.
struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::string artifact_type;
};

// A chunked upload in progress: the absolute URL of the session (the latest Location)
// and how many bytes the registry holds. Persist it to resume after a restart.
struct UploadState {
  std::string location;
  int64_t offset = 0;
};

// Cooperative cancellation: a call given a set token stops within about a second, also in
// the middle of a body, and fails with kCancelled. Empty = never cancelled.
using CancelToken = std::shared_ptr<const std::atomic<bool>>;

// The delay a kTooManyRequests / kUnavailable error asked for (its Retry-After), if any.
// The client records it in Error::detail as "retry-after=<seconds>".
std::optional<std::chrono::seconds> RetryAfter(const Error& error);

// Receives blob bytes as they stream in; an error aborts the transfer.
using ByteSink = std::function<Status(std::span<const char>)>;
// Produces up to buf.size() bytes of a blob; 0 = end.
using ByteSource = std::function<Result<size_t>(std::span<char>)>;

class DistributionClient {
 public:
  DistributionClient(ClientOptions options, std::shared_ptr<CredentialProvider> credentials);
  ~DistributionClient();
  DistributionClient(const DistributionClient&) = delete;
  DistributionClient& operator=(const DistributionClient&) = delete;

  const ClientOptions& options() const;

  // GET /v2/ with authentication. Ok only when the server answers like a registry
  // (Docker-Distribution-API-Version header, or a 2xx/401 with an OCI error body);
  // a web server that merely answers 200 is "not a registry". With anonymous
  // credentials a 401 challenge counts as reachable.
  Status Ping();

  // Repository names from /v2/_catalog (n=1000, following Link).
  Result<std::vector<std::string>> Catalog();
  // Tags of `repository` (following Link).
  Result<std::vector<std::string>> ListTags(std::string_view repository);

  // HEAD; std::nullopt when the manifest does not exist.
  Result<std::optional<ManifestInfo>> HeadManifest(std::string_view repository,
                                                   std::string_view reference);
  // GET with an Accept list of every OCI and Docker v2 manifest type.
  Result<Manifest> GetManifest(std::string_view repository, std::string_view reference);
  // PUT; returns the digest the registry reports.
  Result<std::string> PutManifest(std::string_view repository, std::string_view reference,
                                  std::string_view bytes, std::string_view media_type);
  Status DeleteManifest(std::string_view repository, std::string_view digest);

  // HEAD; std::nullopt when absent, else the size.
  Result<std::optional<int64_t>> BlobSize(std::string_view repository, std::string_view digest);
  // Streams the blob from `offset` into `sink` (following redirects to storage; a Range
  // request when offset > 0).
  Status GetBlob(std::string_view repository, std::string_view digest, const ByteSink& sink,
                 int64_t offset = 0, const CancelToken& cancel = {});
  // Uploads a blob of `size` bytes read from `source`: POST then one streaming PUT.
  Status PushBlob(std::string_view repository, std::string_view digest, int64_t size,
                  const ByteSource& source, const CancelToken& cancel = {});

  // Chunked, resumable upload (POST, PATCH..., PUT ?digest=).
  // StartUpload opens a session (offset 0).
  Result<UploadState> StartUpload(std::string_view repository);
  // Asks the registry where a session stands (GET on its location → Range "0-N" gives
  // offset N+1; 204 without Range gives 0). kBlobUploadUnknown when the session is gone.
  Result<UploadState> UploadStatus(const UploadState& state);
  // PATCHes `length` bytes read from `source` at state.offset (Content-Range,
  // Content-Length) and returns the new location and offset. kRangeInvalid on 416.
  Result<UploadState> UploadChunk(const UploadState& state, int64_t length,
                                  const ByteSource& source, const CancelToken& cancel = {});
  // Closes the session: PUT ?digest= with an empty body. DIGEST_INVALID / SIZE_INVALID as
  // the registry reports them.
  Status FinishUpload(const UploadState& state, std::string_view digest);

  // The manifests whose subject is `digest`: GET /v2/<repo>/referrers/<digest>; when the
  // registry has no referrers API (404 that is not an OCI index), the fallback tag
  // "sha256-<hex>" (an index) is read instead. Empty when there are none.
  Result<std::vector<Descriptor>> Referrers(std::string_view repository, std::string_view digest);
  // Cross-repository mount; false when the registry answered with an upload session.
  Result<bool> MountBlob(std::string_view repository, std::string_view digest,
                         std::string_view from);

  // Any request: to the registry (with auth when registry_auth) or to a provider API.
  Result<HttpResponse> Do(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::remote
