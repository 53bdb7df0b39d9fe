// ReplicationService end to end: Berth's own stores on one side, a real CNCF
// `docker-registry` registered as an endpoint on the other.
#include "replication/replication_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "adapters/adapter.h"
#include "common/digest.h"
#include "content/manifest.h"
#include "endpoints/secret_box.h"
#include "metadata/migrate.h"
#include "metadata/registry_store.h"
#include "metadata/sqlite_database.h"
#include "metadata/stores.h"
#include "remote/distribution_client.h"
#include "remote/test_servers.h"
#include "replication/service_test_support.h"
#include "storage/fs_blob_store.h"

namespace berth::replication {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using metadata::ReplicationExecution;

using service_testing::Image;
using service_testing::MakeImage;

// One Berth's worth of stores and services over a data directory; a second Node over the
// same directory is Berth after a restart.
struct Node {
  Node(const fs::path& dir, ReplicationOptions options) : stack(dir) {
    if (!stack.ok()) return;
    store = std::make_unique<metadata::ReplicationStore>(*stack.db);
    options.log_dir = dir / "replication-logs";
    service = std::make_unique<ReplicationService>(*store, *stack.endpoint_service, stack.Local(),
                                                   options);
  }
  ~Node() {
    if (stack.content) stack.content->SetListener(nullptr);
    service.reset();
  }

  service_testing::ServiceStack stack;
  std::unique_ptr<metadata::ReplicationStore> store;
  std::unique_ptr<ReplicationService> service;
};

class ReplicationServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    registry_ = remote::testing::RegistryProcess::Start({}, &error);
    if (!registry_) GTEST_SKIP() << "docker-registry unavailable: " << error;
    StartNode();
    metadata::Project library;
    library.name = "library";
    library.owner_id = 1;
    ASSERT_TRUE(node_->stack.projects->Create(library).has_value());
    endpoints::NewRegistry peer{.name = "peer", .type = "docker-registry", .url = registry_->url()};
    auto created = node_->stack.endpoint_service->Create(peer);
    ASSERT_TRUE(created.has_value()) << created.error().message;
    peer_id_ = created->id;
    remote_ = service_testing::AnonymousClient(registry_->url());
  }

  void TearDown() override {
    node_.reset();
    remote_.reset();
  }

  // (Re)starts Berth over the same data directory.
  void StartNode() {
    node_.reset();
    node_ = std::make_unique<Node>(dir_.path(), options_);
  }

  std::string PushLocal(const std::string& repository, const std::string& tag, const Image& image) {
    auto repo = node_->stack.content->ResolveRepository(repository, true);
    EXPECT_TRUE(repo.has_value()) << repo.error().message;
    for (const auto* blob : {&image.config, &image.layer}) {
      auto digest = *Digest::Parse(Sha256Digest(*blob));
      EXPECT_TRUE(node_->stack.blobs->Put(digest, *blob).has_value());
      EXPECT_TRUE(node_->stack.content->LinkBlob(*repo, digest).has_value());
    }
    auto put = node_->stack.content->PutManifest(*repo, Reference{tag, false}, image.manifest,
                                                 content::kOciManifestType);
    EXPECT_TRUE(put.has_value()) << put.error().message;
    return put ? put->digest.str() : "";
  }

  void PushRemote(const std::string& repository, const std::string& tag, const Image& image) {
    service_testing::PushImage(*remote_, repository, tag, image);
  }

  std::string RemoteDigest(const std::string& repository, const std::string& reference) {
    auto head = remote_->HeadManifest(repository, reference);
    if (!head || !*head) return "";
    return (*head)->digest;
  }

  Policy PushPolicy(const std::string& name, const std::string& name_filter) {
    Policy p;
    p.name = name;
    p.src_registry_id = 0;
    p.dest_registry_id = peer_id_;
    p.dest_namespace_replace_count = 0;
    p.override_tags = true;
    if (!name_filter.empty()) p.filters.push_back(Filter{"name", {name_filter}, ""});
    return p;
  }

  // A pull from the peer into `dest_namespace`, replacing the source's first path component.
  Policy PullPolicy(const std::string& name, const std::string& dest_namespace) {
    Policy p;
    p.name = name;
    p.src_registry_id = peer_id_;
    p.dest_registry_id = 0;
    p.dest_namespace = dest_namespace;
    p.dest_namespace_replace_count = 1;
    return p;
  }

  int64_t MustCreate(Policy p) {
    auto created = node_->service->CreatePolicy(std::move(p));
    EXPECT_TRUE(created.has_value()) << created.error().message;
    return created ? created->id : 0;
  }

  // Waits until the execution leaves InProgress.
  ReplicationExecution WaitForEnd(int64_t id, std::chrono::seconds timeout = 30s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto e = node_->service->GetExecution(id);
      EXPECT_TRUE(e.has_value());
      if (!e || e->status != "InProgress" || std::chrono::steady_clock::now() > deadline) {
        return e ? *e : ReplicationExecution{};
      }
      std::this_thread::sleep_for(50ms);
    }
  }

  // Waits until some task of the execution is running and has moved `min_bytes`.
  bool WaitForRunningTask(int64_t execution_id, int64_t min_bytes = 0) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto tasks = node_->service->ListTasks(execution_id, TaskQuery{.status = "InProgress"});
      if (tasks && !tasks->items.empty() && tasks->items.front().bytes >= min_bytes) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // Waits for the newest execution of the policy to end.
  ReplicationExecution WaitForExecutionOf(int64_t policy_id, std::string_view trigger) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto list = node_->service->ListExecutions(
          ExecutionQuery{.policy_id = policy_id, .trigger = std::string(trigger)});
      if (list && !list->items.empty()) return WaitForEnd(list->items.front().id);
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "no " << trigger << " execution of policy " << policy_id;
    return {};
  }

  std::unique_ptr<remote::testing::RegistryProcess> registry_;
  std::unique_ptr<remote::DistributionClient> remote_;
  remote::testing::TempDir dir_;
  ReplicationOptions options_{.workers = 2, .backoff = 50ms};
  std::unique_ptr<Node> node_;
  int64_t peer_id_ = 0;
};

TEST_F(ReplicationServiceTest, PushCopiesLocalImagesAndSucceeds) {
  ASSERT_TRUE(node_->service->Start().has_value());
  Image a1 = MakeImage(3000, 1), a2 = MakeImage(70000, 2), b1 = MakeImage(100, 3);
  std::string da1 = PushLocal("library/a", "v1", a1);
  std::string da2 = PushLocal("library/a", "v2", a2);
  PushLocal("library/a", "latest", a2);  // one artifact, two tags
  std::string db1 = PushLocal("library/b", "v1", b1);
  PushLocal("library/skipped", "v1", b1);
  Policy p = PushPolicy("to-peer", "library/{a,b}");
  p.dest_namespace = "mirror";
  int64_t policy = MustCreate(p);

  auto started = node_->service->StartExecution(policy);
  ASSERT_TRUE(started.has_value()) << started.error().message;
  auto e = WaitForEnd(*started);
  EXPECT_EQ(e.status, "Succeed") << e.status_text;
  EXPECT_EQ(e.trigger, "manual");
  EXPECT_EQ(e.total, 2);
  EXPECT_EQ(e.succeed, 2);
  EXPECT_EQ(e.failed, 0);
  EXPECT_FALSE(e.end_time.empty());
  EXPECT_GT(e.bytes, 70000);
  EXPECT_EQ(RemoteDigest("mirror/library/a", "v1"), da1);
  EXPECT_EQ(RemoteDigest("mirror/library/a", "v2"), da2);
  EXPECT_EQ(RemoteDigest("mirror/library/b", "v1"), db1);
  EXPECT_EQ(RemoteDigest("mirror/library/skipped", "v1"), "");

  auto tasks = node_->service->ListTasks(*started, TaskQuery{});
  ASSERT_TRUE(tasks.has_value());
  ASSERT_EQ(tasks->items.size(), 2u);
  std::set<std::string> resources;
  for (const auto& t : tasks->items) {
    EXPECT_EQ(t.status, "Succeed") << t.status_message;
    EXPECT_EQ(t.artifacts_done, t.artifacts_total);
    resources.insert(t.dst_resource);
    auto log = node_->service->TaskLog(*started, t.id);
    ASSERT_TRUE(log.has_value()) << log.error().message;
    EXPECT_NE(log->find("[INFO]"), std::string::npos) << *log;
  }
  // As Harbor counts items: tags, not artifacts (a holds two artifacts under three tags).
  EXPECT_EQ(resources, (std::set<std::string>{"mirror/library/a [3 item(s) in total]",
                                              "mirror/library/b [1 item(s) in total]"}));
  auto wrong = node_->service->TaskLog(*started, tasks->items.front().id + 1000);
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kNotFound);

  // Again: everything is there already, still Succeed.
  auto again = node_->service->StartExecution(policy);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(WaitForEnd(*again).status, "Succeed");
}

TEST_F(ReplicationServiceTest, PullCopiesRemoteImagesIntoBerth) {
  ASSERT_TRUE(node_->service->Start().has_value());
  Image x = MakeImage(50000, 11);
  PushRemote("upstream/x", "1.0", x);
  Policy p = PullPolicy("from-peer", "pulled");  // "pulled" is created by the local end
  p.filters = {Filter{"name", {"upstream/**"}, ""}, Filter{"tag", {"1.*"}, "matches"}};
  int64_t policy = MustCreate(p);
  auto started = node_->service->StartExecution(policy);
  ASSERT_TRUE(started.has_value());
  auto e = WaitForEnd(*started);
  EXPECT_EQ(e.status, "Succeed") << e.status_text;
  EXPECT_EQ(e.succeed, 1);
  auto repo = node_->stack.content->ResolveRepository("pulled/x", false);
  ASSERT_TRUE(repo.has_value()) << repo.error().message;
  auto m = node_->stack.content->GetManifest(*repo, Reference{"1.0", false});
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->digest.str(), x.digest);
  EXPECT_EQ(m->bytes, x.manifest);
}

// The connection to an endpoint is kept between executions; changing the endpoint makes
// the next execution connect to it as it is now.
TEST_F(ReplicationServiceTest, AnEndpointChangedBetweenRunsIsUsedAsItIsNow) {
  ASSERT_TRUE(node_->service->Start().has_value());
  Image first = MakeImage(3000, 31);
  PushRemote("upstream/x", "1.0", first);
  int64_t policy = MustCreate(PullPolicy("from-peer", "library"));
  auto run = [&] {
    auto started = node_->service->StartExecution(policy);
    EXPECT_TRUE(started.has_value());
    return started ? WaitForEnd(*started) : ReplicationExecution{};
  };
  auto local_digest = [&](const std::string& tag) -> std::string {
    auto repo = node_->stack.content->ResolveRepository("library/x", false);
    if (!repo) return "";
    auto m = node_->stack.content->GetManifest(*repo, Reference{tag, false});
    return m ? m->digest.str() : "";
  };
  EXPECT_EQ(run().status, "Succeed");
  EXPECT_EQ(local_digest("1.0"), first.digest);

  std::string error;
  auto other = remote::testing::RegistryProcess::Start({}, &error);
  ASSERT_TRUE(other) << error;
  Image second = MakeImage(3000, 32);
  service_testing::PushImage(*service_testing::AnonymousClient(other->url()), "upstream/x", "2.0",
                             second);
  ASSERT_TRUE(node_->stack.endpoint_service
                  ->Update(peer_id_, endpoints::RegistryUpdate{.url = other->url()})
                  .has_value());
  auto e = run();
  EXPECT_EQ(e.status, "Succeed") << e.status_text;
  EXPECT_EQ(local_digest("2.0"), second.digest);

  // The endpoint's registry goes away: the run fails and says where it could not connect.
  other.reset();
  e = run();
  EXPECT_EQ(e.status, "Failed");
  EXPECT_NE(e.status_text.find("127.0.0.1"), std::string::npos) << e.status_text;
}

TEST_F(ReplicationServiceTest, PolicyRules) {
  Policy p = PushPolicy("rules", "library/**");
  p.dest_registry_id = 999;
  auto missing = node_->service->CreatePolicy(p);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "registry 999 not found");

  Policy both_local = PushPolicy("rules", "");
  both_local.dest_registry_id = 0;
  EXPECT_EQ(node_->service->CreatePolicy(both_local).error().code, ErrorCode::kBadRequest);

  int64_t id = MustCreate(PushPolicy("rules", "library/**"));
  EXPECT_EQ(node_->service->CreatePolicy(PushPolicy("rules", "")).error().code,
            ErrorCode::kConflict);
  auto got = node_->service->GetPolicy(id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->name, "rules");
  EXPECT_EQ(got->dest_registry_id, peer_id_);
  ASSERT_EQ(got->filters.size(), 1u);
  EXPECT_FALSE(got->creation_time.empty());

  Policy updated = *got;
  updated.enabled = false;
  updated.description = "off";
  ASSERT_TRUE(node_->service->UpdatePolicy(id, updated).has_value());
  EXPECT_EQ(node_->service->GetPolicy(id)->description, "off");
  auto disabled = node_->service->StartExecution(id);
  ASSERT_FALSE(disabled.has_value());
  EXPECT_EQ(disabled.error().code, ErrorCode::kPrecondition);

  auto list = node_->service->ListPolicies(PolicyQuery{.name_like = "ule"});
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(list->total, 1);
  EXPECT_EQ(node_->service->GetPolicy(id + 100).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(node_->service->StartExecution(id + 100).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(node_->service->StopExecution(12345).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(node_->service->DeletePolicy(id).has_value());
  EXPECT_EQ(node_->service->GetPolicy(id).error().code, ErrorCode::kNotFound);
}

TEST_F(ReplicationServiceTest, StopEndsARunningExecutionWithinSeconds) {
  ASSERT_TRUE(node_->service->Start().has_value());
  PushLocal("library/slow", "v1", MakeImage(2 << 20, 21));
  Policy p = PushPolicy("slow", "library/slow");
  p.speed_kbps = 80;  // 10 KB/s: the layer would take minutes
  int64_t policy = MustCreate(p);
  auto started = node_->service->StartExecution(policy);
  ASSERT_TRUE(started.has_value());
  ASSERT_TRUE(WaitForRunningTask(*started));

  auto busy = node_->service->DeletePolicy(policy);
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().code, ErrorCode::kPrecondition);
  EXPECT_EQ(busy.error().message, "the policy has a running execution; stop it first");

  auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(node_->service->StopExecution(*started).has_value());
  auto e = WaitForEnd(*started, 10s);
  EXPECT_EQ(e.status, "Stopped");
  EXPECT_LT(std::chrono::steady_clock::now() - before, 5s);
  EXPECT_EQ(e.stopped, 1);
  EXPECT_TRUE(e.stop_requested);
  EXPECT_TRUE(node_->service->StopExecution(*started).has_value());  // finished: Ok
  EXPECT_TRUE(node_->service->DeletePolicy(policy).has_value());
}

TEST_F(ReplicationServiceTest, RestartFinishesTheWork) {
  options_.chunk_size = 64 << 10;
  StartNode();
  ASSERT_TRUE(node_->service->Start().has_value());
  Image big = MakeImage(1 << 20, 31);
  std::string digest = PushLocal("library/big", "v1", big);
  Policy p = PushPolicy("restart", "library/big");
  p.copy_by_chunk = true;
  p.speed_kbps = 800;  // 100 KB/s: about ten seconds for the layer
  int64_t policy = MustCreate(p);
  auto started = node_->service->StartExecution(policy);
  ASSERT_TRUE(started.has_value());
  ASSERT_TRUE(WaitForRunningTask(*started, 1));
  std::this_thread::sleep_for(1s);
  node_->service->Shutdown();
  auto mid = node_->service->GetExecution(*started);
  ASSERT_TRUE(mid.has_value());
  EXPECT_EQ(mid->status, "InProgress");
  EXPECT_EQ(RemoteDigest("library/big", "v1"), "");

  // Berth comes back (and the limit is lifted so the rest goes quickly).
  StartNode();
  Policy faster = *node_->service->GetPolicy(policy);
  faster.speed_kbps = 0;
  ASSERT_TRUE(node_->service->UpdatePolicy(policy, faster).has_value());
  ASSERT_TRUE(node_->service->Start().has_value());
  auto e = WaitForEnd(*started);
  EXPECT_EQ(e.status, "Succeed") << e.status_text;
  EXPECT_EQ(RemoteDigest("library/big", "v1"), digest);
  auto tasks = node_->service->ListTasks(*started, TaskQuery{});
  ASSERT_TRUE(tasks.has_value());
  ASSERT_EQ(tasks->items.size(), 1u);
  EXPECT_EQ(tasks->items.front().run_count, 2);
}

TEST_F(ReplicationServiceTest, RetentionPrunesOldExecutionsAndTheirLogs) {
  options_.execution_retention = 2;
  StartNode();
  ASSERT_TRUE(node_->service->Start().has_value());
  PushLocal("library/r", "v1", MakeImage(10, 41));
  int64_t policy = MustCreate(PushPolicy("retention", "library/r"));
  std::vector<int64_t> ids;
  std::vector<fs::path> logs;
  for (int i = 0; i < 3; ++i) {
    auto started = node_->service->StartExecution(policy);
    ASSERT_TRUE(started.has_value());
    EXPECT_EQ(WaitForEnd(*started).status, "Succeed");
    ids.push_back(*started);
    if (i == 0) {
      auto tasks = node_->service->ListTasks(*started, TaskQuery{});
      ASSERT_TRUE(tasks.has_value());
      ASSERT_EQ(tasks->items.size(), 1u);
      logs.push_back(dir_.path() / "replication-logs" /
                     (std::to_string(tasks->items.front().id) + ".log"));
      EXPECT_TRUE(fs::exists(logs.back()));
    }
  }
  // Pruning follows the end of the third execution.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  Result<metadata::PageResult<ReplicationExecution>> list;
  do {
    list = node_->service->ListExecutions(ExecutionQuery{.policy_id = policy});
    ASSERT_TRUE(list.has_value());
    if (list->total == 2) break;
    std::this_thread::sleep_for(20ms);
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(list->total, 2);
  EXPECT_EQ(node_->service->GetExecution(ids[0]).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(fs::exists(logs.front()));
}

TEST_F(ReplicationServiceTest, EventTriggerFiresOnPushAndDelete) {
  ASSERT_TRUE(node_->service->Start().has_value());
  node_->stack.content->SetListener(node_->service.get());
  Policy p = PushPolicy("events", "library/ev");
  p.trigger.type = "event_based";
  p.replicate_deletion = true;
  int64_t policy = MustCreate(p);
  int64_t other = MustCreate(PushPolicy("manual-only", "library/**"));

  Image image = MakeImage(500, 51);
  std::string digest = PushLocal("library/ev", "v1", image);
  auto pushed = WaitForExecutionOf(policy, "event_based");
  EXPECT_EQ(pushed.status, "Succeed") << pushed.status_text;
  EXPECT_EQ(pushed.total, 1);
  EXPECT_EQ(RemoteDigest("library/ev", "v1"), digest);
  PushLocal("library/not-ev", "v1", image);

  auto repo = node_->stack.content->ResolveRepository("library/ev", false);
  ASSERT_TRUE(repo.has_value());
  ASSERT_TRUE(node_->stack.content->DeleteManifest(*repo, Reference{digest, true}).has_value());
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (RemoteDigest("library/ev", digest) != "" && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(RemoteDigest("library/ev", digest), "");
  auto all = node_->service->ListExecutions(ExecutionQuery{.policy_id = policy});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->total, 2);  // the push and the deletion; library/not-ev did not match
  auto none = node_->service->ListExecutions(ExecutionQuery{.policy_id = other});
  EXPECT_EQ(none->total, 0);
}

TEST_F(ReplicationServiceTest, ScheduledPolicyFiresOnItsCron) {
  // 2026-01-01T10:30:00Z, moved by the test.
  auto now = std::make_shared<std::atomic<int64_t>>(1767263400);
  options_.clock = [now] {
    return std::chrono::system_clock::time_point(std::chrono::seconds(now->load()));
  };
  options_.scheduler_poll = 20ms;
  StartNode();
  ASSERT_TRUE(node_->service->Start().has_value());
  std::string digest = PushLocal("library/cron", "v1", MakeImage(10, 61));
  Policy p = PushPolicy("hourly", "library/cron");
  p.trigger = Trigger{"scheduled", "0 0 * * * *"};
  int64_t policy = MustCreate(p);
  // A slow one that must never run twice at once.
  PushLocal("library/cron-slow", "v1", MakeImage(2 << 20, 62));
  Policy guarded_policy = PushPolicy("guarded", "library/cron-slow");
  guarded_policy.trigger = Trigger{"scheduled", "0 0 * * * *"};
  guarded_policy.single_active_replication = true;
  guarded_policy.speed_kbps = 80;
  int64_t guarded = MustCreate(guarded_policy);
  std::this_thread::sleep_for(300ms);  // the scheduler has read the policies
  auto list = node_->service->ListExecutions(ExecutionQuery{.policy_id = policy});
  EXPECT_EQ(list->total, 0);

  now->store(1767265200 + 1);  // 11:00:01
  auto e = WaitForExecutionOf(policy, "scheduled");
  EXPECT_EQ(e.status, "Succeed") << e.status_text;
  EXPECT_EQ(RemoteDigest("library/cron", "v1"), digest);

  auto running = node_->service->ListExecutions(ExecutionQuery{.policy_id = guarded});
  ASSERT_TRUE(running.has_value());
  ASSERT_EQ(running->total, 1);
  int64_t first = running->items.front().id;
  ASSERT_TRUE(WaitForRunningTask(first));
  now->store(1767268800 + 1);  // 12:00:01: the previous run is still going
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    running = node_->service->ListExecutions(ExecutionQuery{.policy_id = guarded});
    if (running->total == 2) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_EQ(running->total, 2);
  const auto& skipped = running->items.front();
  EXPECT_EQ(skipped.status, "Failed");
  EXPECT_EQ(skipped.status_text, "Execution skipped: active replication still in progress.");
  EXPECT_EQ(skipped.trigger, "scheduled");
  ASSERT_TRUE(node_->service->StopExecution(first).has_value());
  EXPECT_EQ(WaitForEnd(first, 10s).status, "Stopped");
}

}  // namespace
}  // namespace berth::replication
