#include "webui/static_files.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <random>

namespace berth::webui {
namespace {

namespace fs = std::filesystem;

void WriteFile(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ =
        fs::path(::testing::TempDir()) / ("berth-webui-" + std::to_string(std::random_device{}()));
    root_ = base_ / "dist";
    WriteFile(root_ / "index.html", "<!doctype html><title>Berth</title>");
    WriteFile(root_ / "assets" / "index-AbC123.js", "console.log(1)");
    WriteFile(root_ / "assets" / "index-AbC123.css", "body{}");
    WriteFile(root_ / "favicon.svg", "<svg/>");
    WriteFile(base_ / "secret.txt", "do not serve");
  }
  void TearDown() override { fs::remove_all(base_); }

  http::Response Get(const StaticFiles& files, std::string path, std::string method = "GET",
                     std::optional<std::string> if_none_match = std::nullopt) {
    http::Request request;
    request.method = std::move(method);
    request.target = path;
    request.path = std::move(path);
    if (if_none_match) request.headers.Set("If-None-Match", *if_none_match);
    boost::asio::io_context io;
    http::Response response;
    boost::asio::co_spawn(
        io, [&]() -> http::Task<void> { response = co_await files.Handle(request); },
        boost::asio::detached);
    io.run();
    return response;
  }

  StaticFiles Files() const { return StaticFiles(StaticFilesOptions{.root = root_}); }

  fs::path base_;
  fs::path root_;
};

TEST_F(StaticFilesTest, ServesIndexAtRootAndForPagePaths) {
  auto files = Files();
  for (const char* path : {"/", "/harbor/registries", "/account/sign-in", "/harbor/projects/3/x"}) {
    auto r = Get(files, path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, "<!doctype html><title>Berth</title>") << path;
    EXPECT_EQ(r.headers.Get("Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_EQ(r.headers.Get("Cache-Control"), "no-cache") << path;
    EXPECT_TRUE(r.headers.Get("Content-Security-Policy").has_value()) << path;
  }
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutableWithTheirType) {
  auto files = Files();
  auto js = Get(files, "/assets/index-AbC123.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.headers.Get("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(js.headers.Get("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(js.headers.Get("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Get(files, "/assets/index-AbC123.css").headers.Get("Content-Type"),
            "text/css; charset=utf-8");
  auto icon = Get(files, "/favicon.svg");
  EXPECT_EQ(icon.headers.Get("Content-Type"), "image/svg+xml");
  EXPECT_EQ(icon.headers.Get("Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, MissingFilesAre404NotIndex) {
  auto files = Files();
  EXPECT_EQ(Get(files, "/assets/gone-123.js").status, 404);
  EXPECT_EQ(Get(files, "/assets/sub").status, 404);
  EXPECT_EQ(Get(files, "/robots.txt").status, 404);
}

TEST_F(StaticFilesTest, NoPathTraversal) {
  auto files = Files();
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/..",
                           "/a/../../secret.txt", "/..\\secret.txt", "relative"}) {
    auto r = Get(files, path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body.find("do not serve"), std::string::npos) << path;
  }
  EXPECT_EQ(SafeRelativePath("/a/./b//c"), "a/b/c");
  EXPECT_EQ(SafeRelativePath("/"), "");
  EXPECT_EQ(SafeRelativePath("/a/../b"), std::nullopt);
  EXPECT_EQ(SafeRelativePath(std::string_view("/a\0b", 4)), std::nullopt);
}

TEST_F(StaticFilesTest, ReservedPrefixesAreJson404) {
  auto files = Files();
  for (const char* path : {"/api/v2.0/nothing", "/api", "/v2/x", "/v2", "/service/other"}) {
    auto r = Get(files, path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.headers.Get("Content-Type"), "application/json; charset=utf-8") << path;
  }
  // A page whose name merely starts like a reserved one is still a page.
  EXPECT_EQ(Get(files, "/v2ish").status, 200);
}

TEST_F(StaticFilesTest, HeadAndConditionalGet) {
  auto files = Files();
  auto head = Get(files, "/assets/index-AbC123.js", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(head.head_length, 14u);
  auto first = Get(files, "/");
  auto etag = first.headers.Get("ETag");
  ASSERT_TRUE(etag.has_value());
  auto again = Get(files, "/", "GET", std::string(*etag));
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(Get(files, "/", "GET", std::string("\"other\"")).status, 200);
}

TEST_F(StaticFilesTest, OtherMethodsAre405) {
  auto files = Files();
  auto r = Get(files, "/", "POST");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.Get("Allow"), "GET, HEAD");
}

TEST_F(StaticFilesTest, UnbuiltUiSaysHowToBuildIt) {
  StaticFiles files(StaticFilesOptions{.root = base_ / "missing"});
  auto r = Get(files, "/harbor/registries");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("make build"), std::string::npos);
}

TEST(FindWebRootTest, ConfiguredWinsElseFirstBuiltCandidate) {
  EXPECT_EQ(FindWebRoot("/srv/ui", "/src/web/dist"), fs::path("/srv/ui"));
  auto dist =
      fs::path(::testing::TempDir()) / ("berth-webroot-" + std::to_string(std::random_device{}()));
  WriteFile(dist / "index.html", "x");
  EXPECT_EQ(FindWebRoot("", dist), dist);
  fs::remove_all(dist);
}

TEST(ContentTypeTest, ByExtension) {
  EXPECT_EQ(ContentTypeFor("a/b/index.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("x.js.map"), "application/json");
  EXPECT_EQ(ContentTypeFor("noext"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor(".hidden"), "application/octet-stream");
}

}  // namespace
}  // namespace berth::webui
