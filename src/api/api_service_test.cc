#include "api/api_service.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "api/json_io.h"
#include "common/digest.h"
#include "metadata/migrate.h"
#include "metadata/sqlite_database.h"
#include "storage/fs_blob_store.h"

namespace berth::api {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kAdminPassword = "Harbor12345";
constexpr std::string_view kUserPassword = "Passw0rdX";

std::string Base64(std::string_view in) {
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
const Caller kAnonymous{};

class ApiServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("berth-api-test-" + RandomHex(8));
    fs::create_directories(root_);
    blobs_ = std::make_unique<storage::FsBlobStore>(root_ / "blobs");
    auto db = metadata::SqliteDatabase::Open((root_ / "berth.db").string());
    ASSERT_TRUE(db.has_value()) << db.error().message;
    db_ = *std::move(db);
    auto migrated = metadata::Migrate(*db_);
    ASSERT_TRUE(migrated.has_value()) << migrated.error().message;
    projects_ = std::make_unique<metadata::ProjectStore>(*db_);
    artifacts_ = std::make_unique<metadata::ArtifactStore>(*db_);
    users_ = std::make_unique<metadata::UserStore>(*db_);
    content_ = std::make_unique<content::ContentService>(*blobs_, *artifacts_, *projects_);
    auth_ = std::make_unique<auth::AuthService>(auth::AuthOptions{.data_dir = root_.string()},
                                                *users_, *projects_);
    ASSERT_TRUE(auth_->Init().has_value());
    auto admin = auth_->BootstrapAdmin(std::string(kAdminPassword));
    ASSERT_TRUE(admin.has_value()) << admin.error().message;
    ApiOptions options;
    options.version = "v9.9.9-test";
    api_ =
        std::make_unique<ApiService>(*auth_, *projects_, *artifacts_, *users_, *content_, options);
  }

  void TearDown() override {
    api_.reset();
    auth_.reset();
    content_.reset();
    users_.reset();
    artifacts_.reset();
    projects_.reset();
    db_.reset();
    blobs_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
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

  fs::path root_;
  std::unique_ptr<storage::FsBlobStore> blobs_;
  std::unique_ptr<metadata::Database> db_;
  std::unique_ptr<metadata::ProjectStore> projects_;
  std::unique_ptr<metadata::ArtifactStore> artifacts_;
  std::unique_ptr<metadata::UserStore> users_;
  std::unique_ptr<content::ContentService> content_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<ApiService> api_;
};

TEST_F(ApiServiceTest, PingSystemInfoHealth) {
  auto r = Call("GET", "/ping", kAnonymous);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Pong");
  EXPECT_EQ(r.headers.Get("Content-Type").value_or("").substr(0, 10), "text/plain");

  r = Call("GET", "/systeminfo", kAnonymous);
  ASSERT_EQ(r.status, 200);
  auto info = Body(r);
  EXPECT_EQ(info["harbor_version"], "v9.9.9-test");
  EXPECT_EQ(info["auth_mode"], "db_auth");
  EXPECT_EQ(info["registry_url"], "registry.test:5000");
  EXPECT_EQ(info["project_creation_restriction"], "everyone");
  EXPECT_EQ(info["self_registration"], false);
  EXPECT_EQ(info["has_ca_root"], false);
  EXPECT_EQ(info["read_only"], false);

  r = Call("GET", "/health", kAnonymous);
  ASSERT_EQ(r.status, 200);
  auto health = Body(r);
  EXPECT_EQ(health["status"], "healthy");
  ASSERT_TRUE(health["components"].is_array());
  EXPECT_EQ(health["components"][0]["name"], "core");
}

TEST_F(ApiServiceTest, UnknownPathAndWrongMethod) {
  auto r = Call("GET", "/nothing/here", kAnonymous);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCodeOf(r), "NOT_FOUND");
  r = Call("PATCH", "/projects", admin());
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(ErrorCodeOf(r), "METHOD_NOT_ALLOWED");
}

TEST_F(ApiServiceTest, WrongCredentialsAre401WithChallenge) {
  auto r = Call("GET", "/users/current", Caller{"admin", "wrong"});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCodeOf(r), "UNAUTHORIZED");
  EXPECT_TRUE(r.headers.Get("WWW-Authenticate").has_value());
  r = Call("GET", "/users/current", kAnonymous);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.Get("WWW-Authenticate"), "Basic realm=\"harbor\"");
}

TEST_F(ApiServiceTest, CreateGetHeadProject) {
  int64_t id = MakeProject(admin(), "team-a", false);
  ASSERT_GT(id, 0);

  auto r = Call("GET", "/projects/" + std::to_string(id), admin());
  ASSERT_EQ(r.status, 200) << r.body;
  auto p = Body(r);
  EXPECT_EQ(p["project_id"], id);
  EXPECT_EQ(p["name"], "team-a");
  EXPECT_EQ(p["owner_name"], "admin");
  EXPECT_EQ(p["repo_count"], 0);
  EXPECT_EQ(p["metadata"]["public"], "false");
  EXPECT_EQ(p["registry_id"], 0);
  EXPECT_EQ(p["current_user_role_id"], 1);
  for (const char* field : {"owner_id", "creation_time", "update_time"}) {
    EXPECT_TRUE(p.contains(field)) << field;
  }

  r = Call("GET", "/projects/team-a", admin());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["project_id"], id);

  // A numeric name is an id unless X-Is-Resource-Name says otherwise.
  MakeProject(admin(), "123", true);
  r = Call("GET", "/projects/123", admin(), {}, {{"X-Is-Resource-Name", "true"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["name"], "123");

  EXPECT_EQ(Call("HEAD", "/projects?project_name=team-a", kAnonymous).status, 200);
  EXPECT_EQ(Call("HEAD", "/projects?project_name=nope", kAnonymous).status, 404);
  r = Call("GET", "/projects/nope", admin());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCodeOf(r), "NOT_FOUND");
}

TEST_F(ApiServiceTest, CreateProjectErrors) {
  struct Case {
    Caller who;
    std::string body;
    int status;
    std::string code;
  };
  MakeProject(admin(), "taken", false);
  const Case cases[] = {
      {kAnonymous, R"({"project_name":"x"})", 401, "UNAUTHORIZED"},
      {admin(), R"({"project_name":"Upper"})", 400, "BAD_REQUEST"},
      {admin(), R"({"project_name":"a/b"})", 400, "BAD_REQUEST"},
      {admin(), R"({"project_name":""})", 400, "BAD_REQUEST"},
      {admin(), R"({"project_name":"-x"})", 400, "BAD_REQUEST"},
      {admin(), std::string(R"({"project_name":")") + std::string(256, 'a') + "\"}", 400,
       "BAD_REQUEST"},
      {admin(), R"({})", 400, "BAD_REQUEST"},
      {admin(), R"(not json)", 400, "BAD_REQUEST"},
      {admin(), R"({"project_name":"ok","metadata":{"public":"maybe"}})", 400, "BAD_REQUEST"},
      {admin(), R"({"project_name":"taken"})", 409, "CONFLICT"},
  };
  for (const auto& c : cases) {
    auto r = Call("POST", "/projects", c.who, c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    if (r.status == c.status) {
      EXPECT_EQ(ErrorCodeOf(r), c.code) << c.body;
    }
  }
  auto r = Call("POST", "/projects", admin(), R"({"project_name":"Upper"})");
  EXPECT_NE(Body(r)["errors"][0]["message"].get<std::string>().find("Upper"), std::string::npos);
}

TEST_F(ApiServiceTest, ListProjectsVisibilityAndPaging) {
  Caller alice = MakeUser("alice");
  Caller bob = MakeUser("bob");
  MakeProject(admin(), "pub1", true);
  MakeProject(admin(), "pub2", true);
  MakeProject(admin(), "secret", false);
  MakeProject(alice, "alices", false);

  auto names = [&](const Caller& who, const std::string& query) {
    auto r = Call("GET", "/projects" + query, who);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    for (const auto& p : Body(r)) out.push_back(p["name"]);
    std::sort(out.begin(), out.end());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(names(kAnonymous, ""), (V{"pub1", "pub2"}));
  EXPECT_EQ(names(bob, ""), (V{"pub1", "pub2"}));
  EXPECT_EQ(names(alice, ""), (V{"alices", "pub1", "pub2"}));
  EXPECT_EQ(names(admin(), ""), (V{"alices", "pub1", "pub2", "secret"}));
  EXPECT_EQ(names(admin(), "?name=pub"), (V{"pub1", "pub2"}));
  EXPECT_EQ(names(admin(), "?q=name%3Dpub1"), (V{"pub1"}));
  EXPECT_EQ(names(admin(), "?q=name%3D~ecr"), (V{"secret"}));
  EXPECT_EQ(names(admin(), "?public=false"), (V{"alices", "secret"}));

  auto r = Call("GET", "/projects?page=1&page_size=3", admin());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r).size(), 3u);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "4");
  EXPECT_EQ(r.headers.Get("Link"), "</api/v2.0/projects?page=2&page_size=3>; rel=\"next\"");
  r = Call("GET", "/projects?page=2&page_size=3", admin());
  EXPECT_EQ(Body(r).size(), 1u);
  EXPECT_EQ(r.headers.Get("Link"), "</api/v2.0/projects?page=1&page_size=3>; rel=\"prev\"");

  EXPECT_EQ(Call("GET", "/projects?page_size=101", admin()).status, 422);
  EXPECT_EQ(Call("GET", "/projects?page=0", admin()).status, 422);
}

TEST_F(ApiServiceTest, PrivateProjectAccess) {
  Caller alice = MakeUser("alice");
  int64_t id = MakeProject(admin(), "secret", false);
  std::string path = "/projects/" + std::to_string(id);
  EXPECT_EQ(Call("GET", path, kAnonymous).status, 401);
  auto r = Call("GET", path, alice);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorCodeOf(r), "FORBIDDEN");
  EXPECT_EQ(Call("PUT", path, alice, R"({"metadata":{"public":"true"}})").status, 403);
  EXPECT_EQ(Call("DELETE", path, alice).status, 403);
}

TEST_F(ApiServiceTest, UpdateAndDeleteProject) {
  int64_t id = MakeProject(admin(), "proj", false);
  std::string path = "/projects/" + std::to_string(id);
  auto r = Call("PUT", path, admin(), R"({"metadata":{"public":"true"}})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(Call("GET", path, kAnonymous))["metadata"]["public"], "true");

  PushImage("proj/app", "v1", "a");
  r = Call("DELETE", path, admin());
  EXPECT_EQ(r.status, 412);
  EXPECT_EQ(ErrorCodeOf(r), "PRECONDITION");
  EXPECT_NE(Body(r)["errors"][0]["message"].get<std::string>().find("repositor"),
            std::string::npos);

  EXPECT_EQ(Call("DELETE", "/projects/proj/repositories/app", admin()).status, 200);
  EXPECT_EQ(Call("DELETE", path, admin()).status, 200);
  EXPECT_EQ(Call("GET", path, admin()).status, 404);
}

TEST_F(ApiServiceTest, Members) {
  Caller alice = MakeUser("alice");
  Caller bob = MakeUser("bob");
  int64_t id = MakeProject(alice, "team", false);
  std::string members = "/projects/" + std::to_string(id) + "/members";

  auto r = Call("GET", members, alice);
  ASSERT_EQ(r.status, 200) << r.body;
  auto list = Body(r);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["entity_name"], "alice");
  EXPECT_EQ(list[0]["role_id"], 1);
  EXPECT_EQ(list[0]["role_name"], "projectAdmin");
  EXPECT_EQ(list[0]["entity_type"], "u");
  EXPECT_EQ(list[0]["project_id"], id);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "1");

  EXPECT_EQ(Call("POST", members, bob, R"({"role_id":2,"member_user":{"username":"bob"}})").status,
            403);
  r = Call("POST", members, alice, R"({"role_id":2,"member_user":{"username":"bob"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  std::string location(r.headers.Get("Location").value_or(""));
  EXPECT_TRUE(location.starts_with("/api/v2.0" + members + "/")) << location;
  EXPECT_EQ(
      Call("POST", members, alice, R"({"role_id":2,"member_user":{"username":"bob"}})").status,
      409);
  EXPECT_EQ(
      Call("POST", members, alice, R"({"role_id":9,"member_user":{"username":"bob"}})").status,
      400);
  EXPECT_EQ(
      Call("POST", members, alice, R"({"role_id":2,"member_user":{"username":"zed"}})").status,
      404);

  // bob now sees the private project, as a developer.
  r = Call("GET", "/projects/team", bob);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["current_user_role_id"], 2);

  std::string mid = location.substr(location.rfind('/') + 1);
  EXPECT_EQ(Call("DELETE", members + "/" + mid, alice).status, 200);
  EXPECT_EQ(Call("GET", "/projects/team", bob).status, 403);
  EXPECT_EQ(Call("DELETE", members + "/" + mid, alice).status, 404);
}

TEST_F(ApiServiceTest, RepositoriesAndArtifacts) {
  MakeProject(admin(), "lib", true);
  std::string d1 = PushImage("lib/nginx", "v1", "one");
  std::string d2 = PushImage("lib/team/app", "latest", "two");
  ASSERT_FALSE(d1.empty());

  auto r = Call("GET", "/projects/lib/repositories", kAnonymous);
  ASSERT_EQ(r.status, 200) << r.body;
  auto repos = Body(r);
  ASSERT_EQ(repos.size(), 2u);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "2");
  for (const auto& repo : repos) {
    for (const char* f : {"id", "project_id", "name", "description", "artifact_count", "pull_count",
                          "creation_time", "update_time"}) {
      EXPECT_TRUE(repo.contains(f)) << f;
    }
    EXPECT_EQ(repo["artifact_count"], 1);
  }

  // Both single and double encoding of the slash.
  for (std::string name : {"team%2Fapp", "team%252Fapp"}) {
    r = Call("GET", "/projects/lib/repositories/" + name, kAnonymous);
    ASSERT_EQ(r.status, 200) << name << r.body;
    EXPECT_EQ(Body(r)["name"], "lib/team/app");
  }
  EXPECT_EQ(Call("GET", "/projects/lib/repositories/missing", kAnonymous).status, 404);

  r = Call("GET", "/projects/lib/repositories/nginx/artifacts", kAnonymous);
  ASSERT_EQ(r.status, 200) << r.body;
  auto arts = Body(r);
  ASSERT_EQ(arts.size(), 1u);
  auto a = arts[0];
  EXPECT_EQ(a["digest"], d1);
  EXPECT_EQ(a["type"], "IMAGE");
  EXPECT_EQ(a["manifest_media_type"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(a["media_type"], "application/vnd.oci.image.config.v1+json");
  EXPECT_TRUE(a["extra_attrs"].is_object());
  ASSERT_EQ(a["tags"].size(), 1u);
  EXPECT_EQ(a["tags"][0]["name"], "v1");
  EXPECT_EQ(a["tags"][0]["immutable"], false);
  EXPECT_EQ(a["tags"][0]["artifact_id"], a["id"]);
  for (const char* f : {"id", "project_id", "repository_id", "size", "push_time"}) {
    EXPECT_TRUE(a.contains(f)) << f;
  }

  r = Call("GET", "/projects/lib/repositories/nginx/artifacts/v1", kAnonymous);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["digest"], d1);
  r = Call("GET", "/projects/lib/repositories/nginx/artifacts/" + d1, kAnonymous);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["tags"][0]["name"], "v1");
  r = Call("GET", "/projects/lib/repositories/nginx/artifacts/v2", kAnonymous);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorCodeOf(r), "NOT_FOUND");

  r = Call("GET", "/projects/lib/repositories/nginx/artifacts/v1/tags", kAnonymous);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)[0]["name"], "v1");

  r = Call("GET", "/repositories", admin());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "2");
}

TEST_F(ApiServiceTest, DeletingArtifactsNeedsMaintainer) {
  Caller dev = MakeUser("dev");
  Caller maint = MakeUser("maint");
  int64_t id = MakeProject(admin(), "lib", false);
  std::string members = "/projects/" + std::to_string(id) + "/members";
  ASSERT_EQ(
      Call("POST", members, admin(), R"({"role_id":2,"member_user":{"username":"dev"}})").status,
      201);
  ASSERT_EQ(
      Call("POST", members, admin(), R"({"role_id":4,"member_user":{"username":"maint"}})").status,
      201);
  std::string digest = PushImage("lib/app", "v1", "x");
  PushImage("lib/app", "v2", "y");
  std::string base = "/projects/lib/repositories/app/artifacts";

  EXPECT_EQ(Call("DELETE", base + "/v1", kAnonymous).status, 401);
  auto r = Call("DELETE", base + "/v1", dev);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorCodeOf(r), "FORBIDDEN");

  EXPECT_EQ(Call("DELETE", base + "/v2/tags/nope", maint).status, 404);
  EXPECT_EQ(Call("DELETE", base + "/v2/tags/v2", maint).status, 200);
  EXPECT_EQ(Call("GET", base + "/v2", maint).status, 404);

  EXPECT_EQ(Call("DELETE", base + "/v1", maint).status, 200);
  EXPECT_EQ(Call("GET", base + "/" + digest, maint).status, 404);
}

TEST_F(ApiServiceTest, Users) {
  auto r = Call("GET", "/users/current", admin());
  ASSERT_EQ(r.status, 200) << r.body;
  auto me = Body(r);
  EXPECT_EQ(me["username"], "admin");
  EXPECT_EQ(me["sysadmin_flag"], true);
  EXPECT_EQ(me["admin_role_in_auth"], false);
  for (const char* f :
       {"user_id", "email", "realname", "comment", "creation_time", "update_time"}) {
    EXPECT_TRUE(me.contains(f)) << f;
  }
  EXPECT_FALSE(me.contains("password"));
  EXPECT_FALSE(me.contains("password_hash"));

  struct Case {
    std::string password;
    int status;
  };
  const Case passwords[] = {
      {"short1A", 400},
      {"alllowercase1", 400},
      {"ALLUPPER1", 400},
      {"NoDigitsHere", 400},
      {std::string(129, 'a') + "A1", 400},
      {"GoodPass1", 201},
  };
  for (const auto& c : passwords) {
    r = Call("POST", "/users", admin(),
             json{{"username", "carol"}, {"email", "c@x.io"}, {"password", c.password}}.dump());
    EXPECT_EQ(r.status, c.status) << c.password << r.body;
    if (c.status == 400) {
      EXPECT_NE(Body(r)["errors"][0]["message"].get<std::string>().find("uppercase"),
                std::string::npos);
    }
  }
  EXPECT_TRUE(r.headers.Get("Location").value_or("").starts_with("/api/v2.0/users/"));
  r = Call("POST", "/users", admin(),
           json{{"username", "carol"}, {"password", "GoodPass1"}}.dump());
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(ErrorCodeOf(r), "CONFLICT");

  Caller carol{"carol", "GoodPass1"};
  EXPECT_EQ(Call("POST", "/users", carol, json{{"username", "d"}, {"password", "GoodPass1"}}.dump())
                .status,
            403);
  EXPECT_EQ(Call("GET", "/users", carol).status, 403);
  EXPECT_EQ(Call("GET", "/users", kAnonymous).status, 401);

  r = Call("GET", "/users?page_size=1", admin());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "2");
  EXPECT_EQ(Body(r).size(), 1u);
  r = Call("GET", "/users?q=username%3D~car", admin());
  ASSERT_EQ(Body(r).size(), 1u);
  int64_t carol_id = Body(r)[0]["user_id"];
  int64_t admin_id = me["user_id"];

  EXPECT_EQ(Call("GET", "/users/" + std::to_string(carol_id), carol).status, 200);
  EXPECT_EQ(Call("GET", "/users/" + std::to_string(admin_id), carol).status, 403);
  EXPECT_EQ(Call("DELETE", "/users/" + std::to_string(admin_id), admin()).status, 403);
  EXPECT_EQ(Call("DELETE", "/users/" + std::to_string(carol_id), carol).status, 403);
  EXPECT_EQ(Call("DELETE", "/users/" + std::to_string(carol_id), admin()).status, 200);
  EXPECT_EQ(Call("GET", "/users/" + std::to_string(carol_id), admin()).status, 404);
  EXPECT_EQ(Call("GET", "/users/current", carol).status, 401);
}

}  // namespace
}  // namespace berth::api
