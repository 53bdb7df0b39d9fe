// GET, HEAD and DELETE of blobs, with byte ranges.
#include <charconv>

#include "registry/registry_service.h"

namespace berth::registry {
namespace {

struct ByteRange {
  int64_t start = 0;
  int64_t length = 0;
};

bool ParseNumber(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size() && out >= 0;
}

// Parses "bytes=a-b", "bytes=a-" or "bytes=-n" against a blob of `size` bytes;
// std::nullopt when the range is malformed or cannot be satisfied.
std::optional<ByteRange> ParseRange(std::string_view header, int64_t size) {
  if (!header.starts_with("bytes=")) return std::nullopt;
  auto spec = header.substr(6);
  auto dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) {
    return std::nullopt;
  }
  int64_t first = 0, last = 0;
  auto a = spec.substr(0, dash), b = spec.substr(dash + 1);
  if (a.empty()) {  // suffix: the last n bytes
    if (!ParseNumber(b, last) || last == 0) return std::nullopt;
    first = std::max<int64_t>(0, size - last);
    return ByteRange{first, size - first};
  }
  if (!ParseNumber(a, first) || first >= size) return std::nullopt;
  if (b.empty()) return ByteRange{first, size - first};
  if (!ParseNumber(b, last) || last < first) return std::nullopt;
  last = std::min(last, size - 1);
  return ByteRange{first, last - first + 1};
}

}  // namespace

http::Task<http::Response> RegistryService::GetBlob(http::Request& request,
                                                    const metadata::Repository& repo,
                                                    const Route& route) {
  auto digest = Digest::Parse(route.arg);
  if (!digest) co_return RegistryError(digest.error());
  auto size = content_.StatBlob(repo, *digest);
  if (!size) co_return RegistryError(size.error());
  http::Response resp;
  resp.headers.Set("Docker-Content-Digest", digest->str());
  resp.headers.Set("Content-Type", "application/octet-stream");
  resp.headers.Set("Accept-Ranges", "bytes");
  resp.headers.Set("ETag", "\"" + digest->str() + "\"");
  ByteRange range{0, *size};
  if (auto header = request.headers.Get("Range")) {
    auto parsed = ParseRange(*header, *size);
    if (!parsed) {
      auto err = RegistryError(
          MakeError(ErrorCode::kRangeInvalid, "Range \"" + std::string(header->substr(0, 100)) +
                                                  "\" cannot be served from a blob of " +
                                                  std::to_string(*size) + " bytes"));
      err.headers.Set("Content-Range", "bytes */" + std::to_string(*size));
      co_return err;
    }
    range = *parsed;
    resp.status = 206;
    resp.headers.Set("Content-Range", "bytes " + std::to_string(range.start) + "-" +
                                          std::to_string(range.start + range.length - 1) + "/" +
                                          std::to_string(*size));
  }
  if (request.method == "HEAD") {
    resp.head_length = range.length;
    co_return resp;
  }
  auto reader = blobs_.Open(*digest, range.start);
  if (!reader) co_return RegistryError(reader.error());
  resp.source = std::move(*reader);
  resp.source_length = static_cast<uint64_t>(range.length);
  co_return resp;
}

http::Task<http::Response> RegistryService::DeleteBlob(const metadata::Repository& repo,
                                                       const Route& route) {
  auto digest = Digest::Parse(route.arg);
  if (!digest) co_return RegistryError(digest.error());
  if (auto ok = content_.DeleteBlob(repo, *digest); !ok) co_return RegistryError(ok.error());
  co_return http::EmptyResponse(202);
}

}  // namespace berth::registry
