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

// Network settings shared by every client a process makes (from the config).
struct NetworkOptions {
  // curl CONNECT_TO entries "HOST:PORT:CONNECT-HOST:CONNECT-PORT": where a named host is
  // really reached. Used to point provider hostnames at local emulators in tests.
  std::vector<std::string> connect_to;
  std::string extra_ca_pem;  // trusted in addition to the system roots for every client
  std::string proxy;         // explicit proxy URL; empty = the usual *_proxy environment
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds timeout{1800};  // whole request, body included
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
  // Streams the blob from `offset` into `sink` (following redirects to storage).
  Status GetBlob(std::string_view repository, std::string_view digest, const ByteSink& sink,
                 int64_t offset = 0);
  // Uploads a blob of `size` bytes read from `source`: POST then one streaming PUT.
  Status PushBlob(std::string_view repository, std::string_view digest, int64_t size,
                  const ByteSource& source);
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
