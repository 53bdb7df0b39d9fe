// A small blocking HTTP client for the CLI: JSON requests to Berth's /api/v2.0 with
// Basic credentials, over libcurl.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace berth::cli {

struct ServerOptions {
  std::string url = "http://127.0.0.1:5000";  // Berth's base URL
  std::string username;                       // empty = anonymous
  std::string password;
};

struct ApiResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string Header(std::string_view name) const;
};

// Sends `method` `path` (relative to <url>/api/v2.0, e.g. "/registries?page=2") with a
// JSON `body` when non-empty. kInternal only when the server could not be reached; HTTP
// error statuses are returned as responses.
Result<ApiResponse> CallApi(const ServerOptions& server, std::string_view method,
                            std::string_view path, std::string_view body = {});

// The message of a Harbor error envelope, else the raw body (or the status line).
std::string ErrorMessage(const ApiResponse& response);

}  // namespace berth::cli
