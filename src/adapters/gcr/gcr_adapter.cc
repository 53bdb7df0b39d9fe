#include "adapters/gcr/gcr_adapter.h"

#include <nlohmann/json.hpp>

namespace berth::adapters {
namespace gcr {
namespace {

constexpr std::string_view kJsonKeyUser = "_json_key";

AdapterInfo GcrInfo() {
  AdapterInfo info;
  info.type = "google-gcr";
  info.description = "Google Container Registry / Artifact Registry";
  info.supported_resource_filters = {
      {"name", "input", {}}, {"tag", "input", {}}, {"resource", "radio", {"image"}}};
  info.supported_triggers = {"manual", "scheduled"};
  info.proxy_cache = true;
  EndpointPattern pattern;
  pattern.endpoint_type = "EndpointPatternTypeList";
  for (const char* host : {"gcr.io", "us.gcr.io", "eu.gcr.io", "asia.gcr.io"})
    pattern.endpoints.emplace_back(host, std::string("https://") + host);
  for (const char* region : {"us", "europe", "asia", "us-central1", "europe-west1", "asia-east1"}) {
    std::string host = std::string(region) + "-docker.pkg.dev";
    pattern.endpoints.emplace_back(host, "https://" + host);
  }
  info.endpoint_pattern = std::move(pattern);
  info.credential_pattern = CredentialPattern{"AccessKeyTypeFix", std::string(kJsonKeyUser),
                                              "AccessSecretTypeFile", "No Change"};
  return info;
}

class GcrAdapter : public Adapter {
 public:
  // An empty `json_key` means anonymous (the health check then says a key is needed).
  GcrAdapter(remote::ClientOptions options, std::string json_key)
      : has_key_(!json_key.empty()),
        registry_(std::move(options), json_key.empty() ? remote::StaticCredentials("", "")
                                                       : remote::StaticCredentials(
                                                             std::string(kJsonKeyUser), json_key)) {
  }

  Status HealthCheck() override {
    if (!has_key_) {
      return Fail(ErrorCode::kBadRequest,
                  "google-gcr needs a service-account JSON key: set access_key to _json_key "
                  "and upload the key file as access_secret");
    }
    auto ping = registry_.Ping();
    if (!ping) {
      Error e = std::move(ping).error();
      if (e.code == ErrorCode::kUnauthorized) {
        e.message +=
            " (the service-account key was refused: check that it is current and "
            "that the account may read the registry)";
      } else if (e.code == ErrorCode::kDenied) {
        e.message += " (the service account lacks permission on this registry)";
      }
      return Fail(std::move(e));
    }
    return Ok();
  }

  Result<AdapterInfo> Info() override { return GcrInfo(); }
  remote::DistributionClient& Registry() override { return registry_; }
  Result<std::vector<std::string>> ListRepositories() override { return registry_.Catalog(); }
  // GCR and Artifact Registry create repositories on first push.
  Status PrepareForPush(const std::vector<std::string>&) override { return Ok(); }

 private:
  bool has_key_;
  remote::DistributionClient registry_;
};

Result<std::unique_ptr<Adapter>> CreateGcrAdapter(const Endpoint& endpoint,
                                                  const AdapterDeps& deps) {
  remote::ClientOptions options;
  options.base_url = endpoint.url;
  options.tls.insecure = endpoint.insecure;
  options.tls.ca_pem = endpoint.ca_certificate;
  options.network = deps.network;
  options.user_agent = deps.user_agent;
  return std::make_unique<GcrAdapter>(std::move(options), endpoint.access_secret);
}

Status KeyError(std::string_view what) {
  return Fail(ErrorCode::kBadRequest,
              "access_secret must be the service-account JSON key: " + std::string(what));
}

}  // namespace

Status ValidateGcrCredential(const Endpoint& endpoint) {
  if (endpoint.access_key.empty() && endpoint.access_secret.empty()) return Ok();
  if (endpoint.access_key != kJsonKeyUser) {
    return Fail(ErrorCode::kBadRequest,
                "access_key must be _json_key for google-gcr (the secret is the "
                "service-account JSON key)");
  }
  if (endpoint.access_secret.empty()) return KeyError("it is empty");
  auto json = nlohmann::json::parse(endpoint.access_secret, nullptr, false);
  if (!json.is_object()) return KeyError("not a JSON object");
  auto text = [&](const char* field) -> std::string {
    auto it = json.find(field);
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (text("type") != "service_account") return KeyError("type must be \"service_account\"");
  for (const char* field : {"project_id", "client_email", "private_key"}) {
    if (text(field).empty()) return KeyError(std::string("missing ") + field);
  }
  if (text("client_email").find('@') == std::string::npos)
    return KeyError("client_email is not an e-mail address");
  const std::string key = text("private_key");
  if (key.find("-----BEGIN PRIVATE KEY-----") == std::string::npos &&
      key.find("-----BEGIN RSA PRIVATE KEY-----") == std::string::npos) {
    return KeyError("private_key is not a PEM private key");
  }
  return Ok();
}

AdapterRegistration GcrRegistration() {
  return AdapterRegistration{GcrInfo(), CreateGcrAdapter, ValidateGcrCredential};
}

}  // namespace gcr

Status RegisterGcrAdapter(AdapterRegistry& registry) {
  return registry.Register(gcr::GcrRegistration());
}

}  // namespace berth::adapters
