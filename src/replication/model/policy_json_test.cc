#include "replication/model/policy_json.h"

#include <gtest/gtest.h>

namespace berth::replication {
namespace {

using nlohmann::json;

TEST(PolicyJson, ParsesHarborExample) {
  auto body = json::parse(R"({
    "id": 3, "name": "sync-prod", "description": "d",
    "src_registry": {"id": 0, "name": "Local"},
    "dest_registry": {"id": 5, "name": "dr-site", "credential": {"type": "basic"}},
    "dest_namespace": "mirror", "dest_namespace_replace_count": 1,
    "trigger": {"type": "scheduled", "trigger_settings": {"cron": "0 0 */2 * * *"}},
    "filters": [{"type": "name", "value": "library/**"},
                {"type": "tag", "value": "v*", "decoration": "matches"},
                {"type": "label", "value": ["prod"], "decoration": "matches"},
                {"type": "resource", "value": "image"}],
    "deletion": true, "replicate_deletion": true, "override": true, "enabled": true,
    "speed": 2048, "copy_by_chunk": true, "single_active_replication": false,
    "some_future_field": {"x": 1}
  })");
  auto policy = PolicyFromJson(body);
  ASSERT_TRUE(policy) << policy.error().message;
  EXPECT_EQ(policy->id, 3);
  EXPECT_EQ(policy->name, "sync-prod");
  EXPECT_EQ(policy->description, "d");
  EXPECT_EQ(policy->src_registry_id, 0);
  EXPECT_EQ(policy->dest_registry_id, 5);
  EXPECT_TRUE(policy->is_push());
  EXPECT_EQ(policy->remote_registry_id(), 5);
  EXPECT_EQ(policy->dest_namespace, "mirror");
  EXPECT_EQ(policy->dest_namespace_replace_count, 1);
  EXPECT_EQ(policy->trigger, (Trigger{"scheduled", "0 0 */2 * * *"}));
  ASSERT_EQ(policy->filters.size(), 4u);
  EXPECT_EQ(policy->filters[0], (Filter{"name", {"library/**"}, ""}));
  EXPECT_EQ(policy->filters[1], (Filter{"tag", {"v*"}, "matches"}));
  EXPECT_EQ(policy->filters[2], (Filter{"label", {"prod"}, "matches"}));
  EXPECT_EQ(policy->filters[3], (Filter{"resource", {"image"}, ""}));
  EXPECT_TRUE(policy->replicate_deletion);
  EXPECT_TRUE(policy->override_tags);
  EXPECT_TRUE(policy->enabled);
  EXPECT_EQ(policy->speed_kbps, 2048);
  EXPECT_TRUE(policy->copy_by_chunk);
  EXPECT_FALSE(policy->single_active_replication);
}

TEST(PolicyJson, Defaults) {
  auto policy = PolicyFromJson(json::parse(
      R"({"name": "p", "src_registry": {"id": 2}, "dest_registry": null,
          "dest_namespace_replace_count": null, "speed": null, "trigger": null})"));
  ASSERT_TRUE(policy) << policy.error().message;
  EXPECT_EQ(policy->src_registry_id, 2);
  EXPECT_EQ(policy->dest_registry_id, 0);
  EXPECT_FALSE(policy->is_push());
  EXPECT_EQ(policy->dest_namespace_replace_count, -1);
  EXPECT_EQ(policy->speed_kbps, 0);
  EXPECT_EQ(policy->trigger.type, "manual");
  EXPECT_TRUE(policy->filters.empty());
  EXPECT_TRUE(policy->enabled);

  auto absent = PolicyFromJson(json::parse(R"({"name": "p"})"));
  ASSERT_TRUE(absent);
  EXPECT_EQ(absent->dest_namespace_replace_count, -1);
  EXPECT_EQ(absent->src_registry_id, 0);
}

TEST(PolicyJson, DeletionAliases) {
  struct Case {
    std::string body;
    bool want;
  } cases[] = {
      {R"({"deletion": true})", true},
      {R"({"replicate_deletion": true})", true},
      {R"({"deletion": true, "replicate_deletion": false})", false},
      {R"({"deletion": false, "replicate_deletion": true})", true},
      {R"({"deletion": true, "replicate_deletion": null})", true},
      {R"({})", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto policy = PolicyFromJson(json::parse(c.body));
    ASSERT_TRUE(policy);
    EXPECT_EQ(policy->replicate_deletion, c.want);
  }
}

TEST(PolicyJson, WrongTypesNameTheField) {
  struct Case {
    std::string body;
    std::string message_part;
  } cases[] = {
      {R"([1])", "the body must be a JSON object"},
      {R"({"name": 5})", "name must be a string"},
      {R"({"src_registry": 5})", "src_registry must be an object"},
      {R"({"dest_registry": {"id": "5"}})", "dest_registry.id must be an integer"},
      {R"({"dest_namespace_replace_count": "1"})", "dest_namespace_replace_count must be"},
      {R"({"dest_namespace_replace_count": 1.5})", "dest_namespace_replace_count must be"},
      {R"({"trigger": "manual"})", "trigger must be an object"},
      {R"({"trigger": {"type": 1}})", "trigger.type must be a string"},
      {R"({"trigger": {"type": "scheduled", "trigger_settings": {"cron": 5}}})",
       "trigger.trigger_settings.cron must be a string"},
      {R"({"filters": {}})", "filters must be an array"},
      {R"({"filters": [{"type": "name", "value": "a"}, 3]})", "filters[1] must be an object"},
      {R"({"filters": [{"type": "name", "value": ["a"]}]})",
       "filters[0].value must be a string for a name filter"},
      {R"({"filters": [{"type": "label", "value": "prod"}]})",
       "filters[0].value must be an array of label names"},
      {R"({"filters": [{"type": "label", "value": ["prod", 1]}]})",
       "filters[0].value must be an array of label names"},
      {R"({"filters": [{"type": "tag", "value": "v*", "decoration": true}]})",
       "filters[0].decoration must be a string"},
      {R"({"deletion": "yes"})", "deletion must be true or false"},
      {R"({"override": 1})", "override must be true or false"},
      {R"({"speed": "fast"})", "speed must be an integer"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    auto policy = PolicyFromJson(json::parse(c.body));
    ASSERT_FALSE(policy);
    EXPECT_EQ(policy.error().code, ErrorCode::kBadRequest);
    EXPECT_NE(policy.error().message.find(c.message_part), std::string::npos)
        << policy.error().message;
  }
}

TEST(PolicyJson, EmitsHarborShapeAndRoundTrips) {
  Policy policy;
  policy.id = 7;
  policy.name = "p";
  policy.dest_registry_id = 4;
  policy.dest_namespace = "m";
  policy.trigger = {"scheduled", "0 30 9 * * MON-FRI"};
  policy.filters = {{"name", {"a/**"}, ""}, {"label", {"x", "y"}, "excludes"}};
  policy.replicate_deletion = true;
  policy.speed_kbps = 100;
  policy.creation_time = "2024-01-02T03:04:05Z";
  json out = PolicyToJson(policy);
  EXPECT_EQ(out["src_registry"], json::parse(R"({"id": 0})"));
  EXPECT_EQ(out["dest_registry"], json::parse(R"({"id": 4})"));
  EXPECT_EQ(out["dest_namespace_replace_count"], -1);
  EXPECT_EQ(out["trigger"], json::parse(R"({"type": "scheduled",
                                           "trigger_settings": {"cron": "0 30 9 * * MON-FRI"}})"));
  EXPECT_EQ(out["filters"], json::parse(R"([{"type": "name", "value": "a/**"},
      {"type": "label", "value": ["x", "y"], "decoration": "excludes"}])"));
  EXPECT_EQ(out["deletion"], true);
  EXPECT_EQ(out["replicate_deletion"], true);
  EXPECT_EQ(out["override"], false);
  EXPECT_EQ(out["enabled"], true);
  EXPECT_EQ(out["speed"], 100);
  EXPECT_EQ(out["copy_by_chunk"], false);
  EXPECT_EQ(out["single_active_replication"], false);
  EXPECT_EQ(out["creation_time"], "2024-01-02T03:04:05Z");
  EXPECT_FALSE(out.contains("update_time"));

  auto back = PolicyFromJson(out);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->name, policy.name);
  EXPECT_EQ(back->dest_registry_id, 4);
  EXPECT_EQ(back->trigger, policy.trigger);
  EXPECT_EQ(back->filters, policy.filters);
  EXPECT_TRUE(back->replicate_deletion);
  EXPECT_EQ(back->speed_kbps, 100);
  EXPECT_EQ(back->creation_time, policy.creation_time);
  EXPECT_EQ(PolicyToJson(*back), out);
}

TEST(ExecutionJson, HarborFields) {
  metadata::ReplicationExecution execution;
  execution.id = 9;
  execution.policy_id = 3;
  execution.status = "InProgress";
  execution.trigger = "scheduled";
  execution.start_time = "2024-01-02T03:04:05Z";
  execution.total = 4;
  execution.succeed = 1;
  execution.in_progress = 3;
  execution.bytes = 1024;
  json out = ExecutionToJson(execution);
  EXPECT_EQ(out, json::parse(R"({"id": 9, "policy_id": 3, "status": "InProgress",
      "status_text": "", "trigger": "scheduled", "start_time": "2024-01-02T03:04:05Z",
      "total": 4, "failed": 0, "succeed": 1, "in_progress": 3, "stopped": 0, "bytes": 1024})"));
  execution.end_time = "2024-01-02T04:00:00Z";
  EXPECT_EQ(ExecutionToJson(execution)["end_time"], "2024-01-02T04:00:00Z");
}

TEST(TaskJson, HarborFields) {
  metadata::ReplicationTask task;
  task.id = 12;
  task.execution_id = 9;
  task.status = "Succeed";
  task.src_resource = "library/a [3 item(s) in total]";
  task.dst_resource = "mirror/a [3 item(s) in total]";
  task.start_time = "2024-01-02T03:04:05Z";
  task.end_time = "2024-01-02T03:05:05Z";
  task.bytes = 10;
  task.artifacts_done = 3;
  task.artifacts_total = 3;
  task.payload = "{}";
  task.status_message = "internal";
  json out = TaskToJson(task);
  EXPECT_EQ(out, json::parse(R"({"id": 12, "execution_id": 9, "status": "Succeed",
      "job_id": "12", "operation": "copy", "resource_type": "image",
      "src_resource": "library/a [3 item(s) in total]",
      "dst_resource": "mirror/a [3 item(s) in total]",
      "start_time": "2024-01-02T03:04:05Z", "end_time": "2024-01-02T03:05:05Z",
      "bytes": 10, "artifacts_done": 3, "artifacts_total": 3})"));
}

}  // namespace
}  // namespace berth::replication
