// AWS Signature Version 4 for requests to AWS service APIs (here: the ECR API).
//
// Pure functions over a request description: canonical request, string to sign, signing
// key chain (HMAC-SHA256 over date, region, service, "aws4_request") and the
// Authorization header. Thread-safe (no state).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::adapters::ecr {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
};

// What is signed. `host` becomes the signed "host" header and must equal what the HTTP
// client sends (host[:port], the port only when not the scheme's default).
struct SigV4Request {
  std::string method = "GET";
  std::string host;
  std::string path = "/";  // as sent on the wire (already percent-encoded)
  std::vector<std::pair<std::string, std::string>> query;    // raw (unencoded) pairs
  std::vector<std::pair<std::string, std::string>> headers;  // every one is signed
  std::string body;
};

struct SigV4Signature {
  std::string amz_date;       // "YYYYMMDDTHHMMSSZ"; send as X-Amz-Date
  std::string authorization;  // the Authorization header value
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lowercase hex
};

// Signs `request` for `region`/`service` at `now`. The signed headers are host,
// x-amz-date, x-amz-security-token (when the credentials carry a session token) and every
// header in request.headers.
SigV4Signature SignV4(const SigV4Request& request, const AwsCredentials& credentials,
                      std::string_view region, std::string_view service,
                      std::chrono::system_clock::time_point now);

// RFC 3986 percent-encoding as SigV4 wants it (unreserved A-Z a-z 0-9 - _ . ~ kept;
// '/' encoded unless `keep_slash`).
std::string AwsUriEncode(std::string_view text, bool keep_slash = false);

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace berth::adapters::ecr
