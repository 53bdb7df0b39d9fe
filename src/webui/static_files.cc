#include "webui/static_files.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <array>
#include <fstream>
#include <iterator>
#include <utility>

namespace berth::webui {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kIndex = "index.html";
constexpr std::string_view kAssetsPrefix = "assets/";
constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kRevalidate = "no-cache";
// The UI loads only its own scripts and styles; Lit adopts its styles at run time,
// hence 'unsafe-inline' for styles only.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'";

std::string_view Extension(std::string_view name) {
  auto slash = name.rfind('/');
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return name.substr(dot + 1);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

struct FileFacts {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

// Facts about a regular file; nullopt when it is missing or not a regular file.
std::optional<FileFacts> RegularFile(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileFacts{static_cast<uint64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::string ETagFor(const FileFacts& facts) {
  return fmt::format("\"{:x}-{:x}\"", facts.size, facts.mtime_ns);
}

http::Response TextResponse(int status, std::string text) {
  http::Response r;
  r.status = status;
  r.headers.Set("Content-Type", "text/plain; charset=utf-8");
  r.headers.Set("Cache-Control", std::string(kRevalidate));
  r.body = std::move(text);
  return r;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kTypes = {{
      {"html", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"ico", "image/x-icon"},
      {"woff", "font/woff"},
      {"woff2", "font/woff2"},
      {"txt", "text/plain; charset=utf-8"},
      {"wasm", "application/wasm"},
  }};
  auto ext = Extension(file_name);
  for (const auto& [known, type] : kTypes) {
    if (EqualsIgnoreCase(ext, known)) return type;
  }
  return "application/octet-stream";
}

std::optional<std::string> SafeRelativePath(std::string_view request_path) {
  if (!request_path.starts_with('/')) return std::nullopt;
  std::string relative;
  size_t pos = 1;
  while (pos <= request_path.size()) {
    size_t end = request_path.find('/', pos);
    if (end == std::string_view::npos) end = request_path.size();
    std::string_view segment = request_path.substr(pos, end - pos);
    pos = end + 1;
    if (segment.empty() || segment == ".") continue;
    if (segment == ".." || segment.find('\0') != std::string_view::npos ||
        segment.find('\\') != std::string_view::npos) {
      return std::nullopt;
    }
    if (!relative.empty()) relative += '/';
    relative += segment;
  }
  return relative;
}

fs::path FindWebRoot(const std::string& configured, const fs::path& source_dist) {
  if (!configured.empty()) return fs::path(configured);
  std::vector<fs::path> candidates;
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path() / "web");
  if (!source_dist.empty()) candidates.push_back(source_dist);
  for (const auto& dir : candidates) {
    if (RegularFile(dir / std::string(kIndex))) return dir;
  }
  return candidates.empty() ? fs::path("web") : candidates.front();
}

fs::path FindWebRoot(const std::string& configured) {
#ifdef BERTH_WEB_SOURCE_DIST
  return FindWebRoot(configured, fs::path(BERTH_WEB_SOURCE_DIST));
#else
  return FindWebRoot(configured, fs::path());
#endif
}

StaticFiles::StaticFiles(StaticFilesOptions options) : options_(std::move(options)) {}

http::Task<http::Response> StaticFiles::Handle(http::Request& request) const {
  for (const auto& prefix : options_.reserved_prefixes) {
    std::string_view bare = std::string_view(prefix).substr(0, prefix.size() - 1);
    if (request.path.starts_with(prefix) || (prefix.ends_with('/') && request.path == bare)) {
      co_return http::ErrorResponse(
          MakeError(ErrorCode::kNotFound, "no route for " + request.path));
    }
  }
  if (request.method != "GET" && request.method != "HEAD") {
    auto r = http::ErrorResponse(
        MakeError(ErrorCode::kMethodNotAllowed, request.method + " is not allowed on the web UI"));
    r.headers.Set("Allow", "GET, HEAD");
    co_return r;
  }
  auto relative = SafeRelativePath(request.path);
  if (!relative) co_return TextResponse(404, "not found\n");
  http::Response response = Serve(request, *relative);
  if (request.method == "HEAD") {
    response.head_length = response.body.size();
    response.body.clear();
  }
  co_return response;
}

http::Response StaticFiles::Serve(const http::Request& request, const std::string& relative) const {
  std::string name = relative;
  auto facts = name.empty() ? std::nullopt : RegularFile(options_.root / name);
  if (!facts) {
    // A missing file (its last segment has an extension, or it is under assets/) is a
    // 404: answering index.html there would hand HTML to a script or style loader.
    if (!name.empty() && (!Extension(name).empty() || name.starts_with(kAssetsPrefix))) {
      return TextResponse(404, "not found\n");
    }
    name = std::string(kIndex);
    facts = RegularFile(options_.root / name);
    if (!facts) {
      return TextResponse(
          404, fmt::format("The web UI is not built: no {} in {}. Run `make build` (or `npm ci && "
                           "npm run build` in web/), or point BERTH_WEB_DIR at a built UI.\n",
                           kIndex, options_.root.string()));
    }
  }
  if (facts->size > options_.max_file_bytes) return TextResponse(404, "not found\n");

  const bool immutable = name.starts_with(kAssetsPrefix);
  const std::string etag = ETagFor(*facts);
  http::Response r;
  r.headers.Set("Content-Type", std::string(ContentTypeFor(name)));
  r.headers.Set("Cache-Control", std::string(immutable ? kImmutable : kRevalidate));
  r.headers.Set("ETag", etag);
  r.headers.Set("X-Content-Type-Options", "nosniff");
  if (name == kIndex) {
    r.headers.Set("Content-Security-Policy", std::string(kContentSecurityPolicy));
    r.headers.Set("X-Frame-Options", "DENY");
    r.headers.Set("Referrer-Policy", "same-origin");
  }
  auto match = request.headers.Get("If-None-Match");
  if (match && (*match == etag || *match == "*")) {
    r.status = 304;
    return r;
  }
  std::ifstream in(options_.root / name, std::ios::binary);
  if (!in) return TextResponse(404, "not found\n");
  r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  r.status = 200;
  return r;
}

}  // namespace berth::webui
