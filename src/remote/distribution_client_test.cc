// DistributionClient against real `docker-registry` processes (no auth, htpasswd, TLS)
// and against scripted mini servers (not a registry, redirects, paging).
#include "remote/distribution_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/digest.h"
#include "remote/test_servers.h"

namespace berth::remote {
namespace {

using testing::MiniHttpServer;
using testing::MiniRequest;
using testing::RegistryProcess;
using testing::TempDir;

ClientOptions Options(const std::string& url) {
  ClientOptions options;
  options.base_url = url;
  options.network.connect_timeout = std::chrono::seconds(3);
  options.network.timeout = std::chrono::seconds(10);
  return options;
}

ByteSource SourceOf(const std::string& data) {
  auto offset = std::make_shared<size_t>(0);
  return [&data, offset](std::span<char> buf) -> Result<size_t> {
    size_t n = std::min(buf.size(), data.size() - *offset);
    std::copy_n(data.data() + *offset, n, buf.data());
    *offset += n;
    return n;
  };
}

Status Push(DistributionClient& client, const std::string& repo, const std::string& data) {
  return client.PushBlob(repo, Sha256Digest(data), static_cast<int64_t>(data.size()),
                         SourceOf(data));
}

std::string ImageManifest(const std::string& config, const std::string& layer) {
  nlohmann::json m = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       {{"mediaType", "application/vnd.oci.image.config.v1+json"},
        {"digest", Sha256Digest(config)},
        {"size", config.size()}}},
      {"layers", nlohmann::json::array({{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                                         {"digest", Sha256Digest(layer)},
                                         {"size", layer.size()}}})}};
  return m.dump();
}

class NoAuthRegistryTest : public testing::SharedRegistryTest {};

TEST_F(NoAuthRegistryTest, FullRoundTrip) {
  DistributionClient client(Options(registry_->url()), StaticCredentials("", ""));
  ASSERT_TRUE(client.Ping()) << client.Ping().error().message;

  const std::string config = R"({"architecture":"amd64","os":"linux"})";
  std::string layer(300000, '\0');
  for (size_t i = 0; i < layer.size(); ++i) layer[i] = static_cast<char>(i * 7 % 251);
  ASSERT_TRUE(Push(client, "team/app", config));
  auto pushed = Push(client, "team/app", layer);
  ASSERT_TRUE(pushed) << pushed.error().message;

  auto size = client.BlobSize("team/app", Sha256Digest(layer));
  ASSERT_TRUE(size);
  ASSERT_TRUE(*size);
  EXPECT_EQ(**size, static_cast<int64_t>(layer.size()));
  auto missing = client.BlobSize("team/app", Sha256Digest("nope"));
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);

  // Mount into another repository; an unknown blob yields an upload session instead.
  auto mounted = client.MountBlob("team/other", Sha256Digest(layer), "team/app");
  ASSERT_TRUE(mounted) << mounted.error().message;
  EXPECT_TRUE(*mounted);
  auto not_mounted = client.MountBlob("team/other", Sha256Digest("absent"), "team/app");
  ASSERT_TRUE(not_mounted) << not_mounted.error().message;
  EXPECT_FALSE(*not_mounted);

  const std::string manifest = ImageManifest(config, layer);
  auto digest =
      client.PutManifest("team/app", "v1", manifest, "application/vnd.oci.image.manifest.v1+json");
  ASSERT_TRUE(digest) << digest.error().message;
  EXPECT_EQ(*digest, Sha256Digest(manifest));

  auto head = client.HeadManifest("team/app", "v1");
  ASSERT_TRUE(head) << head.error().message;
  ASSERT_TRUE(*head);
  EXPECT_EQ((*head)->digest, *digest);
  EXPECT_EQ((*head)->media_type, "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ((*head)->size, static_cast<int64_t>(manifest.size()));
  auto absent = client.HeadManifest("team/app", "nope");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);

  auto got = client.GetManifest("team/app", *digest);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->bytes, manifest);
  EXPECT_EQ(got->digest, *digest);
  auto unknown = client.GetManifest("team/app", "nope");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kManifestUnknown);

  auto catalog = client.Catalog();
  ASSERT_TRUE(catalog) << catalog.error().message;
  EXPECT_NE(std::ranges::find(*catalog, "team/app"), catalog->end());
  auto tags = client.ListTags("team/app");
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, std::vector<std::string>{"v1"});

  std::string received;
  ByteSink sink = [&](std::span<const char> bytes) -> Status {
    received.append(bytes.data(), bytes.size());
    return Ok();
  };
  ASSERT_TRUE(client.GetBlob("team/app", Sha256Digest(layer), sink));
  EXPECT_EQ(received, layer);
  received.clear();
  ASSERT_TRUE(client.GetBlob("team/app", Sha256Digest(layer), sink, 1000));
  EXPECT_EQ(received, layer.substr(1000));
  auto blob_missing = client.GetBlob("team/app", Sha256Digest("gone"), sink);
  ASSERT_FALSE(blob_missing);
  EXPECT_EQ(blob_missing.error().code, ErrorCode::kBlobUnknown);

  // A failing sink aborts the transfer with its own error.
  ByteSink failing = [](std::span<const char>) -> Status {
    return Fail(ErrorCode::kInternal, "disk full");
  };
  auto aborted = client.GetBlob("team/app", Sha256Digest(layer), failing);
  ASSERT_FALSE(aborted);
  EXPECT_EQ(aborted.error().message, "disk full");

  ASSERT_TRUE(client.DeleteManifest("team/app", *digest));
  auto after = client.HeadManifest("team/app", *digest);
  ASSERT_TRUE(after);
  EXPECT_FALSE(*after);
}

TEST_F(NoAuthRegistryTest, ConcurrentCallsShareOneClient) {
  DistributionClient client(Options(registry_->url()), nullptr);
  const std::string data = "shared blob";
  ASSERT_TRUE(Push(client, "team/concurrent", data));
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto size = client.BlobSize("team/concurrent", Sha256Digest(data));
        if (size && *size && **size == static_cast<int64_t>(data.size())) ++found;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(found, 100);
}

TEST_F(NoAuthRegistryTest, BadBlobDigestIsReported) {
  DistributionClient client(Options(registry_->url()), nullptr);
  std::string data = "some bytes";
  auto st = client.PushBlob("team/bad", Sha256Digest("other bytes"), 10, SourceOf(data));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kDigestInvalid) << st.error().message;
}

TEST_F(NoAuthRegistryTest, HttpsToPlainHttpServerSaysSo) {
  std::string url = registry_->url();
  url.replace(0, 4, "https");
  DistributionClient client(Options(url), nullptr);
  auto st = client.Ping();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("plain HTTP"), std::string::npos) << st.error().message;
}

TEST(BasicAuthRegistryTest, CredentialsAreCheckedWithClearMessages) {
  TempDir dir;
  ASSERT_TRUE(testing::WriteHtpasswd(dir.path() / "htpasswd", "alice", "s3cret-pw"));
  std::string error;
  auto registry =
      RegistryProcess::Start({.htpasswd_file = (dir.path() / "htpasswd").string()}, &error);
  ASSERT_NE(registry, nullptr) << error;

  DistributionClient good(Options(registry->url()), StaticCredentials("alice", "s3cret-pw"));
  ASSERT_TRUE(good.Ping()) << good.Ping().error().message;
  ASSERT_TRUE(Push(good, "lib/x", "payload"));
  auto tags = good.ListTags("lib/x");  // no manifest yet: NAME_UNKNOWN
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().code, ErrorCode::kNameUnknown) << tags.error().message;

  DistributionClient bad(Options(registry->url()), StaticCredentials("alice", "wrong-pw"));
  auto st = bad.Ping();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnauthorized);
  EXPECT_NE(st.error().message.find("rejected the credentials (401)"), std::string::npos)
      << st.error().message;
  EXPECT_EQ(st.error().message.find("wrong-pw"), std::string::npos);

  DistributionClient anonymous(Options(registry->url()), StaticCredentials("", ""));
  EXPECT_TRUE(anonymous.Ping());
  auto denied = anonymous.Catalog();
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kUnauthorized);
  EXPECT_NE(denied.error().message.find("requires authentication"), std::string::npos)
      << denied.error().message;
}

TEST(TlsRegistryTest, VerificationInsecureAndCustomCa) {
  TempDir dir;
  auto cert = dir.path() / "cert.pem";
  auto key = dir.path() / "key.pem";
  ASSERT_TRUE(testing::WriteSelfSignedCert(cert, key));
  std::string error;
  auto registry =
      RegistryProcess::Start({.tls_cert = cert.string(), .tls_key = key.string()}, &error);
  ASSERT_NE(registry, nullptr) << error;

  DistributionClient verify(Options(registry->url()), nullptr);
  auto st = verify.Ping();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kBadRequest);
  EXPECT_NE(st.error().message.find("Verify Remote Cert"), std::string::npos) << st.error().message;

  ClientOptions insecure_options = Options(registry->url());
  insecure_options.tls.insecure = true;
  DistributionClient insecure(insecure_options, nullptr);
  EXPECT_TRUE(insecure.Ping());

  ClientOptions ca_options = Options(registry->url());
  ca_options.tls.ca_pem = testing::ReadFile(cert);
  DistributionClient with_ca(ca_options, nullptr);
  auto ok = with_ca.Ping();
  EXPECT_TRUE(ok) << ok.error().message;

  ClientOptions network_ca = Options(registry->url());
  network_ca.network.extra_ca_pem = testing::ReadFile(cert);
  DistributionClient with_network_ca(network_ca, nullptr);
  EXPECT_TRUE(with_network_ca.Ping());

  std::string plain_url = registry->url();
  plain_url.replace(0, 5, "http");
  DistributionClient plain(Options(plain_url), nullptr);
  auto https_only = plain.Ping();
  ASSERT_FALSE(https_only);
  EXPECT_NE(https_only.error().message.find("use an https:// URL"), std::string::npos)
      << https_only.error().message;
}

TEST(NetworkErrorTest, RefusedAndUnresolvable) {
  int port = testing::FreePort();
  DistributionClient refused(Options("http://127.0.0.1:" + std::to_string(port)), nullptr);
  auto st = refused.Ping();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "connection to 127.0.0.1:" + std::to_string(port) +
                                    " refused: is the registry running and the port right?");

  DistributionClient unresolvable(Options("https://no-such-host.invalid"), nullptr);
  st = unresolvable.Ping();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "cannot resolve host no-such-host.invalid: check the URL");
}

TEST(NotARegistryTest, PlainWebServerIsRejected) {
  MiniHttpServer web([](const MiniRequest&) {
    return MiniHttpServer::Reply{200, {{"Content-Type", "text/html"}}, "<html>hello</html>"};
  });
  DistributionClient client(Options(web.url()), nullptr);
  auto st = client.Ping();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("is not a container registry"), std::string::npos)
      << st.error().message;

  MiniHttpServer missing([](const MiniRequest&) { return MiniHttpServer::Reply{404, {}, "no"}; });
  DistributionClient client404(Options(missing.url()), nullptr);
  st = client404.Ping();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("not a container registry"), std::string::npos)
      << st.error().message;
}

}  // namespace
}  // namespace berth::remote
