// EndpointService: Harbor's replication endpoints ("registries") — create, read, list,
// update, delete, Test Connection (ping), capabilities (info) and health rechecks.
//
// Rules (Harbor's controller, with the deliberate differences noted):
//  * name: required, at most 64 characters, unique (CONFLICT `registry <name> already
//    exists`).
//  * url: normalised by NormalizeUrl (https:// when no scheme is given — Harbor uses
//    http://).
//  * ca_certificate: empty, or PEM holding at least one X.509 certificate
//    (BAD_REQUEST `invalid CA certificate: ...`).
//  * credential: checked by the provider's validator (BAD_REQUEST naming the field);
//    kept only when access_key is non-empty; credential_type defaults to "basic".
//  * create and update pass a live health check first; a failing endpoint is refused
//    with BAD_REQUEST `the registry is unhealthy: <reason>` (never a 500).
//  * the secret is sealed at rest (SecretBox) and never returned: views carry only
//    `has_secret`. Nothing here logs an Endpoint or a secret.
//  * id 0 (Harbor's synthetic local registry) is NOT_FOUND everywhere.
//
// Blocking: Create, Update, Ping, Info and Recheck do network I/O through the adapters;
// call them off the io threads. Thread safety: every method may run concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/adapter.h"
#include "common/error.h"
#include "endpoints/secret_box.h"
#include "metadata/registry_store.h"

namespace berth::endpoints {

// Trims spaces, drops the query and fragment and trailing '/', adds https:// when no
// scheme is given; scheme must be http or https; a host is required; userinfo is
// refused. Result: scheme://host[:port][/path]. BAD_REQUEST `empty string`,
// `invalid HTTP scheme: <s>` or `invalid URL: <why>`.
Result<std::string> NormalizeUrl(std::string_view url);

// CRLF → LF and trimmed; "" stays "". BAD_REQUEST `invalid CA certificate: <why>`.
Result<std::string> NormalizeCaCertificate(std::string_view pem);

// An endpoint as the API shows it: everything but the secret.
struct RegistryView {
  int64_t id = 0;
  std::string name;
  std::string url;
  std::string type;
  std::string description;
  std::string credential_type;
  std::string access_key;
  bool has_secret = false;
  bool insecure = false;
  std::string ca_certificate;
  std::string status;
  std::string last_error;
  std::string last_checked;
  std::string creation_time;
  std::string update_time;
};

struct NewRegistry {
  std::string name;
  std::string type;
  std::string url;
  std::string description;
  std::string credential_type;
  std::string access_key;
  std::string access_secret;
  bool insecure = false;
  std::string ca_certificate;
};

// Harbor's RegistryUpdate: an absent field (nullopt) keeps the stored value; a present
// one, even "", replaces it.
struct RegistryUpdate {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> url;
  std::optional<std::string> credential_type;
  std::optional<std::string> access_key;
  std::optional<std::string> access_secret;
  std::optional<bool> insecure;
  std::optional<std::string> ca_certificate;
};

// Harbor's RegistryPing. With `id`, the stored endpoint with the body's fields over it;
// its stored secret is used only with its stored url, without insecure where it was
// verified and with no other CA certificate (otherwise access_secret must be given).
struct PingRequest {
  std::optional<int64_t> id;
  std::optional<std::string> type;
  std::optional<std::string> url;
  std::optional<std::string> credential_type;
  std::optional<std::string> access_key;
  std::optional<std::string> access_secret;
  std::optional<bool> insecure;
  std::optional<std::string> ca_certificate;
};

class EndpointService {
 public:
  // All references must outlive the service.
  EndpointService(metadata::RegistryStore& store, const SecretBox& secrets,
                  const adapters::AdapterRegistry& adapters, adapters::AdapterDeps deps);

  Result<RegistryView> Create(const NewRegistry& request);
  Result<RegistryView> Get(int64_t id);
  Result<metadata::PageResult<RegistryView>> List(
      const std::vector<metadata::RegistryFilter>& filters, std::string_view sort,
      const metadata::Page& page);
  Status Update(int64_t id, const RegistryUpdate& update);
  // PRECONDITION naming the replication policies / proxy-cache projects that use it.
  Status Delete(int64_t id);
  Status Ping(const PingRequest& request);
  // The provider's capabilities for this endpoint (id 0: this registry's); the `resource`
  // filter is replaced by {resource, radio, [image, artifact]} as Harbor does.
  Result<adapters::AdapterInfo> Info(int64_t id);

  // Health-checks stored endpoint `id` and records healthy/unhealthy with the error text
  // when either changed. Errors of any kind count as unhealthy.
  Status Recheck(int64_t id);

  // A live adapter for stored endpoint `id` (secret unsealed, the service's network
  // options), for replication. NOT_FOUND `registry <id> not found`. No network I/O.
  // `attempts` > 0 replaces the retry policy's tries per request (1: no retry).
  Result<std::unique_ptr<adapters::Adapter>> Connect(int64_t id, int attempts = 0);

  const adapters::AdapterRegistry& adapters() const { return adapters_; }
  metadata::RegistryStore& store() { return store_; }

 private:
  Result<metadata::RegistryRecord> Load(int64_t id);
  Result<adapters::Endpoint> Unseal(const metadata::RegistryRecord& record) const;
  // Name, type, URL, CA and credential rules on `endpoint` (normalising it in place).
  Status Validate(adapters::Endpoint& endpoint, bool check_name) const;
  // BAD_REQUEST `the registry is unhealthy: <reason>` unless the endpoint answers.
  Status CheckHealth(const adapters::Endpoint& endpoint) const;
  Result<metadata::RegistryRecord> Seal(const adapters::Endpoint& endpoint,
                                        metadata::RegistryRecord record) const;
  static adapters::AdapterInfo WithResourceFilter(adapters::AdapterInfo info);

  metadata::RegistryStore& store_;
  const SecretBox& secrets_;
  const adapters::AdapterRegistry& adapters_;
  adapters::AdapterDeps deps_;
};

// The API view of a stored record.
RegistryView ToView(const metadata::RegistryRecord& record);

}  // namespace berth::endpoints
