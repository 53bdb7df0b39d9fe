#include "adapters/swr/swr_adapter.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "adapters/common/credentials.h"
#include "adapters/common/http_util.h"

namespace berth::adapters {
namespace swr {
namespace {

constexpr int kPageSize = 100;

AdapterInfo SwrInfo() {
  AdapterInfo info;
  info.type = "huawei-SWR";
  info.description = "Huawei Cloud SoftWare Repository for Container";
  info.supported_resource_filters = {
      {"name", "input", {}}, {"tag", "input", {}}, {"resource", "radio", {"image"}}};
  info.supported_triggers = {"manual", "scheduled"};
  info.proxy_cache = false;
  return info;
}

// Percent-encodes a path segment or query value (unreserved characters kept).
std::string Encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

class SwrAdapter : public Adapter {
 public:
  SwrAdapter(remote::ClientOptions options, std::string username, std::string password)
      : base_url_(options.base_url),
        authorization_(username.empty() ? std::string() : BasicAuthorization(username, password)),
        registry_(std::move(options), remote::StaticCredentials(username, password)) {}

  // Unlike a check that always passes, this proves the credentials: an authenticated
  // registry ping and an authenticated dockyard call.
  Status HealthCheck() override {
    if (authorization_.empty()) {
      return Fail(ErrorCode::kBadRequest,
                  "huawei-SWR needs the long-term login credentials: user <region>@<AK> and "
                  "the login key as password");
    }
    auto ping = registry_.Ping();
    if (!ping) {
      Error e = std::move(ping).error();
      e.message = base_url_ + ": " + e.message;
      if (e.code == ErrorCode::kUnauthorized) e.message += CredentialHint();
      return Fail(std::move(e));
    }
    auto namespaces = Dockyard("GET", "/dockyard/v2/namespaces", "");
    if (!namespaces) return Fail(std::move(namespaces).error());
    if (namespaces->status != 200) return Fail(DockyardError("listing namespaces", *namespaces));
    return Ok();
  }

  Result<AdapterInfo> Info() override { return SwrInfo(); }
  remote::DistributionClient& Registry() override { return registry_; }

  // Every repository of the account: GET /dockyard/v2/repositories?filter=center::self,
  // paged with limit/offset.
  Result<std::vector<std::string>> ListRepositories() override {
    std::vector<std::string> names;
    size_t offset = 0;
    while (true) {
      const std::string filter =
          "center::self|limit::" + std::to_string(kPageSize) + "|offset::" + std::to_string(offset);
      auto reply = Dockyard("GET", "/dockyard/v2/repositories?filter=" + Encode(filter), "");
      if (!reply) return Fail(std::move(reply).error());
      if (reply->status != 200) return Fail(DockyardError("listing repositories", *reply));
      auto json = nlohmann::json::parse(reply->body, nullptr, false);
      if (!json.is_array())
        return Fail(ErrorCode::kInternal,
                    "SWR listed repositories as something else than a "
                    "JSON array");
      for (const auto& repo : json) {
        if (!repo.is_object()) continue;
        std::string ns = repo.value("namespace", "");
        std::string name = repo.value("name", "");
        if (!name.empty()) names.push_back(ns.empty() ? name : ns + "/" + name);
      }
      offset += json.size();
      // "Content-Range: <first>-<last>/<total>" tells when the listing is complete; without
      // it a short page ends it.
      const auto range = reply->Header("Content-Range").value_or("");
      const auto slash = range.rfind('/');
      if (json.empty()) break;
      if (slash != std::string::npos) {
        if (offset >= std::strtoull(range.c_str() + slash + 1, nullptr, 10)) break;
      } else if (json.size() < static_cast<size_t>(kPageSize)) {
        break;
      }
    }
    return names;
  }

  // Creates the organization (namespace) of each repository when it is missing; SWR
  // creates the repository itself on push.
  Status PrepareForPush(const std::vector<std::string>& repositories) override {
    std::set<std::string> done;
    for (const auto& repository : repositories) {
      const auto slash = repository.find('/');
      if (slash == std::string::npos || slash == 0) {
        return Fail(ErrorCode::kBadRequest, "huawei-SWR repositories live in an organization: '" +
                                                repository + "' needs an '<organization>/' prefix");
      }
      const std::string ns = repository.substr(0, slash);
      if (!done.insert(ns).second) continue;
      auto found = Dockyard("GET", "/dockyard/v2/namespaces/" + Encode(ns), "");
      if (!found) return Fail(std::move(found).error());
      if (found->status == 200) continue;
      if (found->status != 404) return Fail(DockyardError("looking up organization " + ns, *found));
      nlohmann::json body = {{"namespace", ns}};
      auto created = Dockyard("POST", "/dockyard/v2/namespaces", body.dump());
      if (!created) return Fail(std::move(created).error());
      if (created->status == 201 || created->status == 200) continue;
      if (created->status == 409) {
        return Fail(ErrorCode::kConflict, "huawei-SWR organization '" + ns +
                                              "' exists but belongs to another account: choose "
                                              "another destination namespace");
      }
      return Fail(DockyardError("creating organization " + ns, *created));
    }
    return Ok();
  }

 private:
  static std::string CredentialHint() {
    return " (use the long-term login credentials: user <region>@<AK>, password the login key)";
  }

  Result<remote::HttpResponse> Dockyard(const std::string& method, const std::string& path,
                                        std::string body) {
    remote::HttpRequest req;
    req.method = method;
    req.url = base_url_ + path;
    req.headers = {{"Authorization", authorization_}, {"Accept", "application/json"}};
    if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
    req.body = std::move(body);
    auto response = registry_.Do(req);
    if (!response) {
      Error e = std::move(response).error();
      e.message = "SWR API " + base_url_ + ": " + e.message;
      return Fail(std::move(e));
    }
    return response;
  }

  Error DockyardError(const std::string& what, const remote::HttpResponse& reply) const {
    std::string detail = reply.body.substr(0, 300);
    auto json = nlohmann::json::parse(reply.body, nullptr, false);
    if (json.is_object()) {
      std::string message = json.value("errorMessage", json.value("message", ""));
      if (!message.empty()) detail = message;
    }
    const std::string text = "SWR " + what + ": HTTP " + std::to_string(reply.status) +
                             (detail.empty() ? "" : " (" + detail + ")");
    if (reply.status == 401) return MakeError(ErrorCode::kUnauthorized, text + CredentialHint());
    if (reply.status == 403)
      return MakeError(ErrorCode::kDenied, text + ": the IAM user lacks SWR permissions");
    if (reply.status == 429) return MakeError(ErrorCode::kTooManyRequests, text);
    if (reply.status == 404) return MakeError(ErrorCode::kNotFound, text);
    return MakeError(ErrorCode::kInternal, text);
  }

  std::string base_url_;
  std::string authorization_;
  remote::DistributionClient registry_;
};

Result<std::unique_ptr<Adapter>> CreateSwrAdapter(const Endpoint& endpoint,
                                                  const AdapterDeps& deps) {
  remote::ClientOptions options;
  options.base_url = endpoint.url;
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  options.tls.insecure = endpoint.insecure;
  options.tls.ca_pem = endpoint.ca_certificate;
  options.network = deps.network;
  options.user_agent = deps.user_agent;
  return std::make_unique<SwrAdapter>(std::move(options), endpoint.access_key,
                                      endpoint.access_secret);
}

}  // namespace

Status ValidateSwrCredential(const Endpoint& endpoint) {
  return RequireKeyWithSecret(endpoint, "access_secret: the SWR login key is required",
                              "access_key: the SWR login user (<region>@<AK>) is required");
}

AdapterRegistration SwrRegistration() {
  return AdapterRegistration{SwrInfo(), CreateSwrAdapter, ValidateSwrCredential};
}

}  // namespace swr

Status RegisterSwrAdapter(AdapterRegistry& registry) {
  return registry.Register(swr::SwrRegistration());
}

}  // namespace berth::adapters
