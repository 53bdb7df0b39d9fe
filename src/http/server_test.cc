#include "http/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <thread>

namespace berth::http {
namespace {

// Sends `raw` on a fresh connection and returns everything the server sent until it closed.
std::string RoundTrip(uint16_t port, const std::string& raw) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "connect failed";
  size_t off = 0;
  while (off < raw.size()) {
    ssize_t n = write(fd, raw.data() + off, raw.size() - off);
    if (n <= 0) break;
    off += n;
  }
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  close(fd);
  return out;
}

class FileSource final : public BodySource {
 public:
  explicit FileSource(int fd) : fd_(fd) {}
  ~FileSource() override { close(fd_); }
  Result<size_t> Read(std::span<char> buf) override { return ::read(fd_, buf.data(), buf.size()); }
  int NativeFd() const override { return fd_; }

 private:
  int fd_;
};

// Run with file bodies sent by sendfile(2) and through a buffer.
class ServerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    server_ = std::make_unique<Server>(
        ServerOptions{.host = "127.0.0.1", .port = 0, .threads = 2, .sendfile = GetParam()});
    server_->Mount("/echo/", [](Request& req) -> Task<Response> {
      auto body = co_await ReadAll(*req.body, 1 << 20, MakeError(ErrorCode::kSizeInvalid));
      if (!body) co_return ErrorResponse(body.error());
      Response r;
      r.body = req.method + " " + req.path + " q=" + std::string(req.Query("q").value_or("")) +
               " body=" + *body;
      co_return r;
    });
    server_->Mount("/file/", [this](Request& req) -> Task<Response> {
      Response r;
      int fd = open(path_.c_str(), O_RDONLY);
      r.source = std::make_unique<FileSource>(fd);
      r.source_length = 11;
      co_return r;
    });
    char tmpl[] = "/tmp/berth-http-XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_EQ(write(fd, "hello file\n", 11), 11);
    close(fd);
    path_ = tmpl;
    ASSERT_TRUE(server_->Start());
    thread_ = std::thread([this] { server_->Run(); });
  }
  void TearDown() override {
    server_->Stop();
    thread_.join();
    unlink(path_.c_str());
  }
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::string path_;
};

TEST_P(ServerTest, Cases) {
  struct Case {
    std::string name, request, expect;
  } cases[] = {
      {"get with query", "GET /echo/a%2Fb?q=x+y HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
       "GET /echo/a/b q=x y body="},
      {"content-length body",
       "POST /echo/ HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
       "body=hello"},
      {"chunked body",
       "PATCH /echo/ HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nConnection: "
       "close\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
       "body=abcde"},
      {"expect continue",
       "PUT /echo/ HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
       "Connection: close\r\n\r\nok",
       "HTTP/1.1 100 Continue"},
      {"unknown route", "GET /nope HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
       "\"code\":\"NOT_FOUND\""},
      {"request id echoed",
       "GET /echo/ HTTP/1.1\r\nHost: h\r\nX-Request-Id: abc123\r\nConnection: close\r\n\r\n",
       "X-Request-Id: abc123"},
      {"file body", "GET /file/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
       "\r\n\r\nhello file\n"},
      {"head of file", "HEAD /file/ HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
       "Content-Length: 11"},
      {"keep-alive serves two requests",
       "GET /echo/1 HTTP/1.1\r\nHost: h\r\n\r\nGET /echo/2 HTTP/1.1\r\nHost: h\r\nConnection: "
       "close\r\n\r\n",
       "GET /echo/2"},
      {"malformed request", "NOT HTTP\r\n\r\n", "400"},
  };
  for (const auto& c : cases) {
    auto out = RoundTrip(server_->port(), c.request);
    EXPECT_NE(out.find(c.expect), std::string::npos) << c.name << ":\n" << out;
  }
  auto head = RoundTrip(server_->port(), cases[7].request);
  EXPECT_EQ(head.find("hello file"), std::string::npos) << "HEAD must not send a body";
}

INSTANTIATE_TEST_SUITE_P(FileBodies, ServerTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Sendfile" : "Buffered"; });

}  // namespace
}  // namespace berth::http

#include "http/blocking_pool.h"

namespace berth::http {
namespace {

TEST(BlockingPool, RunsWorkOffThreadAndResumes) {
  boost::asio::io_context io;
  BlockingPool pool(2);
  std::thread::id io_thread = std::this_thread::get_id(), worker;
  int result = 0;
  boost::asio::co_spawn(
      io,
      [&]() -> Task<void> {
        result = co_await pool.Run<int>([&] {
          worker = std::this_thread::get_id();
          return 42;
        });
        EXPECT_EQ(std::this_thread::get_id(), io_thread);
      },
      boost::asio::detached);
  io.run();
  EXPECT_EQ(result, 42);
  EXPECT_NE(worker, io_thread);
}

}  // namespace
}  // namespace berth::http

namespace berth::http {
namespace {

TEST(BlockingPool, LargeCapturesSurvive) {
  boost::asio::io_context io;
  BlockingPool pool(2);
  std::string total;
  boost::asio::co_spawn(
      io,
      [&]() -> Task<void> {
        for (int i = 0; i < 50; ++i) {
          std::string a(100, 'a'), b(200, 'b');
          std::vector<int> c(64, i);
          // Named, not a temporary in the co_await expression (GCC 12 destroys such
          // temporaries twice).
          std::function<std::string()> job = [a, b, c] { return a.substr(0, 1) + b.substr(0, 1); };
          std::string part = co_await pool.Run<std::string>(std::move(job));
          total += part;
        }
      },
      boost::asio::detached);
  io.run();
  EXPECT_EQ(total.size(), 100u);
}

}  // namespace
}  // namespace berth::http
