// Internal: the state and request plumbing behind DistributionClient (auth discovery,
// authorization headers, token fetch, redirects, 401 retry). Not for use outside remote/.
#pragma once

#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "remote/auth_challenge.h"
#include "remote/distribution_client.h"
#include "remote/http_errors.h"
#include "remote/transport.h"
#include "remote/url.h"

namespace berth::remote {
// Helpers shared by the client implementation files.
inline constexpr int kMaxRedirects = 10;
inline constexpr int kMaxPages = 100000;
inline constexpr char kManifestAccept[] =
    "Accept: application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

inline std::string Base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

inline std::string BasicHeader(const BasicCredential& c) {
  return "Authorization: Basic " + Base64(c.username + ":" + c.password);
}

inline bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

inline bool IsSuccess(int status) { return status >= 200 && status < 300; }

// "application/json; charset=utf-8" → "application/json"
inline std::string MediaType(std::string_view content_type) {
  std::string_view type = content_type.substr(0, content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return std::string(type);
}

// The target of a `Link: <url>; rel="next"` header, or empty.
inline std::string NextLink(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (strcasecmp(name.c_str(), "Link") != 0) continue;
    size_t open = value.find('<');
    size_t close = value.find('>', open);
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string_view params = std::string_view(value).substr(close + 1);
    if (params.find("rel=\"next\"") != std::string_view::npos ||
        params.find("rel=next") != std::string_view::npos) {
      return value.substr(open + 1, close - open - 1);
    }
  }
  return {};
}

inline bool IsJson(std::string_view body) { return !body.empty() && nlohmann::json::accept(body); }

// The pause before try `attempt` + 1 (0-based `attempt` just failed): base_delay doubled per
// failure with "equal jitter" (half fixed, half random), capped at max_delay; a Retry-After
// replaces it (also capped).
inline std::chrono::milliseconds RetryDelay(const RetryPolicy& policy, int attempt,
                                            std::optional<std::chrono::seconds> retry_after) {
  using std::chrono::milliseconds;
  if (retry_after) return std::min<milliseconds>(*retry_after, policy.max_delay);
  milliseconds delay = policy.base_delay;
  for (int i = 0; i < attempt && delay < policy.max_delay; ++i) delay *= 2;
  delay = std::min(delay, policy.max_delay);
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<int64_t> half(0, delay.count() / 2);
  return milliseconds(delay.count() - delay.count() / 2 + half(random));
}

// GET/HEAD without a body or a streaming sink: safe to send again.
inline bool Idempotent(const TransportRequest& request) {
  return (request.method == "GET" || request.method == "HEAD") && !request.send_body &&
         !request.source && !request.sink;
}

struct DistributionClient::Impl {
  enum class Scheme { kNone, kBasic, kBearer };

  ClientOptions options;
  std::string base;   // base_url without a trailing slash
  std::string where;  // host:port for messages
  std::shared_ptr<CredentialProvider> credentials;
  Transport transport;

  std::mutex auth_mutex;  // guards the fields below
  bool discovered = false;
  Scheme scheme = Scheme::kNone;
  std::string realm;
  std::string service;
  TokenCache tokens;

  Impl(ClientOptions opts, std::shared_ptr<CredentialProvider> creds)
      : options(std::move(opts)),
        credentials(creds ? std::move(creds) : StaticCredentials("", "")),
        transport(options) {
    base = options.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    if (base.ends_with("/v2")) base.resize(base.size() - 3);
    Url url;
    where = ParseUrl(base, url) ? url.host + ":" + std::to_string(url.port) : base;
  }

  std::string RepoUrl(std::string_view repository, std::string_view rest) const {
    return base + "/v2/" + std::string(repository) + "/" + std::string(rest);
  }

  // Adopts the challenge of a 401 answer; false when it has none we support.
  bool AdoptChallenge(const HttpResponse& response, std::string* unsupported) {
    std::string joined;
    for (const auto& [name, value] : response.headers) {
      if (strcasecmp(name.c_str(), "WWW-Authenticate") == 0) joined += value + ", ";
    }
    std::vector<Challenge> challenges = ParseChallenges(joined);
    std::optional<Challenge> picked = PickChallenge(challenges);
    if (!picked) {
      if (!challenges.empty() && unsupported) *unsupported = challenges.front().scheme;
      return false;
    }
    if (picked->scheme == "bearer") {
      scheme = Scheme::kBearer;
      realm = picked->Param("realm");
      service = picked->Param("service");
    } else {
      scheme = Scheme::kBasic;
    }
    return true;
  }

  // Runs `once` (an exchange for `request`) up to options.network.retry.attempts times
  // while it fails with kUnavailable / kTooManyRequests or answers a retryable status.
  template <typename Once>
  Result<HttpResponse> Retrying(const TransportRequest& request, const Once& once) {
    const RetryPolicy& policy = options.network.retry;
    for (int attempt = 0;; ++attempt) {
      Result<HttpResponse> response = once();
      std::optional<std::chrono::seconds> retry_after;
      if (response) {
        if (!RetryableStatus(response->status)) return response;
        retry_after = ParseRetryAfter(*response);
      } else {
        ErrorCode code = response.error().code;
        if (code != ErrorCode::kUnavailable && code != ErrorCode::kTooManyRequests) {
          return response;
        }
        retry_after = RetryAfter(response.error());
      }
      if (attempt + 1 >= policy.attempts) return response;
      std::chrono::milliseconds delay = RetryDelay(policy, attempt, retry_after);
      spdlog::debug("remote: {} {} failed ({}), try {} of {} in {} ms", request.method, where,
                    response ? std::to_string(response->status) : response.error().message,
                    attempt + 2, policy.attempts, delay.count());
      std::this_thread::sleep_for(delay);
    }
  }

  // Learns the auth scheme once, from an anonymous GET /v2/.
  Status Discover() {
    std::lock_guard lock(auth_mutex);
    if (discovered) return Ok();
    TransportRequest request;
    request.url = base + "/v2/";
    request.max_body = 1 << 20;
    Result<HttpResponse> response = Retrying(request, [&] { return transport.Perform(request); });
    if (!response) return Fail(std::move(response).error());
    if (response->status == 401) {
      std::string unsupported;
      if (!AdoptChallenge(*response, &unsupported) && !unsupported.empty()) {
        return Fail(
            ErrorCode::kBadRequest,
            where + " asks for the unsupported authentication scheme \"" + unsupported + "\"");
      }
    }
    discovered = true;
    return Ok();
  }

  Result<Token> FetchToken(const std::vector<std::string>& scopes, const std::string& token_realm,
                           const std::string& token_service) {
    Url realm_url;
    if (!ParseUrl(token_realm, realm_url)) {
      return Fail(ErrorCode::kBadRequest,
                  where + " names an unusable token service realm \"" + token_realm + "\"");
    }
    std::string url = token_realm;
    char sep = url.find('?') == std::string::npos ? '?' : '&';
    if (!token_service.empty()) {
      url += sep + std::string("service=") + PercentEncode(token_service);
      sep = '&';
    }
    for (const std::string& scope : scopes) {
      url += sep + std::string("scope=") + PercentEncode(scope);
      sep = '&';
    }
    Result<BasicCredential> credential = credentials->Get();
    if (!credential) return Fail(std::move(credential).error());
    TransportRequest request;
    request.url = url;
    request.max_body = 1 << 20;
    if (!credential->username.empty()) request.headers.push_back(BasicHeader(*credential));
    Clock::time_point sent = Clock::now();
    Result<HttpResponse> response =
        Retrying(request, [&] { return FollowRedirects(request, url, nullptr); });
    if (!response) return Fail(std::move(response).error());
    std::string token_host = realm_url.host + ":" + std::to_string(realm_url.port);
    if (response->status == 401) {
      if (!credential->username.empty()) credentials->Invalidate();
      return Fail(
          ErrorCode::kUnauthorized,
          "the token service " + token_host +
              (credential->username.empty()
                   ? " refused anonymous access (401): set a username and password/token"
                   : " rejected the credentials (401): check the username and password/token"));
    }
    if (!IsSuccess(response->status)) {
      return Fail(HttpError(*response, token_host, "a token request", ErrorCode::kNotFound,
                            !credential->username.empty()));
    }
    Result<Token> token = ParseTokenResponse(response->body, sent);
    if (!token) {
      return Fail(ErrorCode::kBadRequest,
                  "the token service " + token_host + " answered oddly: " + token.error().message);
    }
    return token;
  }

  struct AuthUsed {
    std::string token_key;     // non-empty when a Bearer token was used
    bool any = false;          // an Authorization header was sent
    bool credentials = false;  // ... backed by a username (not anonymous)
  };

  // The Authorization header line for a registry request, or empty.
  Result<std::string> Authorization(const std::string& method, const std::string& url,
                                    AuthUsed& used) {
    if (!SameOrigin(url, base)) return std::string();
    Scheme current;
    std::string token_realm, token_service;
    {
      std::lock_guard lock(auth_mutex);
      current = scheme;
      token_realm = realm;
      token_service = service;
    }
    if (current == Scheme::kNone) return std::string();
    if (current == Scheme::kBasic) {
      Result<BasicCredential> credential = credentials->Get();
      if (!credential) return Fail(std::move(credential).error());
      if (credential->username.empty()) return std::string();
      used.any = true;
      used.credentials = true;
      return BasicHeader(*credential);
    }
    Url parsed;
    ParseUrl(url, parsed);
    std::vector<std::string> scopes = ScopesFor(method, parsed.path, parsed.query);
    std::string key = ScopeKey(scopes);
    std::optional<std::string> cached = tokens.Get(key, Clock::now());
    if (!cached) {
      Result<Token> token = FetchToken(scopes, token_realm, token_service);
      if (!token) return Fail(std::move(token).error());
      cached = token->value;
      tokens.Put(key, std::move(*token), Clock::now());
    }
    Result<BasicCredential> credential = credentials->Get();
    used.any = true;
    used.credentials = credential && !credential->username.empty();
    used.token_key = key;
    return "Authorization: Bearer " + *cached;
  }

  // Performs `request`, following redirects for GET/HEAD. `auth_header` (if any) goes only
  // to URLs of the registry's origin; caller Authorization headers only to the first origin.
  Result<HttpResponse> FollowRedirects(const TransportRequest& request, const std::string& origin,
                                       const std::string* auth_header) {
    TransportRequest hop = request;
    for (int i = 0;; ++i) {
      hop.headers.clear();
      bool same_as_first = SameOrigin(hop.url, origin);
      for (const std::string& line : request.headers) {
        if (!same_as_first && strncasecmp(line.c_str(), "Authorization:", 14) == 0) continue;
        hop.headers.push_back(line);
      }
      if (auth_header && !auth_header->empty() && SameOrigin(hop.url, base)) {
        hop.headers.push_back(*auth_header);
      }
      Result<HttpResponse> response = transport.Perform(hop);
      if (!response) return response;
      spdlog::debug("remote: {} {} -> {}", hop.method, hop.url, response->status);
      std::optional<std::string> location = response->Header("Location");
      if (!IsRedirect(response->status) || !location ||
          (hop.method != "GET" && hop.method != "HEAD")) {
        return response;
      }
      if (i >= kMaxRedirects) {
        return Fail(ErrorCode::kBadRequest,
                    where + " redirected more than " + std::to_string(kMaxRedirects) + " times");
      }
      hop.url = ResolveUrl(hop.url, *location);
    }
  }

  // A request with registry auth: adds the Authorization header; on a 401 drops the token
  // (and invalidates the credentials) and tries once more when the body can be resent.
  Result<HttpResponse> Send(const TransportRequest& request, bool* had_credentials = nullptr) {
    BERTH_TRY(Discover());
    for (int attempt = 0;; ++attempt) {
      AuthUsed used;
      Result<std::string> auth = Authorization(request.method, request.url, used);
      if (!auth) return Fail(std::move(auth).error());
      if (had_credentials) *had_credentials = used.credentials;
      Result<HttpResponse> response =
          Idempotent(request)
              ? Retrying(request, [&] { return FollowRedirects(request, request.url, &*auth); })
              : FollowRedirects(request, request.url, &*auth);
      if (!response || response->status != 401 || attempt > 0 || request.source) return response;
      if (used.any) {
        if (!used.token_key.empty()) tokens.Drop(used.token_key);
        credentials->Invalidate();
        continue;
      }
      // Anonymous so far: the registry may challenge only on some paths.
      bool adopted = false;
      {
        std::lock_guard lock(auth_mutex);
        if (scheme == Scheme::kNone) adopted = AdoptChallenge(*response, nullptr);
      }
      if (!adopted) return response;
    }
  }

  Error Unexpected(const HttpResponse& response, std::string_view what, ErrorCode not_found,
                   bool had_credentials) const {
    return HttpError(response, where, what, not_found, had_credentials);
  }

  // GETs a JSON list (`field`) across Link-paginated pages.
  Result<std::vector<std::string>> ListPages(std::string url, const char* field,
                                             std::string_view what) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (int page = 0; page < kMaxPages && !url.empty() && seen.insert(url).second; ++page) {
      TransportRequest request;
      request.url = url;
      bool had_credentials = false;
      Result<HttpResponse> response = Send(request, &had_credentials);
      if (!response) return Fail(std::move(response).error());
      if (response->status != 200) {
        return Fail(Unexpected(*response, what, ErrorCode::kNameUnknown, had_credentials));
      }
      nlohmann::json json = nlohmann::json::parse(response->body, nullptr, false);
      if (!json.is_object()) {
        return Fail(ErrorCode::kBadRequest,
                    where + " answered " + std::string(what) + " with something other than JSON");
      }
      auto list = json.find(field);
      if (list != json.end() && list->is_array()) {
        for (const auto& item : *list) {
          if (item.is_string()) out.push_back(item.get<std::string>());
        }
      }
      std::string next = NextLink(*response);
      url = next.empty() ? "" : ResolveUrl(url, next);
    }
    return out;
  }
};

}  // namespace berth::remote
