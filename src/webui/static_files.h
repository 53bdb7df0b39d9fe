// Serves the built web UI (the output of `vite build`) from a directory: files by path,
// and index.html for any other page path so that the UI's client-side routes load.
//
// Thread safety: Handle() may be called from any thread; the object is immutable after
// construction. Files are read from disk on each request (they are small, and the
// directory may be rebuilt while the server runs).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace berth::webui {

struct StaticFilesOptions {
  // The directory holding index.html and assets/. Need not exist: until it does, page
  // requests get a 404 that says how to build the UI.
  std::filesystem::path root;
  // Path prefixes that belong to other services: a request under one of them that
  // reached this handler gets a JSON 404, never index.html.
  std::vector<std::string> reserved_prefixes = {"/api/", "/v2/", "/service/"};
  // Largest file served (the UI's bundles are well under this).
  uint64_t max_file_bytes = 32 << 20;
};

// The Content-Type for a file name, by extension; application/octet-stream if unknown.
std::string_view ContentTypeFor(std::string_view file_name);

// The relative path inside the root that a request path names: "" for "/", nullopt when
// the path is not acceptable (a ".." segment, a NUL or a backslash, not absolute).
std::optional<std::string> SafeRelativePath(std::string_view request_path);

// Where the UI is: `configured` when not empty; else the first directory holding an
// index.html among <directory of the running binary>/web and `source_dist` (the
// web/dist of the source tree the binary was built from). Falls back to the first
// candidate, so that the "not built" message names a sensible place.
std::filesystem::path FindWebRoot(const std::string& configured,
                                  const std::filesystem::path& source_dist);
// As above, with the web/dist of the source tree this binary was built from.
std::filesystem::path FindWebRoot(const std::string& configured);

class StaticFiles {
 public:
  explicit StaticFiles(StaticFilesOptions options);

  // GET and HEAD: the file named by the path, or index.html for a page path (no file
  // extension in its last segment). /assets/ files are served with a year-long
  // immutable Cache-Control (Vite names them by content hash); everything else with
  // no-cache and an ETag, so a rebuilt UI is picked up at once. Other methods get 405.
  http::Task<http::Response> Handle(http::Request& request) const;

  const std::filesystem::path& root() const { return options_.root; }

 private:
  http::Response Serve(const http::Request& request, const std::string& relative) const;

  StaticFilesOptions options_;
};

}  // namespace berth::webui
