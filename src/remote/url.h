// Small URL helpers for the registry client: split, resolve relative references,
// compare origins, percent-encode query values. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/percent_encoding.h"

namespace berth::remote {

struct Url {
  std::string scheme;  // lowercase, e.g. "https"
  std::string host;    // lowercase; IPv6 keeps its brackets
  int port = 0;        // explicit or the scheme's default (80/443)
  std::string path;    // starts with "/" (defaults to "/")
  std::string query;   // without '?', may be empty

  // "host" or "host:port" when the port is not the scheme's default.
  std::string Authority() const;
  // scheme://authority
  std::string Origin() const;
  // Origin() + path [+ '?' + query]
  std::string str() const;
};

// Parses an absolute http(s) URL; false when it is not one. User info is dropped.
bool ParseUrl(std::string_view text, Url& out);

// "host:port" of an absolute URL, the port always given (the scheme's default when the
// URL has none): the key for per-host connection limits. `url` itself when it does not
// parse.
std::string HostPort(std::string_view url);

// Resolves `reference` (absolute, scheme-relative "//host/...", absolute path "/...",
// or relative path) against `base`. Returns `reference` unchanged if `base` is invalid.
std::string ResolveUrl(std::string_view base, std::string_view reference);

// True when both URLs parse and have the same scheme, host and port.
bool SameOrigin(std::string_view a, std::string_view b);

// Decodes %XX and '+' (as space).
std::string UrlDecode(std::string_view text);

// The value of query parameter `name` (decoded), or empty.
std::string QueryParam(std::string_view query, std::string_view name);

}  // namespace berth::remote
