#include "replication/model/filters.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

namespace berth::replication {
namespace {

// Index of the '}' closing the '{' at `open`, or npos. Skips escapes and [...] classes.
size_t FindClosingBrace(std::string_view p, size_t open) {
  int depth = 0;
  bool in_class = false;
  for (size_t i = open; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      ++i;
    } else if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) return i;
    }
  }
  return std::string_view::npos;
}

// At most this many patterns come out of one pattern's {a,b} groups.
constexpr size_t kMaxAlternatives = 1024;

// Every pattern that the {a,b} alternatives of `p` stand for, the first kMaxAlternatives
// of them; a malformed group stays as is (ValidateGlob reports it).
void ExpandBraces(std::string_view p, std::vector<std::string>& out) {
  if (out.size() >= kMaxAlternatives) return;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      in_class = true;
      continue;
    }
    if (c != '{') continue;
    size_t close = FindClosingBrace(p, i);
    if (close == std::string_view::npos) break;
    std::string_view prefix = p.substr(0, i);
    std::string_view suffix = p.substr(close + 1);
    std::string_view body = p.substr(i + 1, close - i - 1);
    // Split the body on its top-level commas.
    int depth = 0;
    bool body_class = false;
    size_t start = 0;
    for (size_t j = 0; j <= body.size(); ++j) {
      if (j < body.size()) {
        char b = body[j];
        if (b == '\\') {
          ++j;
          continue;
        }
        if (body_class) {
          if (b == ']') body_class = false;
          continue;
        }
        if (b == '[') body_class = true;
        if (b == '{') ++depth;
        if (b == '}') --depth;
        if (b != ',' || depth != 0) continue;
      }
      std::string alternative(prefix);
      alternative += body.substr(start, j - start);
      alternative += suffix;
      ExpandBraces(alternative, out);
      start = j + 1;
    }
    return;
  }
  out.emplace_back(p);
}

// Matches a class "[...]" starting at p[pi] against c; advances pi past the class.
bool MatchClass(std::string_view p, size_t& pi, char c) {
  size_t i = pi + 1;
  bool negate = i < p.size() && (p[i] == '!' || p[i] == '^');
  if (negate) ++i;
  bool matched = false;
  bool first = true;
  while (i < p.size() && (first || p[i] != ']')) {
    first = false;
    char lo = p[i];
    if (lo == '\\' && i + 1 < p.size()) lo = p[++i];
    char hi = lo;
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      hi = p[i + 2];
      if (hi == '\\' && i + 3 < p.size()) {
        hi = p[i + 3];
        ++i;
      }
      i += 2;
    }
    if (lo <= c && c <= hi) matched = true;
    ++i;
  }
  pi = i + 1;  // past ']'
  return matched != negate;
}

// One path component (no '/') against a pattern component without braces.
bool MatchComponent(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0;
  size_t star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      while (pi < p.size() && p[pi] == '*') ++pi;
      star_p = pi;
      star_s = si;
      continue;
    }
    if (pi < p.size()) {
      size_t next = pi;
      bool ok = false;
      if (p[pi] == '?') {
        ok = true;
        next = pi + 1;
      } else if (p[pi] == '[') {
        ok = MatchClass(p, next, s[si]);
      } else if (p[pi] == '\\' && pi + 1 < p.size()) {
        ok = p[pi + 1] == s[si];
        next = pi + 2;
      } else {
        ok = p[pi] == s[si];
        next = pi + 1;
      }
      if (ok) {
        pi = next;
        ++si;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p;
    si = ++star_s;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

std::vector<std::string_view> SplitPath(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t at = text.find('/', start);
    if (at == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
}

bool MatchComponents(const std::vector<std::string_view>& p, size_t pi,
                     const std::vector<std::string_view>& s, size_t si) {
  if (pi == p.size()) return si == s.size();
  if (p[pi] == "**") {
    for (size_t k = si; k <= s.size(); ++k) {
      if (MatchComponents(p, pi + 1, s, k)) return true;
    }
    return false;
  }
  if (si == s.size()) return false;
  return MatchComponent(p[pi], s[si]) && MatchComponents(p, pi + 1, s, si + 1);
}

const std::string& ValueOf(const Filter& filter) {
  static const std::string kEmpty;
  return filter.values.empty() ? kEmpty : filter.values.front();
}

bool HasAll(const std::vector<std::string>& have, const std::vector<std::string>& wanted) {
  return std::ranges::all_of(wanted, [&](const std::string& label) {
    return std::ranges::find(have, label) != have.end();
  });
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return true;
  std::vector<std::string> alternatives;
  ExpandBraces(pattern, alternatives);
  auto names = SplitPath(text);
  for (const auto& alternative : alternatives) {
    if (MatchComponents(SplitPath(alternative), 0, names, 0)) return true;
  }
  return false;
}

Status ValidateGlob(std::string_view pattern) {
  int braces = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\') {
      if (i + 1 == pattern.size()) {
        return Fail(ErrorCode::kBadRequest, "a trailing '\\' escapes nothing");
      }
      ++i;
    } else if (c == '[') {
      size_t j = i + 1;
      if (j < pattern.size() && (pattern[j] == '!' || pattern[j] == '^')) ++j;
      if (j < pattern.size() && pattern[j] == ']') ++j;  // a leading ']' is literal
      while (j < pattern.size() && pattern[j] != ']' && pattern[j] != '/') {
        if (pattern[j] == '\\') ++j;
        ++j;
      }
      if (j >= pattern.size() || pattern[j] != ']') {
        return Fail(ErrorCode::kBadRequest, "'[' is not closed by ']'");
      }
      i = j;
    } else if (c == '{') {
      ++braces;
    } else if (c == '}') {
      if (braces == 0) return Fail(ErrorCode::kBadRequest, "'}' has no matching '{'");
      --braces;
    }
  }
  if (braces != 0) return Fail(ErrorCode::kBadRequest, "'{' is not closed by '}'");
  std::vector<std::string> alternatives;
  ExpandBraces(pattern, alternatives);
  if (alternatives.size() >= kMaxAlternatives) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("its {{...}} groups stand for more than {} patterns; use fewer groups",
                            kMaxAlternatives - 1));
  }
  return Ok();
}

bool RepositorySelected(const std::vector<Filter>& filters, std::string_view repository) {
  return std::ranges::all_of(filters, [&](const Filter& filter) {
    return filter.type != "name" || GlobMatch(ValueOf(filter), repository);
  });
}

std::vector<ArtifactRef> SelectArtifacts(const std::vector<Filter>& filters,
                                         std::vector<ArtifactRef> artifacts) {
  for (const Filter& filter : filters) {
    const bool excludes = filter.decoration == "excludes";
    std::vector<ArtifactRef> kept;
    kept.reserve(artifacts.size());
    if (filter.type == "tag") {
      const std::string& pattern = ValueOf(filter);
      if (pattern.empty()) continue;
      for (auto& artifact : artifacts) {
        if (artifact.tags.empty()) {
          // An untagged artifact is matched as the empty tag.
          if (GlobMatch(pattern, "") != excludes) kept.push_back(std::move(artifact));
          continue;
        }
        std::erase_if(artifact.tags,
                      [&](const std::string& tag) { return GlobMatch(pattern, tag) == excludes; });
        if (!artifact.tags.empty()) kept.push_back(std::move(artifact));
      }
    } else if (filter.type == "label") {
      if (filter.values.empty()) continue;
      for (auto& artifact : artifacts) {
        if (HasAll(artifact.labels, filter.values) != excludes) kept.push_back(std::move(artifact));
      }
    } else {
      continue;  // name filters select repositories; resource filters keep everything
    }
    artifacts = std::move(kept);
  }
  return artifacts;
}

}  // namespace berth::replication
