// quay: the access key is the fixed marker "json_file" and the secret a JSON document
// {"oauth2_token"?, "account_name", "docker_cli_password"} (empty = anonymous). The
// registry is reached with account_name/docker_cli_password; with an OAuth2 token the
// Quay API (Bearer) creates missing organizations before a push.
#include "adapters/quay/quay_adapter.h"

#include <set>

#include "adapters/common/http_util.h"
#include "adapters/common/native_adapter.h"

namespace berth::adapters {
namespace {

struct QuayCredential {
  std::string oauth2_token;
  std::string account_name;
  std::string docker_cli_password;
};

constexpr std::string_view kShapeHint =
    "access_secret must be JSON like {\"account_name\":..., \"docker_cli_password\":...} "
    "(optionally with \"oauth2_token\")";

Result<QuayCredential> ParseCredential(const Endpoint& endpoint) {
  QuayCredential credential;
  if (endpoint.access_secret.empty()) return credential;  // anonymous
  auto json = nlohmann::json::parse(endpoint.access_secret, nullptr, false);
  if (json.is_discarded() || !json.is_object())
    return Fail(ErrorCode::kBadRequest, std::string(kShapeHint) + ": it is not a JSON object");
  auto field = [&](const char* name, std::string& out, bool required) -> Status {
    if (!json.contains(name) || !json[name].is_string() || json[name].get<std::string>().empty()) {
      if (!required) return Ok();
      return Fail(ErrorCode::kBadRequest, std::string(kShapeHint) + ": missing " + name);
    }
    out = json[name].get<std::string>();
    return Ok();
  };
  BERTH_TRY(field("account_name", credential.account_name, true));
  BERTH_TRY(field("docker_cli_password", credential.docker_cli_password, true));
  BERTH_TRY(field("oauth2_token", credential.oauth2_token, false));
  return credential;
}

class QuayAdapter : public NativeAdapter {
 public:
  QuayAdapter(AdapterInfo info, const Endpoint& endpoint, const AdapterDeps& deps,
              QuayCredential credential)
      : NativeAdapter(
            std::move(info), endpoint, deps, {},
            remote::StaticCredentials(credential.account_name, credential.docker_cli_password)),
        credential_(std::move(credential)) {}

  // Creates each missing organization (first path component) through the Quay API;
  // without an OAuth2 token the namespaces must exist already.
  Status PrepareForPush(const std::vector<std::string>& repositories) override {
    if (credential_.oauth2_token.empty()) return Ok();
    std::set<std::string> namespaces;
    for (const auto& repository : repositories) {
      size_t slash = repository.find('/');
      if (slash == std::string::npos || slash == 0)
        return Fail(ErrorCode::kBadRequest,
                    "repository " + repository + " has no namespace: Quay needs namespace/name");
      namespaces.insert(repository.substr(0, slash));
    }
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Authorization", "Bearer " + credential_.oauth2_token}, {"Accept", "application/json"}};
    for (const auto& ns : namespaces) {
      if (ns == credential_.account_name) continue;  // the user's own namespace
      auto existing = Api("GET", ApiBase() + "/organization/" + PercentEncode(ns), headers);
      if (!existing) return Fail(std::move(existing).error());
      if (existing->status == 200) continue;
      if (existing->status != 404)
        return Fail(ApiError(*existing, "Quay organization lookup of " + ns));
      nlohmann::json body = {{"name", ns}, {"email", ns + "@quay.io"}};
      auto post_headers = headers;
      post_headers.emplace_back("Content-Type", "application/json");
      auto created = Api("POST", ApiBase() + "/organization/", post_headers, body.dump());
      if (!created) return Fail(std::move(created).error());
      if (created->status != 201 && created->status != 200)
        return Fail(ApiError(*created, "Quay organization creation of " + ns));
    }
    return Ok();
  }

 private:
  std::string ApiBase() const { return endpoint().url + "/api/v1"; }

  QuayCredential credential_;
};

}  // namespace

Status RegisterQuayAdapter(AdapterRegistry& registry) {
  AdapterInfo info = StandardInfo("quay", "Quay");
  info.endpoint_pattern = EndpointPattern{.endpoint_type = "EndpointPatternTypeStandard"};
  info.credential_pattern = CredentialPattern{.access_key_type = "AccessKeyTypeFix",
                                              .access_key_data = "json_file",
                                              .access_secret_type = "AccessSecretTypeFile",
                                              .access_secret_data = "No Change"};
  AdapterRegistration registration;
  registration.info = info;
  registration.validate_credential = [](const Endpoint& endpoint) -> Status {
    auto credential = ParseCredential(endpoint);
    if (!credential) return Fail(std::move(credential).error());
    return Ok();
  };
  registration.factory = [info](const Endpoint& endpoint,
                                const AdapterDeps& deps) -> Result<std::unique_ptr<Adapter>> {
    auto credential = ParseCredential(endpoint);
    if (!credential) return Fail(std::move(credential).error());
    return std::make_unique<QuayAdapter>(info, endpoint, deps, std::move(*credential));
  };
  return registry.Register(std::move(registration));
}

}  // namespace berth::adapters
