#include "remote/auth_challenge.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>

#include "remote/url.h"

namespace berth::remote {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

void SkipSpaces(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
}

std::string ReadToken(std::string_view s, size_t& i) {
  size_t start = i;
  while (i < s.size() && IsTokenChar(s[i])) ++i;
  return std::string(s.substr(start, i - start));
}

// Reads an unquoted parameter value: up to a comma or whitespace (lenient: URLs too).
std::string ReadBare(std::string_view s, size_t& i) {
  size_t start = i;
  while (i < s.size() && s[i] != ',' && s[i] != ' ' && s[i] != '\t') ++i;
  return std::string(s.substr(start, i - start));
}

// Reads a quoted string starting at s[i] == '"'; handles backslash escapes.
std::string ReadQuoted(std::string_view s, size_t& i) {
  std::string out;
  ++i;
  while (i < s.size() && s[i] != '"') {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out.push_back(s[i++]);
  }
  if (i < s.size()) ++i;  // closing quote
  return out;
}

// Parses an RFC 3339 timestamp ("2024-01-02T03:04:05[.frac](Z|+hh:mm)").
std::optional<Clock::time_point> ParseRfc3339(std::string_view s) {
  std::tm tm{};
  int consumed = 0;
  std::string text(s);
  if (sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  time_t t = timegm(&tm);
  std::string_view rest = std::string_view(text).substr(consumed);
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest.front()))) {
      rest.remove_prefix(1);
    }
  }
  if (rest.size() >= 6 && (rest[0] == '+' || rest[0] == '-')) {
    int hh = 0, mm = 0;
    if (sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &hh, &mm) == 2) {
      int offset = (hh * 60 + mm) * 60;
      t += rest[0] == '+' ? -offset : offset;
    }
  }
  return Clock::from_time_t(t);
}

}  // namespace

std::string Challenge::Param(const std::string& key) const {
  auto it = params.find(key);
  return it == params.end() ? std::string() : it->second;
}

std::vector<Challenge> ParseChallenges(std::string_view s) {
  std::vector<Challenge> out;
  size_t i = 0;
  while (i < s.size()) {
    SkipSpaces(s, i);
    while (i < s.size() && (s[i] == ',' || s[i] == ' ')) ++i;
    if (i >= s.size()) break;
    std::string word = ReadToken(s, i);
    if (word.empty()) {
      ++i;  // skip a stray character
      continue;
    }
    SkipSpaces(s, i);
    if (i < s.size() && s[i] == '=') {
      // A parameter of the current challenge.
      ++i;
      SkipSpaces(s, i);
      std::string value = i < s.size() && s[i] == '"' ? ReadQuoted(s, i) : ReadBare(s, i);
      if (!out.empty()) out.back().params[Lower(word)] = value;
      continue;
    }
    out.push_back(Challenge{Lower(word), {}});
  }
  return out;
}

std::optional<Challenge> PickChallenge(const std::vector<Challenge>& challenges) {
  for (const char* wanted : {"bearer", "basic"}) {
    for (const Challenge& c : challenges) {
      if (c.scheme == wanted) return c;
    }
  }
  return std::nullopt;
}

std::vector<std::string> ScopesFor(std::string_view method, std::string_view path,
                                   std::string_view query) {
  size_t v2 = path.find("/v2/");
  if (v2 == std::string_view::npos) return {};
  std::string_view rest = path.substr(v2 + 4);
  if (rest.empty()) return {};
  if (rest == "_catalog") return {"registry:catalog:*"};

  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t slash = rest.find('/', start);
    parts.push_back(rest.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  // Index of the first component after the repository name.
  size_t n = parts.size();
  size_t name_end = 0;
  if (n >= 4 && parts[n - 3] == "blobs" && parts[n - 2] == "uploads") {
    name_end = n - 3;
  } else if (n >= 3 &&
             (parts[n - 2] == "manifests" || parts[n - 2] == "blobs" ||
              parts[n - 2] == "referrers" || (parts[n - 2] == "tags" && parts[n - 1] == "list"))) {
    name_end = n - 2;
  } else {
    return {};
  }
  std::string name;
  for (size_t k = 0; k < name_end; ++k) {
    if (k) name += "/";
    name += parts[k];
  }
  std::string actions;
  if (method == "GET" || method == "HEAD") {
    actions = "pull";
  } else if (method == "DELETE") {
    actions = "*";
  } else {
    actions = "pull,push";
  }
  std::vector<std::string> scopes{"repository:" + name + ":" + actions};
  std::string from = QueryParam(query, "from");
  if (!from.empty() && !QueryParam(query, "mount").empty() && from != name) {
    scopes.push_back("repository:" + from + ":pull");
  }
  return scopes;
}

Result<Token> ParseTokenResponse(std::string_view body, Clock::time_point now) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object()) {
    return Fail(ErrorCode::kBadRequest,
                "the token service answered with something other than JSON");
  }
  std::string value;
  for (const char* key : {"token", "access_token"}) {
    auto it = json.find(key);
    if (it != json.end() && it->is_string() && !it->get<std::string>().empty()) {
      value = it->get<std::string>();
      break;
    }
  }
  if (value.empty()) {
    return Fail(ErrorCode::kBadRequest, "the token service answered without a token");
  }
  std::chrono::seconds lifetime = kDefaultTokenLifetime;
  if (auto it = json.find("expires_in");
      it != json.end() && it->is_number() && it->get<double>() > 0) {
    lifetime = std::chrono::seconds(static_cast<int64_t>(it->get<double>()));
  }
  Clock::time_point start = now;
  if (auto it = json.find("issued_at"); it != json.end() && it->is_string()) {
    auto issued = ParseRfc3339(it->get<std::string>());
    if (issued && *issued > now - std::chrono::minutes(5) &&
        *issued < now + std::chrono::minutes(5)) {
      start = *issued;
    }
  }
  return Token{std::move(value), start + lifetime - kTokenSkew};
}

std::optional<std::string> TokenCache::Get(const std::string& key, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(key);
  if (it == tokens_.end() || it->second.expires <= now) return std::nullopt;
  return it->second.value;
}

void TokenCache::Put(const std::string& key, Token token, Clock::time_point now) {
  if (token.expires <= now || capacity_ == 0) return;
  std::lock_guard lock(mutex_);
  tokens_.erase(key);
  if (tokens_.size() >= capacity_) {
    std::erase_if(tokens_, [&](const auto& entry) { return entry.second.expires <= now; });
  }
  while (tokens_.size() >= capacity_) {
    auto soonest = std::ranges::min_element(
        tokens_, [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
    tokens_.erase(soonest);
  }
  tokens_.emplace(key, std::move(token));
}

void TokenCache::Drop(const std::string& key) {
  std::lock_guard lock(mutex_);
  tokens_.erase(key);
}

size_t TokenCache::size() const {
  std::lock_guard lock(mutex_);
  return tokens_.size();
}

std::string ScopeKey(const std::vector<std::string>& scopes) {
  std::string key;
  for (const std::string& s : scopes) {
    if (!key.empty()) key += ' ';
    key += s;
  }
  return key;
}

}  // namespace berth::remote
