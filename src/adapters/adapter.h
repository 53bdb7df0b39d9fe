// Adapter: what Berth knows about one kind of registry (a provider). Each provider lives
// in its own folder (harbor/, dockerhub/, native/, ecr/, acr/, aliacr/, gcr/, swr/,
// gitlab/, quay/, artifactory/, ghcr/) and exposes one Register<Name>Adapter function
// that main calls; nothing outside a provider's folder switches on its type string.
//
// Capabilities are data (AdapterInfo): the UI builds its form from the endpoint and
// credential patterns, the API validates against them, replication reads the filters
// and triggers.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "remote/distribution_client.h"

namespace berth::adapters {

// A registered endpoint as the adapters see it (the secret in clear; never logged).
struct Endpoint {
  int64_t id = 0;
  std::string name;
  std::string type;  // "harbor", "docker-hub", ...
  std::string url;   // normalised: scheme://host[:port][/path], no trailing '/'
  std::string credential_type = "basic";  // basic | oauth
  std::string access_key;
  std::string access_secret;
  bool insecure = false;
  std::string ca_certificate;  // PEM, may be empty
};

// Harbor's RegistryProviderEndpointPattern: how the URL field looks in the form.
struct EndpointPattern {
  std::string endpoint_type;  // EndpointPatternTypeStandard | ...TypeFix | ...TypeList
  std::vector<std::pair<std::string, std::string>> endpoints;  // (key, value=url)
};

// Harbor's RegistryProviderCredentialPattern.
struct CredentialPattern {
  std::string access_key_type;  // AccessKeyTypeStandard | AccessKeyTypeFix
  std::string access_key_data;
  std::string access_secret_type;  // AccessSecretTypePass | AccessSecretTypeFile
  std::string access_secret_data;
};

// Harbor's FilterStyle.
struct FilterStyle {
  std::string type;   // name | tag | label | resource
  std::string style;  // input | radio | list
  std::vector<std::string> values;
};

struct AdapterInfo {
  std::string type;
  std::string description;  // one line, e.g. "Amazon Elastic Container Registry"
  std::vector<FilterStyle> supported_resource_filters;
  std::vector<std::string> supported_triggers = {"manual", "scheduled"};
  bool supported_copy_by_chunk = false;
  std::optional<EndpointPattern> endpoint_pattern;      // nullopt = standard URL field
  std::optional<CredentialPattern> credential_pattern;  // nullopt = user + password
  bool proxy_cache = false;                             // may back a proxy-cache project
};

// What an adapter needs from the process.
struct AdapterDeps {
  remote::NetworkOptions network;
  std::string user_agent = "berth-registry-client";
};

// A live connection to one endpoint. Blocking; not for io threads.
class Adapter {
 public:
  virtual ~Adapter() = default;
  // Test Connection: Ok when the URL serves a registry of this provider and the
  // credentials authenticate; otherwise an error whose message says what failed and
  // what to do (DNS, refused, TLS, 401, 403, timeout, not a registry of this kind).
  virtual Status HealthCheck() = 0;
  // Capabilities for this endpoint (may consult the remote, e.g. Harbor's labels).
  virtual Result<AdapterInfo> Info() = 0;
  // The Distribution data plane of this endpoint (authenticated the provider's way).
  virtual remote::DistributionClient& Registry() = 0;
  // Repository names on the remote, from the provider's listing API or the catalog.
  virtual Result<std::vector<std::string>> ListRepositories() = 0;
  // Creates whatever must exist before pushing to `repositories` (projects,
  // namespaces, ECR repositories); a no-op for providers that need nothing.
  virtual Status PrepareForPush(const std::vector<std::string>& repositories) = 0;
  // Creates `projects` public where they do not exist yet, before PrepareForPush makes
  // the rest: Harbor gives a project it creates for a push the public flag of the source
  // project. Existing projects are left as they are. A no-op by default.
  virtual Status CreatePublicProjects(const std::set<std::string>& projects) {
    (void)projects;
    return Ok();
  }
  // The projects (first path components of `repositories`) that are proxy caches on the
  // remote: a push there is refused, so replication skips them, as Harbor does. None for
  // providers without proxy-cache projects (the default).
  virtual Result<std::set<std::string>> ProxyCacheProjects(
      const std::vector<std::string>& repositories) {
    (void)repositories;
    return std::set<std::string>();
  }
  // The label names of each artifact (by digest) of `repository`, where the provider has
  // labels (Harbor); std::nullopt otherwise (the default).
  virtual Result<std::optional<std::map<std::string, std::vector<std::string>>>> ArtifactLabels(
      std::string_view repository) {
    (void)repository;
    return std::optional<std::map<std::string, std::vector<std::string>>>();
  }
  // Deletes tag `tag` of `repository` and keeps its manifest, where the provider has an
  // API for that (Harbor's); UNSUPPORTED otherwise (the default: the Distribution API
  // deletes manifests, not tags).
  virtual Status DeleteTag(std::string_view repository, std::string_view tag) {
    (void)repository;
    (void)tag;
    return Fail(ErrorCode::kUnsupported, "no API to delete a tag without its manifest");
  }
};

using AdapterFactory =
    std::function<Result<std::unique_ptr<Adapter>>(const Endpoint&, const AdapterDeps&)>;
// Checks the credential fields before anything touches the network; BAD_REQUEST naming
// the field ("access_secret must be the service-account JSON key: missing client_email").
using CredentialValidator = std::function<Status(const Endpoint&)>;

struct AdapterRegistration {
  AdapterInfo info;
  AdapterFactory factory;
  CredentialValidator validate_credential;  // may be empty
};

// The providers this process knows. Built once in main by explicit Register calls,
// then read-only (safe to share between threads).
class AdapterRegistry {
 public:
  // CONFLICT when `registration.info.type` is registered already.
  Status Register(AdapterRegistration registration);
  // Sorted type strings.
  std::vector<std::string> Types() const;
  const AdapterRegistration* Find(std::string_view type) const;
  // Validates the credential and builds the adapter. BAD_REQUEST for an unknown type
  // (naming the known ones) or a malformed credential.
  Result<std::unique_ptr<Adapter>> Create(const Endpoint& endpoint, const AdapterDeps& deps) const;

 private:
  std::map<std::string, AdapterRegistration, std::less<>> registrations_;
};

// Registers every built-in provider; defined in builtin.cc.
Status RegisterBuiltinAdapters(AdapterRegistry& registry);

}  // namespace berth::adapters
