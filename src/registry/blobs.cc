// GET, HEAD and DELETE of blobs, with byte ranges.
#include <algorithm>
#include <cctype>
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

// What a Range header asks of a blob of `size` bytes. As RFC 9110 allows, a header this
// server does not serve (another unit, several ranges, unparseable) is ignored and the
// whole blob is sent; a single byte range that cannot be satisfied is a 416.
struct RangeRequest {
  enum Kind { kWhole, kPart, kUnsatisfiable } kind = kWhole;
  ByteRange range;
};

RangeRequest ParseRange(std::string_view header, int64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() < kUnit.size() ||
      !std::equal(kUnit.begin(), kUnit.end(), header.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    return {};
  }
  auto spec = header.substr(kUnit.size());
  auto dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) return {};
  int64_t first = 0, last = 0;
  auto a = spec.substr(0, dash), b = spec.substr(dash + 1);
  const RangeRequest unsatisfiable{RangeRequest::kUnsatisfiable, {}};
  if (a.empty()) {  // suffix: the last n bytes
    if (!ParseNumber(b, last)) return {};
    if (last == 0) return unsatisfiable;
    first = std::max<int64_t>(0, size - last);
    return {RangeRequest::kPart, {first, size - first}};
  }
  if (!ParseNumber(a, first) || (!b.empty() && !ParseNumber(b, last))) return {};
  if (first >= size || (!b.empty() && last < first)) return unsatisfiable;
  last = b.empty() ? size - 1 : std::min(last, size - 1);
  return {RangeRequest::kPart, {first, last - first + 1}};
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
  std::string_view range_header = request.headers.Get("Range").value_or("");
  RangeRequest wanted = range_header.empty() ? RangeRequest{} : ParseRange(range_header, *size);
  if (wanted.kind == RangeRequest::kUnsatisfiable) {
    auto err = RegistryError(
        MakeError(ErrorCode::kRangeInvalid, "Range \"" + std::string(range_header.substr(0, 100)) +
                                                "\" cannot be served from a blob of " +
                                                std::to_string(*size) + " bytes"));
    err.headers.Set("Content-Range", "bytes */" + std::to_string(*size));
    co_return err;
  }
  if (wanted.kind == RangeRequest::kPart) {
    range = wanted.range;
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
