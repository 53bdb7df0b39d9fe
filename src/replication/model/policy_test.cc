#include "replication/model/policy.h"

#include <gtest/gtest.h>

namespace berth::replication {
namespace {

Policy ValidPush() {
  Policy policy;
  policy.name = "sync-prod";
  policy.dest_registry_id = 5;
  return policy;
}

TEST(DestinationRepository, HarborReplaceNamespace) {
  struct Case {
    std::string source;
    std::string ns;
    int count;
    std::string want;  // "" = BAD_REQUEST
  } cases[] = {
      {"a/b/c/image", "n", -1, "n/image"},
      {"a/b/c/image", "n", 0, "n/a/b/c/image"},
      {"a/b/c/image", "n", 1, "n/b/c/image"},
      {"a/b/c/image", "n", 2, "n/c/image"},
      {"a/b/c/image", "n", 3, "n/image"},
      {"a/b/c/image", "n", 4, ""},
      {"a/b/c/image", "", -1, "a/b/c/image"},
      {"a/b/c/image", "", 2, "a/b/c/image"},
      {"library/nginx", "mirror", -1, "mirror/nginx"},
      {"library/nginx", "mirror", 0, "mirror/library/nginx"},
      {"library/nginx", "mirror", 1, "mirror/nginx"},
      {"library/nginx", "mirror", 2, ""},
      {"nginx", "mirror", 0, "mirror/nginx"},
      {"nginx", "mirror", 1, ""},
      {"library/nginx", "a/b", 1, "a/b/nginx"},
      {"library/nginx", "n", -2, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.source + " ns=" + c.ns + " count=" + std::to_string(c.count));
    auto got = DestinationRepository(c.source, c.ns, c.count);
    if (c.want.empty()) {
      ASSERT_FALSE(got);
      EXPECT_EQ(got.error().code, ErrorCode::kBadRequest);
    } else {
      ASSERT_TRUE(got) << got.error().message;
      EXPECT_EQ(*got, c.want);
    }
  }
}

TEST(DestinationRepository, ErrorNamesTheCount) {
  auto got = DestinationRepository("a/b/c/image", "n", 4);
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().message.find("a/b/c/image"), std::string::npos);
  EXPECT_NE(got.error().message.find("dest_namespace_replace_count is 4"), std::string::npos);
}

TEST(ValidatePolicy, AcceptsValidPolicies) {
  Policy push = ValidPush();
  push.filters = {{"name", {"library/**"}, ""},
                  {"tag", {"v*"}, "matches"},
                  {"label", {"prod", "ok"}, "excludes"},
                  {"resource", {"image"}, ""}};
  push.dest_namespace = "mirror/sub";
  push.dest_namespace_replace_count = 1;
  push.trigger = {"scheduled", "0 0 */2 * * *"};
  push.speed_kbps = -1;
  ASSERT_TRUE(ValidatePolicy(push)) << ValidatePolicy(push).error().message;
  EXPECT_EQ(push.speed_kbps, 0);
  push.trigger = {"scheduled", "0 * * * * *"};  // every minute, as Harbor allows
  EXPECT_TRUE(ValidatePolicy(push)) << ValidatePolicy(push).error().message;

  Policy pull;
  pull.name = "pull";
  pull.src_registry_id = 3;
  pull.trigger.type = "";
  ASSERT_TRUE(ValidatePolicy(pull));
  EXPECT_EQ(pull.trigger.type, "manual");

  Policy event = ValidPush();
  event.trigger.type = "event_based";
  event.replicate_deletion = true;
  EXPECT_TRUE(ValidatePolicy(event));
}

TEST(ValidatePolicy, RejectsWithFieldAndRemedy) {
  struct Case {
    std::string what;
    void (*mutate)(Policy&);
    std::string message_part;
  } cases[] = {
      {"empty name", [](Policy& p) { p.name.clear(); }, "name is required"},
      {"long name", [](Policy& p) { p.name = std::string(257, 'a'); }, "at most 256"},
      {"no remote", [](Policy& p) { p.dest_registry_id = 0; }, "must be a remote endpoint"},
      {"two remotes", [](Policy& p) { p.src_registry_id = 2; }, "must be this Berth"},
      {"negative id", [](Policy& p) { p.dest_registry_id = -3; }, "endpoint ids"},
      {"filter type",
       [](Policy& p) {
         p.filters = {{"size", {"1"}, ""}};
       },
       "filters[0]: type \"size\" is not supported; use \"name\", \"tag\", \"label\" or "
       "\"resource\""},
      {"decoration",
       [](Policy& p) {
         p.filters = {{"name", {"a/**"}, ""}, {"tag", {"v*"}, "maybe"}};
       },
       "filters[1]: decoration \"maybe\" is not allowed; use \"matches\" or \"excludes\""},
      {"decoration on name",
       [](Policy& p) {
         p.filters = {{"name", {"a/**"}, "excludes"}};
       },
       "filters[0]: a name filter takes no decoration"},
      {"resource value",
       [](Policy& p) {
         p.filters = {{"resource", {"chart"}, ""}};
       },
       "filters[0]: resource \"chart\" is not supported; use \"image\" or \"artifact\""},
      {"two tag values",
       [](Policy& p) {
         p.filters = {{"tag", {"a", "b"}, ""}};
       },
       "filters[0]: a tag filter takes exactly one value"},
      {"empty label",
       [](Policy& p) {
         p.filters = {{"label", {""}, ""}};
       },
       "filters[0]: a label filter's value lists label names"},
      {"bad glob",
       [](Policy& p) {
         p.filters = {{"name", {"library/[ab"}, ""}};
       },
       "filters[0]: pattern \"library/[ab\" is malformed"},
      {"unclosed brace",
       [](Policy& p) {
         p.filters = {{"tag", {"{v1,v2"}, ""}};
       },
       "'{' is not closed"},
      {"dest_namespace", [](Policy& p) { p.dest_namespace = "Mirror"; },
       "dest_namespace: invalid repository name \"Mirror\""},
      {"replace count", [](Policy& p) { p.dest_namespace_replace_count = -2; },
       "dest_namespace_replace_count -2 is out of range"},
      {"trigger type", [](Policy& p) { p.trigger.type = "hourly"; },
       "trigger.type \"hourly\" is not supported"},
      {"no cron",
       [](Policy& p) {
         p.trigger = {"scheduled", ""};
       },
       "trigger.trigger_settings.cron is required"},
      {"five fields",
       [](Policy& p) {
         p.trigger = {"scheduled", "0 * * * *"};
       },
       "has 5 fields; give 6"},
      {"seconds not zero",
       [](Policy& p) {
         p.trigger = {"scheduled", "*/5 0 * * * *"};
       },
       "the seconds field must be \"0\""},
      {"seconds not zero in a fixed minute",
       [](Policy& p) {
         p.trigger = {"scheduled", "30 0 * * * *"};
       },
       "the seconds field must be \"0\""},
      {"descriptor",
       [](Policy& p) {
         p.trigger = {"scheduled", "@hourly"};
       },
       "has 1 fields"},
      {"cron out of range",
       [](Policy& p) {
         p.trigger = {"scheduled", "0 61 * * * *"};
       },
       "minutes: 61 out of range 0-59"},
      {"single active with events",
       [](Policy& p) {
         p.trigger.type = "event_based";
         p.single_active_replication = true;
       },
       "single_active_replication cannot be used with an event_based trigger"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Policy policy = ValidPush();
    c.mutate(policy);
    auto status = ValidatePolicy(policy);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::kBadRequest);
    EXPECT_NE(status.error().message.find(c.message_part), std::string::npos)
        << status.error().message;
  }
}

}  // namespace
}  // namespace berth::replication
