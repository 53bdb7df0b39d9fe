#include "api/router.h"

namespace berth::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::vector<std::string> SplitPath(std::string_view raw_path) {
  std::vector<std::string> segments;
  size_t start = 0;
  while (start <= raw_path.size()) {
    size_t end = raw_path.find('/', start);
    if (end == std::string_view::npos) end = raw_path.size();
    if (end > start) segments.push_back(PercentDecode(raw_path.substr(start, end - start)));
    start = end + 1;
  }
  return segments;
}

std::optional<PathParams> MatchPattern(std::string_view pattern,
                                       const std::vector<std::string>& segments) {
  PathParams params;
  size_t index = 0;
  size_t start = 0;
  while (start <= pattern.size()) {
    size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    std::string_view part = pattern.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    if (index >= segments.size()) return std::nullopt;
    const std::string& segment = segments[index++];
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      if (segment.empty()) return std::nullopt;
      params.emplace(std::string(part.substr(1, part.size() - 2)), segment);
    } else if (part != segment) {
      return std::nullopt;
    }
  }
  if (index != segments.size()) return std::nullopt;
  return params;
}

std::string DecodeRepositoryParam(std::string_view once_decoded) {
  std::string_view s = once_decoded;
  if (s.find("%2F") != std::string_view::npos || s.find("%2f") != std::string_view::npos) {
    return PercentDecode(s);
  }
  return std::string(s);
}

}  // namespace berth::api
