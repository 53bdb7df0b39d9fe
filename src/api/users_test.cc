#include <gtest/gtest.h>

#include <algorithm>

#include "api/api_test_fixture.h"

namespace berth::api::test_support {
namespace {

using nlohmann::json;

TEST_F(ApiServiceTest, WrongCredentialsAre401WithChallenge) {
  auto r = Call("GET", "/users/current", Caller{"admin", "wrong"});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCodeOf(r), "UNAUTHORIZED");
  EXPECT_TRUE(r.headers.Get("WWW-Authenticate").has_value());
  r = Call("GET", "/users/current", kAnonymous);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.Get("WWW-Authenticate"), "Basic realm=\"harbor\"");
}

TEST_F(ApiServiceTest, ScriptCallsGet401WithoutChallenge) {
  // The web UI marks its calls so that a wrong password never opens the browser's own
  // password prompt.
  auto r = Call("GET", "/users/current", Caller{"admin", "wrong"}, {},
                {{"X-Requested-With", "XMLHttpRequest"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCodeOf(r), "UNAUTHORIZED");
  EXPECT_FALSE(r.headers.Get("WWW-Authenticate").has_value());
  r = Call("GET", "/users/current", admin(), {}, {{"X-Requested-With", "XMLHttpRequest"}});
  EXPECT_EQ(r.status, 200);
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
             json{{"username", "carol"},
                  {"email", "c@x.io"},
                  {"realname", "Carol"},
                  {"password", c.password}}
                 .dump());
    EXPECT_EQ(r.status, c.status) << c.password << r.body;
    if (c.status == 400) {
      EXPECT_NE(Body(r)["errors"][0]["message"].get<std::string>().find("uppercase"),
                std::string::npos);
    }
  }
  EXPECT_TRUE(r.headers.Get("Location").value_or("").starts_with("/api/v2.0/users/"));
  auto user = [](std::string name, std::string email, std::string realname,
                 std::string comment = "") {
    return json{{"username", name},
                {"email", email},
                {"realname", realname},
                {"comment", comment},
                {"password", "GoodPass1"}}
        .dump();
  };
  r = Call("POST", "/users", admin(), user("carol", "other@x.io", "Carol"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(ErrorCodeOf(r), "CONFLICT");
  r = Call("POST", "/users", admin(), user("carla", "C@X.io", "Carla"));
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.body.find("is already used by another user"), std::string::npos) << r.body;

  // Harbor's profile rules, each refused with what is wrong.
  struct Profile {
    std::string body;
    std::string says;
  };
  const Profile profiles[] = {
      {user("dan", "", "Dan"), "email is required"},
      {user("dan", "dan", "Dan"), "is not valid: give an address"},
      {user("dan", "dan@x.io", ""), "realname is required"},
      {user("dan", "dan@x.io", "Dan #1"), "realname must not contain"},
      {user("dan", "dan@x.io", "Dan", std::string(31, 'c')), "comment"},
  };
  for (const auto& p : profiles) {
    r = Call("POST", "/users", admin(), p.body);
    EXPECT_EQ(r.status, 400) << p.body;
    EXPECT_NE(r.body.find(p.says), std::string::npos) << r.body;
  }
  r = Call("POST", "/users", admin(), user("dan", "dan@x.io", "Dan", "on call"));
  ASSERT_EQ(r.status, 201) << r.body;
  std::string dan(r.headers.Get("Location").value_or(""));
  EXPECT_EQ(Call("DELETE", dan.substr(std::string_view("/api/v2.0").size()), admin()).status, 200);

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
  // Any signed-in user may look up names (Harbor's /users/search), and sees only names.
  Caller frank = MakeUser("frank");
  MakeUser("franziska");
  r = Call("GET", "/users/search?username=fran", frank);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.Get("X-Total-Count"), "2");
  ASSERT_EQ(Body(r).size(), 2u);
  EXPECT_EQ(Body(r)[0].size(), 2u);  // user_id and username
  EXPECT_TRUE(Body(r)[0].contains("user_id"));
  EXPECT_EQ(Call("GET", "/users/search?username=fran", kAnonymous).status, 401);
  EXPECT_EQ(Call("GET", "/users/search", frank).status, 422);
  // Harbor's email filter, bare or in q.
  for (const char* query :
       {"?email=franz", "?q=email%3D~franz", "?q=email%3Dfranziska%40example.com"}) {
    r = Call("GET", std::string("/users") + query, admin());
    ASSERT_EQ(r.status, 200) << query << r.body;
    ASSERT_EQ(Body(r).size(), 1u) << query;
    EXPECT_EQ(Body(r)[0]["username"], "franziska") << query;
  }
  // A path id that is not a positive integer: Harbor's 422.
  for (const char* bad : {"/users/abc", "/users/0"}) {
    r = Call("GET", bad, admin());
    EXPECT_EQ(r.status, 422) << bad;
    EXPECT_EQ(ErrorCodeOf(r), "UNPROCESSABLE_ENTITY") << bad;
  }
}

TEST_F(ApiServiceTest, SysadminFlagAndPassword) {
  Caller erin = MakeUser("erin");
  auto r = Call("GET", "/users/current", erin);
  ASSERT_EQ(r.status, 200);
  std::string path = "/users/" + std::to_string(Body(r)["user_id"].get<int64_t>());

  EXPECT_EQ(Call("PUT", path + "/sysadmin", erin, R"({"sysadmin_flag":true})").status, 403);
  EXPECT_EQ(Call("PUT", path + "/sysadmin", admin(), R"({"sysadmin_flag":true})").status, 200);
  EXPECT_EQ(Call("GET", "/users", erin).status, 200);

  // The built-in admin is never deleted or demoted, not even by another administrator,
  // so someone can always manage users.
  r = Call("GET", "/users/current", admin());
  std::string admin_path = "/users/" + std::to_string(Body(r)["user_id"].get<int64_t>());
  r = Call("PUT", admin_path + "/sysadmin", erin, R"({"sysadmin_flag":false})");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("built-in administrator"), std::string::npos) << r.body;
  EXPECT_EQ(Call("PUT", admin_path + "/sysadmin", admin(), R"({"sysadmin_flag":false})").status,
            403);
  r = Call("DELETE", admin_path, erin);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("cannot be deleted"), std::string::npos) << r.body;
  EXPECT_EQ(Call("GET", "/users", admin()).status, 200);
  EXPECT_EQ(Call("PUT", admin_path + "/sysadmin", admin(), R"({"sysadmin_flag":true})").status,
            200);

  EXPECT_EQ(Call("PUT", path + "/password", erin,
                 R"({"old_password":"wrong","new_password":"NewPassw0rd"})")
                .status,
            403);
  EXPECT_EQ(
      Call("PUT", path + "/password", erin, R"({"old_password":"Passw0rdX","new_password":"weak"})")
          .status,
      400);
  EXPECT_EQ(Call("PUT", path + "/password", erin,
                 R"({"old_password":"Passw0rdX","new_password":"NewPassw0rd"})")
                .status,
            200);
  EXPECT_EQ(Call("GET", "/users/current", erin).status, 401);
  EXPECT_EQ(Call("GET", "/users/current", Caller{"erin", "NewPassw0rd"}).status, 200);
}

}  // namespace
}  // namespace berth::api::test_support
