// Test fixture for ApiService handler tests: a real content stack (SQLite database, blob
// store, content service) in a temp dir, a user store and auth service over it, and a
// helper that runs one request through ApiService::Handle on an io_context.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/api_service.h"
#include "api/json_io.h"
#include "common/digest.h"
#include "content/content_test_stack.h"

namespace berth::api::test_support {

namespace fs = std::filesystem;
using nlohmann::json;

inline constexpr std::string_view kAdminPassword = "Harbor12345";
inline constexpr std::string_view kUserPassword = "Passw0rdX";

inline std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

class StringBody : public http::BodyReader {
 public:
  explicit StringBody(std::string data) : data_(std::move(data)) {}
  http::Task<Result<size_t>> ReadSome(std::span<char> buf) override {
    size_t n = std::min(buf.size(), data_.size() - offset_);
    std::copy_n(data_.data() + offset_, n, buf.data());
    offset_ += n;
    co_return n;
  }
  std::optional<uint64_t> declared_length() const override { return data_.size(); }

 private:
  std::string data_;
  size_t offset_ = 0;
};

struct Caller {
  std::string username;
  std::string password;
};
inline const Caller kAnonymous{};

class ApiServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    stack_ = std::make_unique<content::testing::ContentStack>();
    ASSERT_TRUE(stack_->ok());
    root_ = stack_->dir();
    blobs_ = &stack_->blobs();
    db_ = &stack_->db();
    projects_ = &stack_->projects();
    artifacts_ = &stack_->artifacts();
    content_ = &stack_->content();
    users_ = std::make_unique<metadata::UserStore>(*db_);
    auth_ = std::make_unique<auth::AuthService>(auth::AuthOptions{.data_dir = root_.string()},
                                                *users_, *projects_);
    ASSERT_TRUE(auth_->Init().has_value());
    robots_ = std::make_unique<metadata::RobotStore>(*db_);
    auth_->SetRobots(robots_.get());
    auto admin = auth_->BootstrapAdmin(std::string(kAdminPassword));
    ASSERT_TRUE(admin.has_value()) << admin.error().message;
    ApiOptions options;
    options.version = "v9.9.9-test";
    api_ =
        std::make_unique<ApiService>(*auth_, *projects_, *artifacts_, *users_, *content_, options);
    api_->SetRobots(robots_.get());
  }

  void TearDown() override {
    api_.reset();
    auth_.reset();
    robots_.reset();
    users_.reset();
    stack_.reset();
  }

  // Runs one request through ApiService::Handle. `target` is relative to /api/v2.0 and
  // may carry a query string (already in wire form).
  http::Response Call(std::string method, std::string target, const Caller& who,
                      std::string body = {},
                      std::vector<std::pair<std::string, std::string>> extra_headers = {}) {
    http::Request request;
    request.method = std::move(method);
    request.target = "/api/v2.0" + target;
    std::string raw_path = request.target.substr(0, request.target.find('?'));
    request.path = PercentDecode(raw_path);
    if (auto q = request.target.find('?'); q != std::string::npos) {
      std::string_view query = std::string_view(request.target).substr(q + 1);
      while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view kv = query.substr(0, amp);
        auto eq = kv.find('=');
        request.query.emplace_back(
            PercentDecode(kv.substr(0, eq)),
            eq == std::string_view::npos ? "" : PercentDecode(kv.substr(eq + 1)));
        query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
      }
    }
    request.headers.Set("Host", "registry.test:5000");
    request.request_id = "req-" + RandomHex(4);
    if (!who.username.empty()) {
      request.headers.Set("Authorization", "Basic " + Base64(who.username + ":" + who.password));
    }
    for (auto& [k, v] : extra_headers) request.headers.Set(k, v);
    StringBody reader(std::move(body));
    request.body = &reader;

    boost::asio::io_context io;
    http::Response response;
    bool done = false;
    boost::asio::co_spawn(
        io,
        [&]() -> http::Task<void> {
          response = co_await api_->Handle(request);
          done = true;
        },
        boost::asio::detached);
    io.run();
    EXPECT_TRUE(done);
    EXPECT_EQ(response.headers.Get("X-Request-Id"), request.request_id);
    return response;
  }

  static json Body(const http::Response& r) { return json::parse(r.body); }
  static std::string ErrorCodeOf(const http::Response& r) {
    return Body(r)["errors"][0]["code"].get<std::string>();
  }

  Caller admin() const { return {"admin", std::string(kAdminPassword)}; }

  // Creates a user through the API and returns its credentials.
  Caller MakeUser(const std::string& name) {
    auto r = Call("POST", "/users", admin(),
                  json{{"username", name},
                       {"email", name + "@example.com"},
                       {"realname", name},
                       {"password", kUserPassword}}
                      .dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return {name, std::string(kUserPassword)};
  }

  // Adds user `username` to the project as `role_id` (Harbor's role ids) and returns the
  // member id.
  int64_t AddMember(const std::string& project, const std::string& username, int role_id) {
    auto r = Call("POST", "/projects/" + project + "/members", admin(),
                  json{{"role_id", role_id}, {"member_user", {{"username", username}}}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    auto location = r.headers.Get("Location").value_or("");
    return ParseInt(location.substr(location.rfind('/') + 1)).value_or(0);
  }

  int64_t MakeProject(const Caller& who, const std::string& name, bool is_public) {
    auto r =
        Call("POST", "/projects", who,
             json{{"project_name", name}, {"metadata", {{"public", is_public ? "true" : "false"}}}}
                 .dump());
    EXPECT_EQ(r.status, 201) << r.body;
    auto location = r.headers.Get("Location").value_or("");
    auto id = ParseInt(location.substr(location.rfind('/') + 1));
    EXPECT_TRUE(id.has_value()) << location;
    return id.value_or(0);
  }

  Digest PushBlob(const metadata::Repository& repo, std::string_view content) {
    auto digest = Digest::Parse(Sha256Digest(content));
    EXPECT_TRUE(digest.has_value());
    EXPECT_TRUE(blobs_->Put(*digest, content).has_value());
    EXPECT_TRUE(content_->LinkBlob(repo, *digest, static_cast<int64_t>(content.size())));
    return *digest;
  }

  // Pushes an OCI image under `tag` into `repository` ("project/repo") and returns its digest.
  std::string PushImage(const std::string& repository, const std::string& tag,
                        const std::string& seed) {
    auto repo = content_->ResolveRepository(repository, true);
    EXPECT_TRUE(repo.has_value()) << repo.error().message;
    std::string config = R"({"architecture":"amd64","seed":")" + seed + "\"}";
    std::string layer = "layer-" + seed;
    Digest c = PushBlob(*repo, config);
    Digest l = PushBlob(*repo, layer);
    json manifest = {
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
        {"config",
         {{"mediaType", "application/vnd.oci.image.config.v1+json"},
          {"digest", c.str()},
          {"size", config.size()}}},
        {"layers", json::array({{{"mediaType", "application/vnd.oci.image.layer.v1.tar"},
                                 {"digest", l.str()},
                                 {"size", layer.size()}}})}};
    auto put = content_->PutManifest(*repo, Reference{tag, false}, manifest.dump(),
                                     "application/vnd.oci.image.manifest.v1+json");
    EXPECT_TRUE(put.has_value()) << put.error().message;
    return put ? put->digest.str() : "";
  }

  // The content stack in its temp dir (root_), and its parts under their own names.
  std::unique_ptr<content::testing::ContentStack> stack_;
  fs::path root_;
  storage::FsBlobStore* blobs_ = nullptr;
  metadata::Database* db_ = nullptr;
  metadata::ProjectStore* projects_ = nullptr;
  metadata::ArtifactStore* artifacts_ = nullptr;
  content::ContentService* content_ = nullptr;
  std::unique_ptr<metadata::UserStore> users_;
  std::unique_ptr<metadata::RobotStore> robots_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<ApiService> api_;
};

}  // namespace berth::api::test_support
