// DistributionClient against scripted failures: 5xx and dropped connections retried for
// idempotent requests only, Retry-After honoured, stalled blobs ended by the idle timeout,
// cancellation in the middle of a body, chunked-upload headers.
#include <gtest/gtest.h>

#include <atomic>
#include <ctime>
#include <mutex>
#include <thread>

#include "common/digest.h"
#include "remote/distribution_client.h"
#include "remote/http_errors.h"
#include "remote/test_servers.h"

namespace berth::remote {
namespace {

using testing::MiniHttpServer;
using testing::MiniRequest;
using Reply = MiniHttpServer::Reply;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const std::pair<std::string, std::string> kApiVersion{"Docker-Distribution-API-Version",
                                                      "registry/2.0"};

ClientOptions Options(const std::string& url) {
  ClientOptions options;
  options.base_url = url;
  options.network.connect_timeout = std::chrono::seconds(3);
  options.network.timeout = std::chrono::seconds(10);
  options.network.retry.base_delay = milliseconds(20);
  return options;
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Counts requests per "METHOD target-path" and answers with a per-request script.
class Scripted {
 public:
  using Script = std::function<Reply(const MiniRequest&, int nth)>;
  explicit Scripted(Script script)
      : script_(std::move(script)), server_([this](const MiniRequest& r) { return Handle(r); }) {}
  std::string url() const { return server_.url(); }
  int count(const std::string& key) {
    std::lock_guard lock(mutex_);
    return counts_[key];
  }
  std::vector<Clock::time_point> times(const std::string& key) {
    std::lock_guard lock(mutex_);
    return times_[key];
  }

 private:
  Reply Handle(const MiniRequest& r) {
    if (r.target == "/v2/") return Reply{200, {kApiVersion}, "{}"};
    std::string key = r.method + " " + r.target.substr(0, r.target.find('?'));
    int nth;
    {
      std::lock_guard lock(mutex_);
      nth = ++counts_[key];
      times_[key].push_back(Clock::now());
    }
    return script_(r, nth);
  }

  Script script_;
  std::mutex mutex_;
  std::map<std::string, int> counts_;
  std::map<std::string, std::vector<Clock::time_point>> times_;
  MiniHttpServer server_;
};

TEST(HttpErrorTest, StatusToCode) {
  struct Case {
    int status;
    ErrorCode code;
    std::string retry_after;
    std::optional<int> detail_seconds;
  };
  const Case cases[] = {
      {500, ErrorCode::kUnavailable, "", std::nullopt},
      {502, ErrorCode::kUnavailable, "", std::nullopt},
      {503, ErrorCode::kUnavailable, "7", 7},
      {504, ErrorCode::kUnavailable, "", std::nullopt},
      {501, ErrorCode::kBadRequest, "", std::nullopt},
      {429, ErrorCode::kTooManyRequests, "3", 3},
      {429, ErrorCode::kTooManyRequests, "", std::nullopt},
      {416, ErrorCode::kRangeInvalid, "", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.status);
    HttpResponse response;
    response.status = c.status;
    if (!c.retry_after.empty()) response.headers.emplace_back("Retry-After", c.retry_after);
    Error error = HttpError(response, "r:5000", "blob x", ErrorCode::kBlobUnknown, false);
    EXPECT_EQ(error.code, c.code);
    std::optional<std::chrono::seconds> after = RetryAfter(error);
    EXPECT_EQ(after.has_value(), c.detail_seconds.has_value()) << error.detail;
    if (after && c.detail_seconds) {
      EXPECT_EQ(after->count(), *c.detail_seconds);
    }
    if (c.status >= 500) {
      EXPECT_NE(error.message.find("r:5000 answered " + std::to_string(c.status) +
                                   " (server error) to blob x"),
                std::string::npos)
          << error.message;
    }
  }
}

TEST(HttpErrorTest, RetryAfterAsHttpDate) {
  HttpResponse response;
  response.status = 503;
  response.headers = {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}};
  std::tm tm{};
  tm.tm_year = 115;
  tm.tm_mon = 9;
  tm.tm_mday = 21;
  tm.tm_hour = 7;
  tm.tm_min = 27;
  auto now = std::chrono::system_clock::from_time_t(timegm(&tm));
  auto after = ParseRetryAfter(response, now);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->count(), 60);
  EXPECT_EQ(ParseRetryAfter(response, now + std::chrono::hours(1))->count(), 0);
  response.headers = {{"Retry-After", "soon"}};
  EXPECT_FALSE(ParseRetryAfter(response, now));
}

TEST(RetryTest, ServerErrorsThenSuccess) {
  Scripted server([](const MiniRequest&, int nth) {
    if (nth <= 2) return Reply{nth == 1 ? 500 : 502, {kApiVersion}, "oops"};
    return Reply{200, {kApiVersion}, R"({"name":"a","tags":["v1"]})"};
  });
  DistributionClient client(Options(server.url()), nullptr);
  auto tags = client.ListTags("a");
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, std::vector<std::string>{"v1"});
  EXPECT_EQ(server.count("GET /v2/a/tags/list"), 3);
}

TEST(RetryTest, GivesUpAfterAttemptsWithUnavailable) {
  Scripted server([](const MiniRequest&, int) { return Reply{503, {kApiVersion}, ""}; });
  ClientOptions options = Options(server.url());
  options.network.retry.attempts = 3;
  DistributionClient client(options, nullptr);
  auto head = client.HeadManifest("a", "v1");
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(head.error().message.find("answered 503 (server error)"), std::string::npos);
  EXPECT_EQ(server.count("HEAD /v2/a/manifests/v1"), 3);
}

TEST(RetryTest, DroppedConnectionIsRetried) {
  Scripted server([](const MiniRequest&, int nth) {
    if (nth == 1) {
      Reply drop;
      drop.drop = true;
      return drop;
    }
    return Reply{200, {kApiVersion}, "12345"};
  });
  DistributionClient client(Options(server.url()), nullptr);
  auto size = client.BlobSize("a", Sha256Digest("x"));
  ASSERT_TRUE(size) << size.error().message;
  EXPECT_EQ(server.count("HEAD /v2/a/blobs/" + Sha256Digest("x")), 2);
}

TEST(RetryTest, RetryAfterIsHonoured) {
  Scripted server([](const MiniRequest&, int nth) {
    if (nth == 1) return Reply{429, {kApiVersion, {"Retry-After", "1"}}, ""};
    return Reply{200, {kApiVersion}, R"({"name":"a","tags":["v1"]})"};
  });
  DistributionClient client(Options(server.url()), nullptr);
  ASSERT_TRUE(client.ListTags("a"));
  auto times = server.times("GET /v2/a/tags/list");
  ASSERT_EQ(times.size(), 2u);
  double gap = std::chrono::duration<double>(times[1] - times[0]).count();
  EXPECT_GE(gap, 0.9);
  EXPECT_LT(gap, 3.0);
}

TEST(RetryTest, RequestsWithABodyAreNotRetried) {
  Scripted server([](const MiniRequest& r, int) {
    if (r.method == "PUT") return Reply{429, {kApiVersion, {"Retry-After", "1"}}, ""};
    return Reply{503, {kApiVersion, {"Retry-After", "2"}}, ""};
  });
  DistributionClient client(Options(server.url()), nullptr);
  auto put = client.PutManifest("a", "v1", "{}", "application/vnd.oci.image.manifest.v1+json");
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, ErrorCode::kTooManyRequests);
  ASSERT_TRUE(RetryAfter(put.error()));
  EXPECT_EQ(RetryAfter(put.error())->count(), 1);
  EXPECT_EQ(server.count("PUT /v2/a/manifests/v1"), 1);

  std::string data = "0123456789";
  size_t offset = 0;
  ByteSource source = [&](std::span<char> buf) -> Result<size_t> {
    size_t n = std::min(buf.size(), data.size() - offset);
    std::copy_n(data.data() + offset, n, buf.data());
    offset += n;
    return n;
  };
  UploadState state{server.url() + "/v2/a/blobs/uploads/u1", 0};
  auto chunk = client.UploadChunk(state, 10, source);
  ASSERT_FALSE(chunk);
  EXPECT_EQ(chunk.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(RetryAfter(chunk.error())->count(), 2);
  EXPECT_EQ(server.count("PATCH /v2/a/blobs/uploads/u1"), 1);

  auto finish = client.FinishUpload(state, Sha256Digest(data));
  ASSERT_FALSE(finish);
  EXPECT_EQ(server.count("PUT /v2/a/blobs/uploads/u1"), 1);
}

// A blob whose body stops after 10 of 100000 bytes.
Reply StalledBlob(const MiniRequest&, int) {
  Reply reply{200, {kApiVersion}, std::string(100000, 'b')};
  reply.stall_after = 10;
  return reply;
}

TEST(BlobTimeoutTest, StalledBodyEndsAfterIdleTimeoutNotWholeTimeout) {
  Scripted server(StalledBlob);
  ClientOptions options = Options(server.url());
  options.network.timeout = std::chrono::seconds(1);  // must not apply to blob bodies
  options.network.idle_timeout = std::chrono::seconds(2);
  DistributionClient client(options, nullptr);
  std::string received;
  auto start = Clock::now();
  auto st = client.GetBlob("a", Sha256Digest("b"), [&](std::span<const char> bytes) -> Status {
    received.append(bytes.data(), bytes.size());
    return Ok();
  });
  double elapsed = SecondsSince(start);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(st.error().message.find("no data for 2 s"), std::string::npos) << st.error().message;
  EXPECT_EQ(received, std::string(10, 'b'));
  EXPECT_GE(elapsed, 1.8);
  EXPECT_LT(elapsed, 6.0);
  EXPECT_EQ(server.count("GET /v2/a/blobs/" + Sha256Digest("b")), 1);  // blobs: no retry
}

TEST(CancelTest, StopsAStalledDownload) {
  Scripted server(StalledBlob);
  ClientOptions options = Options(server.url());
  options.network.idle_timeout = std::chrono::seconds(60);
  DistributionClient client(options, nullptr);
  auto flag = std::make_shared<std::atomic<bool>>(false);
  CancelToken cancel = flag;
  std::thread stopper([flag] {
    std::this_thread::sleep_for(milliseconds(300));
    *flag = true;
  });
  auto start = Clock::now();
  auto st = client.GetBlob(
      "a", Sha256Digest("b"), [](std::span<const char>) -> Status { return Ok(); }, 0, cancel);
  double elapsed = SecondsSince(start);
  stopper.join();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kCancelled) << st.error().message;
  EXPECT_LT(elapsed, 1.8);

  // An already set token stops before anything is sent.
  auto again = client.GetBlob(
      "a", Sha256Digest("b"), [](std::span<const char>) -> Status { return Ok(); }, 0, cancel);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kCancelled);
  EXPECT_EQ(server.count("GET /v2/a/blobs/" + Sha256Digest("b")), 1);
}

TEST(CancelTest, StopsASlowUpload) {
  Scripted server([](const MiniRequest&, int) { return Reply{202, {kApiVersion}, ""}; });
  DistributionClient client(Options(server.url()), nullptr);
  auto flag = std::make_shared<std::atomic<bool>>(false);
  // 100 chunks of 1 KiB, one every 50 ms: 5 s unless stopped.
  ByteSource slow = [](std::span<char> buf) -> Result<size_t> {
    std::this_thread::sleep_for(milliseconds(50));
    size_t n = std::min<size_t>(buf.size(), 1024);
    std::fill_n(buf.data(), n, 'u');
    return n;
  };
  std::thread stopper([flag] {
    std::this_thread::sleep_for(milliseconds(300));
    *flag = true;
  });
  auto start = Clock::now();
  auto chunk =
      client.UploadChunk({server.url() + "/v2/a/blobs/uploads/u1", 0}, 100 * 1024, slow, flag);
  double elapsed = SecondsSince(start);
  stopper.join();
  ASSERT_FALSE(chunk);
  EXPECT_EQ(chunk.error().code, ErrorCode::kCancelled) << chunk.error().message;
  EXPECT_LT(elapsed, 1.5);
}

TEST(ChunkedUploadTest, HeadersAndRelativeLocations) {
  std::mutex mutex;
  std::vector<std::string> seen;
  Scripted server([&](const MiniRequest& r, int) {
    {
      std::lock_guard lock(mutex);
      seen.push_back(r.method + " " + r.target + " range=" + r.Header("content-range") +
                     " length=" + r.Header("content-length") + " body=" + r.body);
    }
    if (r.method == "POST") {
      return Reply{202, {kApiVersion, {"Location", "/v2/a/blobs/uploads/u1?_state=s0"}}, ""};
    }
    if (r.method == "PATCH") {
      return Reply{202, {kApiVersion, {"Location", "u1?_state=s1"}, {"Range", "0-9"}}, ""};
    }
    if (r.method == "GET") {
      return Reply{204, {kApiVersion, {"Range", "0-9"}}, ""};
    }
    return Reply{201, {kApiVersion}, ""};
  });
  DistributionClient client(Options(server.url()), nullptr);
  auto started = client.StartUpload("a");
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_EQ(started->location, server.url() + "/v2/a/blobs/uploads/u1?_state=s0");
  EXPECT_EQ(started->offset, 0);

  std::string data = "0123456789";
  ByteSource source = [&](std::span<char> buf) -> Result<size_t> {
    size_t n = std::min(buf.size(), data.size());
    std::copy_n(data.data(), n, buf.data());
    data.erase(0, n);
    return n;
  };
  auto chunk = client.UploadChunk(*started, 10, source);
  ASSERT_TRUE(chunk) << chunk.error().message;
  EXPECT_EQ(chunk->location, server.url() + "/v2/a/blobs/uploads/u1?_state=s1");
  EXPECT_EQ(chunk->offset, 10);

  auto status = client.UploadStatus(*chunk);
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->offset, 10);
  EXPECT_EQ(status->location, chunk->location);

  ASSERT_TRUE(client.FinishUpload(*chunk, "sha256:abc"));
  std::lock_guard lock(mutex);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], "POST /v2/a/blobs/uploads/ range= length=0 body=");
  EXPECT_EQ(seen[1], "PATCH /v2/a/blobs/uploads/u1?_state=s0 range=0-9 length=10 body=0123456789");
  EXPECT_EQ(seen[2], "GET /v2/a/blobs/uploads/u1?_state=s1 range= length= body=");
  EXPECT_EQ(seen[3],
            "PUT /v2/a/blobs/uploads/u1?_state=s1&digest=sha256%3Aabc range= length=0 body=");
}

TEST(ChunkedUploadTest, UnknownSessionAndBadRange) {
  Scripted server([](const MiniRequest& r, int) {
    if (r.method == "PATCH") return Reply{416, {kApiVersion}, ""};
    return Reply{
        404, {kApiVersion}, R"({"errors":[{"code":"BLOB_UPLOAD_UNKNOWN","message":"gone"}]})"};
  });
  DistributionClient client(Options(server.url()), nullptr);
  UploadState state{server.url() + "/v2/a/blobs/uploads/u1", 5};
  auto status = client.UploadStatus(state);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::kBlobUploadUnknown);
  ByteSource source = [](std::span<char> buf) -> Result<size_t> {
    std::fill(buf.begin(), buf.end(), 'x');
    return buf.size();
  };
  auto chunk = client.UploadChunk(state, 3, source);
  ASSERT_FALSE(chunk);
  EXPECT_EQ(chunk.error().code, ErrorCode::kRangeInvalid) << chunk.error().message;
}

}  // namespace
}  // namespace berth::remote
