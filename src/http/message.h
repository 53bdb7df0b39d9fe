// HTTP request and response types shared by every handler. Transport-neutral: the
// Beast-based server in server.cc is the only code that knows the wire.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/error.h"

namespace berth::http {

template <typename T>
using Task = boost::asio::awaitable<T>;

// Case-insensitive header list; keeps insertion order and duplicates.
class Headers {
 public:
  // The first value of `name`, if any.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Replaces every value of `name` by `value`.
  void Set(std::string_view name, std::string value);
  void Add(std::string_view name, std::string value);
  const std::vector<std::pair<std::string, std::string>>& all() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// The request body as an async byte stream. Owned by the server; valid during the call.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  // Reads up to buf.size() bytes; 0 means the body has ended. An error means the
  // connection broke or the body was malformed (the connection will be closed).
  virtual Task<Result<size_t>> ReadSome(std::span<char> buf) = 0;
  // Content-Length when the client declared one (not for chunked bodies).
  virtual std::optional<uint64_t> declared_length() const = 0;
};

// Reads the whole body; fails with `too_large` when over `limit`.
Task<Result<std::string>> ReadAll(BodyReader& body, size_t limit, Error too_large);

struct Request {
  std::string method;                                      // "GET", "HEAD", ...
  std::string target;                                      // raw request target
  std::string path;                                        // percent-decoded path, no query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  Headers headers;
  std::string remote_address;
  std::string request_id;  // X-Request-Id from the client, or a generated one
  BodyReader* body = nullptr;

  // First value of query parameter `name`.
  std::optional<std::string_view> Query(std::string_view name) const;
  // Scheme and host the client used, e.g. "http://127.0.0.1:5000" (from Host).
  std::string BaseUrl() const;
};

// A synchronous source for large response bodies (blob contents).
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Reads up to buf.size() bytes; 0 at end.
  virtual Result<size_t> Read(std::span<char> buf) = 0;
  // A file descriptor positioned at the first byte to send, for sendfile(2); -1 if none.
  virtual int NativeFd() const { return -1; }
  // What the server calls: a source whose bytes are still arriving (a blob being
  // downloaded) waits here without blocking the io thread. The default is Read.
  virtual Task<Result<size_t>> ReadAsync(std::span<char> buf) { co_return Read(buf); }
  // A source that holds its next bytes in its own memory may lend them instead of
  // copying (Lendable true): Lend returns up to `max` of them, valid until the next call
  // on the source; empty at the end.
  virtual bool Lendable() const { return false; }
  virtual Result<std::span<const char>> Lend(size_t max) {
    (void)max;
    return Fail(ErrorCode::kInternal, "this body source lends no bytes");
  }
  // What the server calls: Lend, for a source that waits for its bytes without blocking
  // the io thread. The default is Lend.
  virtual Task<Result<std::span<const char>>> LendAsync(size_t max) { co_return Lend(max); }
};

struct Response {
  int status = 200;
  Headers headers;
  // The body: in memory, or streamed from a source of `length` bytes.
  std::string body;
  std::unique_ptr<BodySource> source;
  uint64_t source_length = 0;
  // For HEAD: the Content-Length to announce with no body sent.
  std::optional<uint64_t> head_length;
};

// {"errors":[{"code","message","detail"}]} with the error's HTTP status. Used by both
// /v2 and /api/v2.0 (Harbor uses the same envelope).
Response ErrorResponse(const Error& error);
// A JSON body with Content-Type application/json.
Response JsonResponse(int status, std::string json_text);
Response EmptyResponse(int status);

using Handler = std::function<Task<Response>(Request&)>;

}  // namespace berth::http
