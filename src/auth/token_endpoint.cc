// GET/POST /service/token: the Docker token authentication endpoint.
#include <strings.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "auth/auth_service.h"

namespace berth::auth {
namespace {

constexpr size_t kMaxFormBytes = 64 * 1024;

std::string Rfc3339(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding of one component.
std::string FormDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() + 0 && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseForm(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      out.emplace_back(FormDecode(pair.substr(0, eq)), eq == std::string_view::npos
                                                           ? std::string()
                                                           : FormDecode(pair.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return out;
}

// Every "scope" parameter; one parameter may hold several scopes separated by spaces.
// Malformed scopes are skipped.
std::vector<Scope> RequestedScopes(const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<Scope> scopes;
  for (const auto& [key, value] : params) {
    if (key != "scope") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t space = rest.find(' ');
      if (auto scope = ParseScope(rest.substr(0, space))) scopes.push_back(std::move(*scope));
      if (space == std::string_view::npos) break;
      rest.remove_prefix(space + 1);
    }
  }
  return scopes;
}

std::optional<std::string> Param(const std::vector<std::pair<std::string, std::string>>& params,
                                 std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return std::nullopt;
}

http::Response Unauthorized(std::string message) {
  http::Response r = http::ErrorResponse(MakeError(ErrorCode::kUnauthorized, std::move(message)));
  return r;
}

}  // namespace

http::Response AuthService::TokenResponse(const IssuedToken& issued, bool oauth) const {
  nlohmann::json body = {{"token", issued.token},
                         {"access_token", issued.token},
                         {"expires_in", issued.expires_in},
                         {"issued_at", Rfc3339(issued.issued_at)}};
  if (oauth) {
    std::string scope;
    for (const auto& s : issued.access) {
      if (!scope.empty()) scope += ' ';
      scope += FormatScope(s);
    }
    body["scope"] = scope;
  }
  http::Response r = http::JsonResponse(200, body.dump());
  r.headers.Set("Cache-Control", "no-store");
  return r;
}

http::Task<http::Response> AuthService::HandleToken(http::Request& request) {
  Identity who;
  std::vector<std::pair<std::string, std::string>> params = request.query;
  bool oauth = false;
  if (request.method == "POST") {
    oauth = true;
    std::string form;
    if (request.body != nullptr) {
      auto read = co_await http::ReadAll(
          *request.body, kMaxFormBytes,
          MakeError(ErrorCode::kBadRequest, "token request form is too large"));
      if (!read) co_return http::ErrorResponse(read.error());
      form = std::move(*read);
    }
    auto form_params = ParseForm(form);
    params.insert(params.end(), form_params.begin(), form_params.end());
    std::string grant_type = Param(params, "grant_type").value_or("");
    if (grant_type == "password") {
      auto username = Param(params, "username");
      auto password = Param(params, "password");
      if (!username || !password) {
        co_return http::ErrorResponse(
            MakeError(ErrorCode::kBadRequest, "grant_type=password needs username and password"));
      }
      auto checked = CheckPassword(*username, *password);
      if (!checked) {
        if (checked.error().code == ErrorCode::kUnauthorized) {
          co_return Unauthorized(checked.error().message);
        }
        co_return http::ErrorResponse(checked.error());
      }
      who = std::move(*checked);
    } else if (grant_type == "refresh_token") {
      co_return http::ErrorResponse(
          MakeError(ErrorCode::kBadRequest,
                    "refresh tokens are not issued; use grant_type=password or GET with Basic"));
    } else {
      co_return http::ErrorResponse(MakeError(
          ErrorCode::kBadRequest,
          "unsupported grant_type \"" + grant_type.substr(0, 64) + "\"; use grant_type=password"));
    }
  } else if (request.method == "GET" || request.method == "HEAD") {
    auto authenticated = Authenticate(request);
    if (!authenticated) co_return http::ErrorResponse(authenticated.error());
    if (authenticated->from_token) {
      co_return Unauthorized("a token cannot be exchanged for another; use Basic credentials");
    }
    who = std::move(*authenticated);
  } else {
    co_return http::ErrorResponse(
        MakeError(ErrorCode::kMethodNotAllowed, "use GET or POST on /service/token"));
  }
  // As Harbor: a token for another service would be refused wherever it was presented.
  if (auto service = Param(params, "service"); service && *service != options_.service) {
    co_return http::ErrorResponse(
        MakeError(ErrorCode::kBadRequest, "unable to handle service \"" + service->substr(0, 64) +
                                              "\": this token service issues tokens for \"" +
                                              options_.service + "\""));
  }
  auto issued = IssueToken(who, RequestedScopes(params));
  if (!issued) co_return http::ErrorResponse(issued.error());
  co_return TokenResponse(*issued, oauth);
}

}  // namespace berth::auth
