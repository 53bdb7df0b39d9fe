#include "http/server.h"

#include <spdlog/spdlog.h>
#include <sys/sendfile.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <cstring>
#include <limits>
#include <thread>

#include "common/digest.h"

namespace berth::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kIdleTimeout = 120s;
constexpr auto kIoTimeout = 300s;
constexpr size_t kHeaderLimit = 64 * 1024;
constexpr uint64_t kSendBuffer = 1024 * 1024;

// Completion token: the operation's error goes to `ec` instead of an exception.
auto WithError(boost::system::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

// Completion condition for body writes: everything, in as few sendmsg calls as the
// socket takes. asio's transfer_all hands the socket at most 64 KiB per call, and each
// call is an epoll round and a timer re-arm: 16384 of them per GiB sent.
struct TransferAllAtOnce {
  size_t operator()(const boost::system::error_code& ec, size_t) const {
    return ec ? 0 : std::numeric_limits<int32_t>::max();
  }
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; with `plus_is_space` also '+' → ' ' (query strings).
std::string PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void ParseTarget(std::string_view target, Request& req) {
  auto q = target.find('?');
  req.path = PercentDecode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto part = rest.substr(0, amp);
    if (!part.empty()) {
      auto eq = part.find('=');
      req.query.emplace_back(
          PercentDecode(part.substr(0, eq), true),
          eq == std::string_view::npos ? std::string() : PercentDecode(part.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
}

// Streams the body of the request being parsed, answering `Expect: 100-continue` on the
// first read so a client does not wait for a body nobody reads. A body with a
// Content-Length is read straight from the socket into the caller's buffer (one copy,
// large reads); only chunked bodies go through the Beast parser.
class ParserBodyReader final : public BodyReader {
 public:
  ParserBodyReader(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                   bhttp::request_parser<bhttp::buffer_body>& parser, bool expect_continue)
      : stream_(stream),
        buffer_(buffer),
        parser_(parser),
        expect_continue_(expect_continue),
        chunked_(parser.chunked()),
        remaining_(parser.content_length().value_or(0)) {}

  Task<Result<size_t>> ReadSome(std::span<char> buf) override {
    if (complete() || buf.empty()) co_return 0;
    if (expect_continue_) {
      expect_continue_ = false;
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      stream_.expires_after(kIoTimeout);
      boost::system::error_code ec;
      co_await asio::async_write(stream_, asio::buffer(kContinue), WithError(ec));
      if (ec) co_return Broken("connection lost: " + ec.message());
    }
    if (chunked_) co_return co_await ReadChunked(buf);
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), remaining_));
    size_t got = 0;
    if (buffer_.size() > 0) {  // bytes that arrived with the header
      got = std::min(want, buffer_.size());
      std::memcpy(buf.data(), buffer_.data().data(), got);
      buffer_.consume(got);
    } else {
      stream_.expires_after(kIoTimeout);
      boost::system::error_code ec;
      got = co_await stream_.async_read_some(asio::buffer(buf.data(), want), WithError(ec));
      if (ec == asio::error::eof) {
        co_return Broken("the request body ended before the declared Content-Length", true);
      }
      if (ec) co_return Broken("reading the request body: " + ec.message());
    }
    remaining_ -= got;
    co_return got;
  }

  std::optional<uint64_t> declared_length() const override {
    auto len = parser_.content_length();
    if (len) return *len;
    return std::nullopt;
  }

  // The whole body has been read (or there was none).
  bool complete() const { return chunked_ ? parser_.is_done() : remaining_ == 0; }
  bool broken() const { return broken_; }
  // True while the client still waits for "100 Continue" before sending its body.
  bool untouched_expectation() const { return expect_continue_; }

 private:
  Task<Result<size_t>> ReadChunked(std::span<char> buf) {
    auto& body = parser_.get().body();
    body.data = buf.data();
    body.size = buf.size();
    stream_.expires_after(kIoTimeout);
    boost::system::error_code ec;
    co_await bhttp::async_read(stream_, buffer_, parser_, WithError(ec));
    if (ec == bhttp::error::need_buffer) ec = {};
    size_t got = buf.size() - body.size;
    if (ec == bhttp::error::partial_message || ec == asio::error::eof) {
      co_return Broken("the request body ended before its last chunk", true);
    }
    if (ec) co_return Broken("reading the request body: " + ec.message());
    co_return got;
  }

  std::unexpected<Error> Broken(std::string message, bool short_body = false) {
    broken_ = true;
    return Fail(short_body ? ErrorCode::kSizeInvalid : ErrorCode::kBlobUploadInvalid,
                std::move(message));
  }

  beast::tcp_stream& stream_;
  beast::flat_buffer& buffer_;
  bhttp::request_parser<bhttp::buffer_body>& parser_;
  bool expect_continue_;
  const bool chunked_;
  uint64_t remaining_;  // of a Content-Length body
  bool broken_ = false;
};

template <typename Message>
void CopyHeaders(const Response& resp, Message& msg) {
  for (const auto& [k, v] : resp.headers.all()) msg.insert(k, v);
}

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions o) : options(std::move(o)) {
    int n = options.threads;
    if (n <= 0) n = static_cast<int>(std::max(2u, std::thread::hardware_concurrency() * 2));
    for (int i = 0; i < n; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
    acceptor.emplace(*contexts[0]);
  }

  ServerOptions options;
  // One io_context per thread: a connection stays on one thread, so its steps never
  // hand over between threads. The acceptor deals connections out round-robin.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::optional<tcp::acceptor> acceptor;
  size_t next_context = 0;
  std::vector<std::pair<std::string, Handler>> routes;  // longest prefix first
  std::vector<std::thread> threads;

  const Handler* Find(std::string_view path) const {
    for (const auto& [prefix, handler] : routes) {
      // "/v2/" also serves "/v2".
      bool bare = prefix.size() > 1 && prefix.back() == '/' &&
                  path == std::string_view(prefix).substr(0, prefix.size() - 1);
      if (path.starts_with(prefix) || bare) return &handler;
    }
    return nullptr;
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      boost::system::error_code ec;
      auto& context = *contexts[next_context++ % contexts.size()];
      auto socket = co_await acceptor->async_accept(context, WithError(ec));
      if (ec) {
        if (ec == asio::error::operation_aborted) co_return;
        spdlog::warn("accept: {}", ec.message());
        continue;
      }
      socket.set_option(tcp::no_delay(true));
      asio::co_spawn(context, Session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<Response> Dispatch(Request& req) {
    const Handler* handler = Find(req.path);
    if (!handler) {
      co_return ErrorResponse(MakeError(ErrorCode::kNotFound, "no route for " + req.path));
    }
    try {
      co_return co_await (*handler)(req);
    } catch (const std::exception& e) {
      spdlog::error("handler for {} {} threw: {}", req.method, req.path, e.what());
    }
    co_return ErrorResponse(MakeError(ErrorCode::kInternal));
  }

  asio::awaitable<bool> Write(beast::tcp_stream& stream, Response& resp, bool head, bool keep_alive,
                              unsigned version) {
    stream.expires_after(kIoTimeout);
    if (resp.source || head) {
      bhttp::response<bhttp::empty_body> msg;
      msg.version(version);
      msg.result(static_cast<unsigned>(resp.status));
      CopyHeaders(resp, msg);
      uint64_t length =
          resp.source ? resp.source_length : resp.head_length.value_or(resp.body.size());
      msg.content_length(length);
      msg.keep_alive(keep_alive);
      bhttp::response_serializer<bhttp::empty_body> sr(msg);
      boost::system::error_code ec;
      auto n = co_await bhttp::async_write_header(stream, sr, WithError(ec));
      if (ec) co_return false;
      if (head || !resp.source) co_return true;
      co_return co_await SendSource(stream, *resp.source, resp.source_length);
    }
    bhttp::response<bhttp::string_body> msg;
    msg.version(version);
    msg.result(static_cast<unsigned>(resp.status));
    CopyHeaders(resp, msg);
    msg.body() = std::move(resp.body);
    msg.keep_alive(keep_alive);
    msg.prepare_payload();
    boost::system::error_code ec;
    auto n = co_await bhttp::async_write(stream, msg, WithError(ec));
    co_return !ec;
  }

  // Sends `length` bytes of `source`: with sendfile(2) when that is enabled and the source
  // has a file descriptor, straight from the source's memory when it lends it, else
  // through a buffer.
  asio::awaitable<bool> SendSource(beast::tcp_stream& stream, BodySource& source, uint64_t length) {
    auto& socket = stream.socket();
    int fd = options.sendfile ? source.NativeFd() : -1;
    if (fd >= 0) {
      boost::system::error_code ec;
      socket.native_non_blocking(true, ec);
      while (length > 0) {
        ssize_t n =
            ::sendfile(socket.native_handle(), fd, nullptr, std::min<uint64_t>(length, 1 << 30));
        if (n > 0) {
          length -= static_cast<uint64_t>(n);
          continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
          stream.expires_after(kIoTimeout);
          boost::system::error_code wec;
          co_await socket.async_wait(tcp::socket::wait_write, WithError(wec));
          if (wec) co_return false;
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        co_return false;  // peer gone, or the file shrank
      }
      co_return true;
    }
    if (source.Lendable()) {
      while (length > 0) {
        Result<std::span<const char>> bytes = co_await source.LendAsync(length);
        if (!bytes || bytes->empty()) co_return false;
        stream.expires_after(kIoTimeout);
        boost::system::error_code ec;
        co_await asio::async_write(stream, asio::buffer(bytes->data(), bytes->size()),
                                   TransferAllAtOnce(), WithError(ec));
        if (ec) co_return false;
        length -= bytes->size();
      }
      co_return true;
    }
    // Sized to the body (small blobs are the common case) and left uninitialised: a
    // zero-filled 256 KiB per request cost small GETs three quarters of their rate.
    const size_t size = static_cast<size_t>(std::min<uint64_t>(length, kSendBuffer));
    std::unique_ptr<char[]> buf(new char[size]);
    while (length > 0) {
      std::span<char> want(buf.get(), std::min<uint64_t>(size, length));
      Result<size_t> n = co_await source.ReadAsync(want);
      if (!n || *n == 0) co_return false;
      stream.expires_after(kIoTimeout);
      boost::system::error_code ec;
      auto w = co_await asio::async_write(stream, asio::buffer(buf.get(), *n), TransferAllAtOnce(),
                                          WithError(ec));
      if (ec) co_return false;
      length -= *n;
    }
    co_return true;
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    std::string remote;
    {
      boost::system::error_code ec;
      auto ep = stream.socket().remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string();
    }
    std::string bad_request_reason;
    Response bad_response;
    for (;;) {
      bhttp::request_parser<bhttp::buffer_body> parser;
      parser.body_limit(std::numeric_limits<std::uint64_t>::max());
      parser.header_limit(kHeaderLimit);
      stream.expires_after(kIdleTimeout);
      boost::system::error_code ec;
      auto n = co_await bhttp::async_read_header(stream, buffer, parser, WithError(ec));
      if (ec) {
        bool answer = ec != bhttp::error::end_of_stream && ec != asio::error::eof &&
                      ec != beast::error::timeout && ec != asio::error::connection_reset &&
                      ec != asio::error::operation_aborted;
        if (answer) spdlog::debug("{}: malformed request: {}", remote, ec.message());
        // (The reply is built outside this block: GCC 12 miscompiles some coroutine
        // frames that keep block-scoped objects alive across a co_await.)
        bad_request_reason = answer ? ec.message() : std::string();
        break;
      }
      auto& header = parser.get();
      Request req;
      req.method = std::string(header.method_string());
      req.target = std::string(header.target());
      ParseTarget(req.target, req);
      for (const auto& field : header) {
        req.headers.Add(std::string(field.name_string()), std::string(field.value()));
      }
      req.remote_address = remote;
      req.request_id = std::string(req.headers.Get("X-Request-Id").value_or(""));
      if (req.request_id.empty() || req.request_id.size() > 128) req.request_id = RandomHex(12);
      bool expect_continue = false;
      if (auto e = req.headers.Get("Expect")) {
        expect_continue = strncasecmp(e->data(), "100-continue", e->size()) == 0;
      }
      ParserBodyReader body(stream, buffer, parser, expect_continue);
      req.body = &body;

      Response resp = co_await Dispatch(req);
      resp.headers.Set("X-Request-Id", req.request_id);

      // Keep the connection only when the request body was consumed to its end; an
      // unread body (or one we never asked for with 100-continue) closes it.
      // Drain a small unread body so the connection can be reused; a large one, or one
      // the client holds back until 100-continue, closes the connection instead.
      if (!body.complete() && !body.broken() && !body.untouched_expectation() &&
          body.declared_length() && *body.declared_length() <= 64 * 1024) {
        char sink[16 * 1024];
        while (!body.complete()) {
          auto r = co_await body.ReadSome(std::span<char>(sink, sizeof sink));
          if (!r || *r == 0) break;
        }
      }
      bool keep_alive = header.keep_alive() && body.complete() && !body.broken();
      bool head = req.method == "HEAD";
      bool ok = co_await Write(stream, resp, head, keep_alive, header.version());
      spdlog::debug("{} {} {} -> {}", remote, req.method, req.target, resp.status);
      if (!ok || !keep_alive) break;
    }
    if (!bad_request_reason.empty()) {
      bad_response = ErrorResponse(
          MakeError(ErrorCode::kBadRequest, "malformed HTTP request: " + bad_request_reason));
      co_await Write(stream, bad_response, false, false, 11);
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
};

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() { Stop(); }

void Server::Mount(std::string prefix, Handler handler) {
  impl_->routes.emplace_back(std::move(prefix), std::move(handler));
  std::stable_sort(impl_->routes.begin(), impl_->routes.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

Status Server::Start() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) {
    return Fail(ErrorCode::kBadRequest,
                "invalid listen address \"" + impl_->options.host + "\": " + ec.message());
  }
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acc = *impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Fail(ErrorCode::kInternal, "cannot listen on " + impl_->options.host + ":" +
                                          std::to_string(impl_->options.port) + ": " +
                                          ec.message());
  }
  asio::co_spawn(*impl_->contexts[0], impl_->Accept(), asio::detached);
  return Ok();
}

uint16_t Server::port() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor->local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void Server::Run() {
  auto& contexts = impl_->contexts;
  for (size_t i = 1; i < contexts.size(); ++i) {
    impl_->threads.emplace_back([&context = *contexts[i]] {
      auto guard = asio::make_work_guard(context);
      context.run();
    });
  }
  contexts[0]->run();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

void Server::Stop() {
  boost::system::error_code ec;
  if (impl_->acceptor) impl_->acceptor->close(ec);
  for (auto& context : impl_->contexts) context->stop();
}

}  // namespace berth::http
