#include "remote/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace berth::remote {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

int DefaultPort(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Url::Authority() const {
  if (port == DefaultPort(scheme)) return host;
  return host + ":" + std::to_string(port);
}

std::string Url::Origin() const { return scheme + "://" + Authority(); }

std::string Url::str() const {
  std::string out = Origin() + path;
  if (!query.empty()) out += "?" + query;
  return out;
}

bool ParseUrl(std::string_view text, Url& out) {
  size_t sep = text.find("://");
  if (sep == std::string_view::npos) return false;
  out.scheme = Lower(text.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") return false;
  std::string_view rest = text.substr(sep + 3);
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? "" : rest.substr(end);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(0, close + 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return false;
      port = authority.substr(close + 2);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return false;
  out.host = Lower(host);
  out.port = DefaultPort(out.scheme);
  if (!port.empty()) {
    int value = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || ptr != port.data() + port.size() || value <= 0 || value > 65535) {
      return false;
    }
    out.port = value;
  }
  if (size_t hash = tail.find('#'); hash != std::string_view::npos) tail = tail.substr(0, hash);
  size_t q = tail.find('?');
  out.path = std::string(tail.substr(0, q));
  out.query = q == std::string_view::npos ? "" : std::string(tail.substr(q + 1));
  if (out.path.empty()) out.path = "/";
  return true;
}

std::string ResolveUrl(std::string_view base, std::string_view reference) {
  Url b;
  if (reference.find("://") != std::string_view::npos || !ParseUrl(base, b)) {
    return std::string(reference);
  }
  if (reference.starts_with("//")) return b.scheme + ":" + std::string(reference);
  if (reference.starts_with("/")) return b.Origin() + std::string(reference);
  if (reference.starts_with("?")) return b.Origin() + b.path + std::string(reference);
  std::string dir = b.path.substr(0, b.path.rfind('/') + 1);
  return b.Origin() + dir + std::string(reference);
}

bool SameOrigin(std::string_view a, std::string_view b) {
  Url ua, ub;
  if (!ParseUrl(a, ua) || !ParseUrl(b, ub)) return false;
  return ua.scheme == ub.scheme && ua.host == ub.host && ua.port == ub.port;
}

std::string UrlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else if (text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::string QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (UrlDecode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? "" : UrlDecode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

std::string HostPort(std::string_view url) {
  Url parsed;
  if (!ParseUrl(url, parsed)) return std::string(url);
  return parsed.host + ":" + std::to_string(parsed.port);
}

}  // namespace berth::remote
