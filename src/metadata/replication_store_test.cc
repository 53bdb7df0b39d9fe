#include "metadata/replication_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "metadata/migrate.h"
#include "metadata/registry_store.h"
#include "metadata/sqlite_database.h"
#include "metadata/test_util.h"

namespace berth::metadata {
namespace {

class ReplicationStoreTest : public testing::MigratedDatabaseTest {
 protected:
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (HasFatalFailure()) return;
    RegistryRecord r{.name = "remote", .url = "https://remote.example.com", .type = "harbor"};
    auto reg = RegistryStore(*db_).Create(r);
    ASSERT_TRUE(reg.has_value());
    registry_id_ = reg->id;
  }

  PolicyRecord MakePolicy(std::string name, std::string trigger = "manual", bool enabled = true) {
    PolicyRecord p{.name = std::move(name),
                   .src_registry_id = 0,
                   .dest_registry_id = registry_id_,
                   .enabled = enabled,
                   .trigger_type = std::move(trigger),
                   .json = R"({"name":"x"})"};
    auto created = ReplicationStore(*db_).CreatePolicy(p);
    EXPECT_TRUE(created.has_value());
    return created.value_or(PolicyRecord{});
  }

  ReplicationExecution MakeExecution(int64_t policy_id, std::string status = "InProgress",
                                     std::string trigger = "manual") {
    ReplicationExecution e{.policy_id = policy_id, .status = std::move(status)};
    e.trigger = std::move(trigger);
    auto created = ReplicationStore(*db_).CreateExecution(e);
    EXPECT_TRUE(created.has_value());
    return created.value_or(ReplicationExecution{});
  }

  // `n` Pending tasks for the execution, named "repo/<i>".
  void MakeTasks(int64_t execution_id, int n, bool planned = true) {
    std::vector<ReplicationTask> tasks(n);
    for (int i = 0; i < n; ++i) tasks[i].src_resource = "repo/" + std::to_string(i);
    ASSERT_TRUE(ReplicationStore(*db_).CreateTasks(execution_id, tasks, planned).has_value());
  }

  int64_t registry_id_ = 0;
};

TEST_F(ReplicationStoreTest, PolicyCrudRoundTrip) {
  ReplicationStore store(*db_);
  PolicyRecord p = MakePolicy("p1", "scheduled");
  EXPECT_GT(p.id, 0);
  EXPECT_EQ(p.src_registry_id, 0);
  EXPECT_EQ(p.dest_registry_id, registry_id_);
  EXPECT_EQ(p.trigger_type, "scheduled");
  EXPECT_FALSE(p.creation_time.empty());

  p.name = "p1-renamed";
  p.src_registry_id = registry_id_;
  p.dest_registry_id = 0;
  p.enabled = false;
  p.trigger_type = "event_based";
  p.json = R"({"name":"p1-renamed"})";
  ASSERT_TRUE(store.UpdatePolicy(p).has_value());
  auto got = store.GetPolicy(p.id);
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ((*got)->name, "p1-renamed");
  EXPECT_EQ((*got)->src_registry_id, registry_id_);
  EXPECT_EQ((*got)->dest_registry_id, 0);
  EXPECT_FALSE((*got)->enabled);
  EXPECT_EQ((*got)->trigger_type, "event_based");
  EXPECT_EQ((*got)->json, R"({"name":"p1-renamed"})");

  // The registry now reports the policy as a reference.
  auto refs = RegistryStore(*db_).PolicyReferences(registry_id_);
  ASSERT_TRUE(refs.has_value());
  EXPECT_EQ(refs->count, 1);

  ASSERT_TRUE(store.DeletePolicy(p.id).has_value());
  EXPECT_EQ(store.DeletePolicy(p.id).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(store.GetPolicy(p.id)->has_value());
  p.id = 999;
  EXPECT_EQ(store.UpdatePolicy(p).error().code, ErrorCode::kNotFound);
}

TEST_F(ReplicationStoreTest, DuplicatePolicyNameIsConflict) {
  ReplicationStore store(*db_);
  MakePolicy("dup");
  auto again = store.CreatePolicy(PolicyRecord{.name = "dup"});
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message, "policy dup already exists");
  PolicyRecord other = MakePolicy("other");
  other.name = "dup";
  auto updated = store.UpdatePolicy(other);
  ASSERT_FALSE(updated.has_value());
  EXPECT_EQ(updated.error().code, ErrorCode::kConflict);
}

TEST_F(ReplicationStoreTest, ListPoliciesFiltersAndPages) {
  ReplicationStore store(*db_);
  for (const char* name : {"alpha", "beta", "Alphabet", "gamma_1", "gamma%2"}) MakePolicy(name);
  struct Case {
    Page page;
    std::string exact;
    std::string like;
    int64_t total;
    std::vector<std::string> names;
  };
  const Case cases[] = {
      {.page = {1, 2}, .total = 5, .names = {"gamma%2", "gamma_1"}},
      {.page = {3, 2}, .total = 5, .names = {"alpha"}},
      {.page = {1, 0}, .total = 5, .names = {"gamma%2", "gamma_1", "Alphabet", "beta", "alpha"}},
      {.page = {1, 10}, .exact = "beta", .total = 1, .names = {"beta"}},
      {.page = {1, 10}, .like = "ALPHA", .total = 2, .names = {"Alphabet", "alpha"}},
      {.page = {1, 10}, .like = "ha_", .total = 0, .names = {}},
      {.page = {1, 10}, .like = "a_", .total = 1, .names = {"gamma_1"}},
      {.page = {1, 10}, .like = "%", .total = 1, .names = {"gamma%2"}},
      {.page = {1, 10}, .exact = "alpha", .like = "bet", .total = 0, .names = {}},
  };
  for (const auto& c : cases) {
    auto got = store.ListPolicies(c.page, c.exact, c.like);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->total, c.total) << c.exact << "/" << c.like;
    std::vector<std::string> names;
    for (const auto& p : got->items) names.push_back(p.name);
    EXPECT_EQ(names, c.names) << c.exact << "/" << c.like << " page " << c.page.page;
  }
}

TEST_F(ReplicationStoreTest, EnabledPoliciesByTrigger) {
  ReplicationStore store(*db_);
  auto s1 = MakePolicy("s1", "scheduled");
  MakePolicy("s2", "scheduled", /*enabled=*/false);
  auto e1 = MakePolicy("e1", "event_based");
  MakePolicy("m1", "manual");
  auto scheduled = store.EnabledPolicies("scheduled");
  ASSERT_TRUE(scheduled.has_value());
  ASSERT_EQ(scheduled->size(), 1u);
  EXPECT_EQ((*scheduled)[0].id, s1.id);
  auto events = store.EnabledPolicies("event_based");
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].id, e1.id);
  EXPECT_TRUE(store.EnabledPolicies("nothing")->empty());
}

TEST_F(ReplicationStoreTest, ExecutionRoundTripAndCounters) {
  ReplicationStore store(*db_);
  auto p = MakePolicy("p");
  auto e = MakeExecution(p.id, "InProgress", "event_based");
  EXPECT_GT(e.id, 0);
  EXPECT_EQ(e.trigger, "event_based");
  EXPECT_FALSE(e.start_time.empty());
  EXPECT_TRUE(e.end_time.empty());
  MakeTasks(e.id, 6);

  auto tasks = store.ListTasks(e.id, Page{1, 0});
  ASSERT_TRUE(tasks.has_value());
  ASSERT_EQ(tasks->items.size(), 6u);
  const char* statuses[] = {"Pending", "InProgress", "Succeed", "Succeed", "Failed", "Stopped"};
  for (size_t i = 0; i < 6; ++i) {
    auto t = tasks->items[i];
    t.status = statuses[i];
    t.bytes = 100 * static_cast<int64_t>(i + 1);
    ASSERT_TRUE(store.UpdateTask(t).has_value());
  }

  e = **store.GetExecution(e.id);
  EXPECT_TRUE(e.planned);
  // Running: the bytes so far are its tasks' (the sum is stored when it ends).
  EXPECT_EQ(e.bytes, 2100);
  EXPECT_EQ((*store.ListExecutions(Page{1, 10}, p.id)).items[0].bytes, 2100);
  e.status = "Failed";
  e.status_text = "1 task failed";
  e.stop_requested = true;
  e.bytes = 4096;
  e.end_time = "2026-01-01T00:00:00.000Z";
  ASSERT_TRUE(store.UpdateExecution(e).has_value());
  auto got = store.GetExecution(e.id);
  ASSERT_TRUE(got.has_value() && got->has_value());
  const auto& g = **got;
  EXPECT_EQ(g.status, "Failed");
  EXPECT_EQ(g.status_text, "1 task failed");
  EXPECT_TRUE(g.planned);
  EXPECT_TRUE(g.stop_requested);
  EXPECT_EQ(g.bytes, 4096);
  EXPECT_EQ(g.end_time, "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(g.total, 6);
  EXPECT_EQ(g.in_progress, 2);
  EXPECT_EQ(g.succeed, 2);
  EXPECT_EQ(g.failed, 1);
  EXPECT_EQ(g.stopped, 1);

  auto listed = store.ListExecutions(Page{1, 10}, p.id);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].total, 6);
  EXPECT_EQ(listed->items[0].succeed, 2);

  EXPECT_FALSE(store.GetExecution(999)->has_value());
  ReplicationExecution missing{.id = 999};
  EXPECT_EQ(store.UpdateExecution(missing).error().code, ErrorCode::kNotFound);
  auto orphan = store.CreateExecution(ReplicationExecution{.policy_id = 999});
  ASSERT_FALSE(orphan.has_value());
  EXPECT_EQ(orphan.error().code, ErrorCode::kNotFound);
}

TEST_F(ReplicationStoreTest, ListExecutionsFiltersAndPages) {
  ReplicationStore store(*db_);
  auto p1 = MakePolicy("p1");
  auto p2 = MakePolicy("p2");
  std::vector<int64_t> ids;
  ids.push_back(MakeExecution(p1.id, "Succeed").id);
  ids.push_back(MakeExecution(p1.id, "Failed", "scheduled").id);
  ids.push_back(MakeExecution(p2.id, "Succeed", "event_based").id);
  ids.push_back(MakeExecution(p1.id, "InProgress").id);
  MakeTasks(ids[0], 2);
  MakeTasks(ids[3], 3);
  struct Case {
    Page page;
    int64_t policy_id;
    std::string status;
    std::string trigger;
    int64_t total;
    std::vector<int64_t> ids;
  };
  const Case cases[] = {
      {.page = {1, 10}, .total = 4, .ids = {ids[3], ids[2], ids[1], ids[0]}},
      {.page = {2, 3}, .total = 4, .ids = {ids[0]}},
      {.page = {1, 10}, .policy_id = p1.id, .total = 3, .ids = {ids[3], ids[1], ids[0]}},
      {.page = {1, 10}, .status = "Succeed", .total = 2, .ids = {ids[2], ids[0]}},
      {.page = {1, 10}, .trigger = "scheduled", .total = 1, .ids = {ids[1]}},
      {.page = {1, 10}, .policy_id = p2.id, .status = "Failed", .total = 0, .ids = {}},
  };
  for (const auto& c : cases) {
    auto got = store.ListExecutions(c.page, c.policy_id, c.status, c.trigger);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->total, c.total);
    std::vector<int64_t> got_ids;
    for (const auto& e : got->items) got_ids.push_back(e.id);
    EXPECT_EQ(got_ids, c.ids);
  }
  auto all = store.ListExecutions(Page{1, 10});
  EXPECT_EQ(all->items[0].total, 3);  // ids[3]
  EXPECT_EQ(all->items[0].in_progress, 3);
  EXPECT_EQ(all->items[3].total, 2);  // ids[0]
  EXPECT_EQ(all->items[1].total, 0);

  auto running = store.RunningExecutions();
  ASSERT_TRUE(running.has_value());
  ASSERT_EQ(running->size(), 1u);
  EXPECT_EQ((*running)[0].id, ids[3]);
  EXPECT_EQ((*running)[0].total, 3);
  EXPECT_TRUE(*store.PolicyHasRunningExecution(p1.id));
  EXPECT_FALSE(*store.PolicyHasRunningExecution(p2.id));
}

TEST_F(ReplicationStoreTest, TaskRoundTripAndListing) {
  ReplicationStore store(*db_);
  auto e = MakeExecution(MakePolicy("p").id);
  std::vector<ReplicationTask> tasks = {
      {.operation = "copy",
       .resource_type = "image",
       .src_resource = "a",
       .dst_resource = "x/a",
       .payload = R"({"repository":"a"})",
       .artifacts_total = 3},
      {.operation = "deletion", .resource_type = "artifact", .src_resource = "b"},
      {.resource_type = "image", .src_resource = "c"},
  };
  ASSERT_TRUE(store.CreateTasks(e.id, tasks, /*mark_planned=*/false).has_value());
  EXPECT_FALSE((*store.GetExecution(e.id))->planned);

  auto all = store.ListTasks(e.id, Page{1, 2});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->total, 3);
  ASSERT_EQ(all->items.size(), 2u);
  const auto& a = all->items[0];
  EXPECT_EQ(a.execution_id, e.id);
  EXPECT_EQ(a.status, "Pending");
  EXPECT_EQ(a.dst_resource, "x/a");
  EXPECT_EQ(a.payload, R"({"repository":"a"})");
  EXPECT_EQ(a.artifacts_total, 3);
  EXPECT_EQ(all->items[1].operation, "deletion");
  auto page2 = store.ListTasks(e.id, Page{2, 2});
  ASSERT_EQ(page2->items.size(), 1u);
  EXPECT_EQ(page2->items[0].src_resource, "c");
  EXPECT_EQ(page2->total, 3);

  auto images = store.ListTasks(e.id, Page{1, 10}, "", "image");
  EXPECT_EQ(images->total, 2);
  auto t = a;
  t.status = "Succeed";
  t.status_message = "done";
  t.bytes = 77;
  t.artifacts_done = 3;
  t.end_time = "2026-01-01T00:00:00.000Z";
  ASSERT_TRUE(store.UpdateTask(t).has_value());
  auto got = store.GetTask(t.id);
  ASSERT_TRUE(got.has_value() && got->has_value());
  EXPECT_EQ((*got)->status, "Succeed");
  EXPECT_EQ((*got)->status_message, "done");
  EXPECT_EQ((*got)->bytes, 77);
  EXPECT_EQ((*got)->artifacts_done, 3);
  EXPECT_EQ((*got)->end_time, "2026-01-01T00:00:00.000Z");
  EXPECT_FALSE((*got)->update_time.empty());
  auto succeeded = store.ListTasks(e.id, Page{1, 10}, "Succeed", "image");
  EXPECT_EQ(succeeded->total, 1);
  EXPECT_EQ(store.ListTasks(e.id, Page{1, 10}, "InProgress")->total, 0);

  EXPECT_FALSE(store.GetTask(999)->has_value());
  ReplicationTask missing{.id = 999};
  EXPECT_EQ(store.UpdateTask(missing).error().code, ErrorCode::kNotFound);
}

TEST_F(ReplicationStoreTest, CreateTasksIsAtomicWithPlanned) {
  ReplicationStore store(*db_);
  auto e = MakeExecution(MakePolicy("p").id);
  MakeTasks(e.id, 2, /*planned=*/false);
  EXPECT_FALSE((*store.GetExecution(e.id))->planned);
  MakeTasks(e.id, 3, /*planned=*/true);
  auto got = *store.GetExecution(e.id);
  EXPECT_TRUE(got->planned);
  EXPECT_EQ(got->total, 5);

  // Tasks for a missing execution: nothing is written.
  std::vector<ReplicationTask> tasks(2);
  auto bad = store.CreateTasks(999, tasks, true);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kNotFound);

  // A failing statement in the middle rolls back the tasks before it and the flag.
  auto e2 = MakeExecution(e.policy_id);
  ASSERT_TRUE(db_->ExecScript("CREATE TRIGGER fail_third BEFORE INSERT ON replication_tasks WHEN "
                              "NEW.src_resource = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END")
                  .has_value());
  std::vector<ReplicationTask> mixed(3);
  mixed[2].src_resource = "boom";
  EXPECT_FALSE(store.CreateTasks(e2.id, mixed, true).has_value());
  auto after = *store.GetExecution(e2.id);
  EXPECT_FALSE(after->planned);
  EXPECT_EQ(after->total, 0);
}

TEST_F(ReplicationStoreTest, ClaimTaskTakesOldestEligible) {
  ReplicationStore store(*db_);
  auto p = MakePolicy("p");
  auto done = MakeExecution(p.id, "Succeed");
  MakeTasks(done.id, 2);  // execution not running: never claimed
  auto stopping = MakeExecution(p.id);
  MakeTasks(stopping.id, 2);
  stopping.stop_requested = true;
  ASSERT_TRUE(store.UpdateExecution(stopping).has_value());
  auto e = MakeExecution(p.id);
  MakeTasks(e.id, 2);

  auto first = store.ClaimTask();
  ASSERT_TRUE(first.has_value() && first->has_value());
  EXPECT_EQ((*first)->execution_id, e.id);
  EXPECT_EQ((*first)->src_resource, "repo/0");
  EXPECT_EQ((*first)->status, "InProgress");
  EXPECT_EQ((*first)->run_count, 1);
  EXPECT_FALSE((*first)->start_time.empty());
  auto second = store.ClaimTask();
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->src_resource, "repo/1");
  EXPECT_FALSE(store.ClaimTask()->has_value());
  auto stored = *store.GetTask((*first)->id);
  EXPECT_EQ(stored->status, "InProgress");
  EXPECT_EQ(stored->run_count, 1);
}

TEST_F(ReplicationStoreTest, ClaimTaskNeverHandsOutATaskTwice) {
  ReplicationStore store(*db_);
  auto p = MakePolicy("p");
  auto e1 = MakeExecution(p.id);
  auto e2 = MakeExecution(p.id);
  MakeTasks(e1.id, 100);
  MakeTasks(e2.id, 100);

  std::mutex mu;
  std::vector<int64_t> claimed;
  std::atomic<int> errors = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      ReplicationStore s(*db_);
      for (;;) {
        auto t = s.ClaimTask();
        if (!t) {
          ++errors;
          return;
        }
        if (!*t) return;
        std::lock_guard lock(mu);
        claimed.push_back((*t)->id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(claimed.size(), 200u);
  EXPECT_EQ(std::set<int64_t>(claimed.begin(), claimed.end()).size(), 200u);
  EXPECT_EQ((*store.GetExecution(e1.id))->in_progress, 100);
  EXPECT_EQ(store.ListTasks(e2.id, Page{1, 0}, "InProgress")->total, 100);
}

TEST_F(ReplicationStoreTest, RequeueRunningTasks) {
  ReplicationStore store(*db_);
  auto p = MakePolicy("p");
  auto running = MakeExecution(p.id);
  MakeTasks(running.id, 3);
  auto a = *store.ClaimTask();
  auto b = *store.ClaimTask();
  ASSERT_TRUE(a && b);
  b->status = "Succeed";
  ASSERT_TRUE(store.UpdateTask(*b).has_value());
  // An InProgress task of a finished execution is left alone.
  auto finished = MakeExecution(p.id);
  MakeTasks(finished.id, 1);
  auto c = *store.ClaimTask();
  ASSERT_TRUE(c);
  auto c2 = *store.ClaimTask();  // the task of `finished`
  ASSERT_TRUE(c2);
  finished.status = "Failed";
  ASSERT_TRUE(store.UpdateExecution(finished).has_value());

  auto n = store.RequeueRunningTasks();
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 2);  // a and c
  EXPECT_EQ((*store.GetTask(a->id))->status, "Pending");
  EXPECT_EQ((*store.GetTask(b->id))->status, "Succeed");
  auto finished_tasks = store.ListTasks(finished.id, Page{1, 0});
  EXPECT_EQ(finished_tasks->items[0].status, "InProgress");
  auto again = *store.ClaimTask();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, a->id);
  EXPECT_EQ(again->run_count, 2);
}

TEST_F(ReplicationStoreTest, StopPendingTasks) {
  ReplicationStore store(*db_);
  auto p = MakePolicy("p");
  auto e = MakeExecution(p.id);
  auto other = MakeExecution(p.id);
  MakeTasks(e.id, 3);
  MakeTasks(other.id, 1);
  auto claimed = *store.ClaimTask();
  ASSERT_TRUE(claimed);
  auto n = store.StopPendingTasks(e.id);
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 2);
  auto got = *store.GetExecution(e.id);
  EXPECT_EQ(got->stopped, 2);
  EXPECT_EQ(got->in_progress, 1);
  auto stopped = store.ListTasks(e.id, Page{1, 0}, "Stopped");
  ASSERT_EQ(stopped->items.size(), 2u);
  EXPECT_FALSE(stopped->items[0].end_time.empty());
  EXPECT_EQ((*store.GetExecution(other.id))->in_progress, 1);
  EXPECT_EQ(*store.StopPendingTasks(e.id), 0);
}

TEST_F(ReplicationStoreTest, PruneExecutionsKeepsNewestFinished) {
  ReplicationStore store(*db_);
  auto p = MakePolicy("p");
  auto other = MakePolicy("other");
  std::vector<ReplicationExecution> execs;
  for (const char* status : {"Succeed", "InProgress", "Failed", "Stopped", "Succeed"}) {
    execs.push_back(MakeExecution(p.id, status));
    MakeTasks(execs.back().id, 2);
  }
  auto foreign = MakeExecution(other.id, "Succeed");
  MakeTasks(foreign.id, 1);
  auto first_tasks = store.ListTasks(execs[0].id, Page{1, 0});
  auto third_tasks = store.ListTasks(execs[2].id, Page{1, 0});
  ASSERT_TRUE(store.SaveUpload(first_tasks->items[0].id, "sha256:a", "s", 1).has_value());

  auto deleted = store.PruneExecutions(p.id, 2);  // keeps execs[4] and execs[3]
  ASSERT_TRUE(deleted.has_value());
  std::vector<int64_t> want = {first_tasks->items[0].id, first_tasks->items[1].id,
                               third_tasks->items[0].id, third_tasks->items[1].id};
  EXPECT_EQ(*deleted, want);
  EXPECT_FALSE(store.GetExecution(execs[0].id)->has_value());
  EXPECT_FALSE(store.GetExecution(execs[2].id)->has_value());
  EXPECT_TRUE(store.GetExecution(execs[1].id)->has_value());  // InProgress stays
  EXPECT_TRUE(store.GetExecution(execs[3].id)->has_value());
  EXPECT_TRUE(store.GetExecution(execs[4].id)->has_value());
  EXPECT_FALSE(store.GetTask(want[0])->has_value());
  EXPECT_FALSE(store.GetUpload(want[0], "sha256:a")->has_value());
  EXPECT_EQ(store.ListExecutions(Page{1, 10}, other.id)->total, 1);

  EXPECT_TRUE(store.PruneExecutions(p.id, 2)->empty());
  EXPECT_TRUE(store.PruneExecutions(p.id, -1)->empty());
  EXPECT_EQ(store.PruneExecutions(p.id, 0)->size(), 4u);
  EXPECT_EQ(store.ListExecutions(Page{1, 10}, p.id)->total, 1);  // the running one
}

TEST_F(ReplicationStoreTest, DeletePolicyCascades) {
  ReplicationStore store(*db_);
  auto p = MakePolicy("p");
  auto keep = MakePolicy("keep");
  auto e = MakeExecution(p.id, "Succeed");
  auto e_keep = MakeExecution(keep.id, "Succeed");
  MakeTasks(e.id, 2);
  MakeTasks(e_keep.id, 1);
  auto tasks = store.ListTasks(e.id, Page{1, 0});
  auto keep_tasks = store.ListTasks(e_keep.id, Page{1, 0});
  int64_t task_id = tasks->items[0].id;
  ASSERT_TRUE(store.SaveUpload(task_id, "sha256:a", "/v2/x/blobs/uploads/1", 10).has_value());
  ASSERT_TRUE(
      store.SaveUpload(keep_tasks->items[0].id, "sha256:a", "/v2/y/uploads/2", 5).has_value());

  ASSERT_TRUE(store.DeletePolicy(p.id).has_value());
  EXPECT_FALSE(store.GetExecution(e.id)->has_value());
  EXPECT_FALSE(store.GetTask(task_id)->has_value());
  EXPECT_FALSE(store.GetUpload(task_id, "sha256:a")->has_value());
  EXPECT_TRUE(store.GetExecution(e_keep.id)->has_value());
  EXPECT_TRUE(store.GetUpload(keep_tasks->items[0].id, "sha256:a")->has_value());
  auto left = db_->QueryOne("SELECT COUNT(*) FROM replication_tasks");
  EXPECT_EQ((*left)->Int(0), 1);
}

TEST_F(ReplicationStoreTest, UploadJournal) {
  ReplicationStore store(*db_);
  auto e = MakeExecution(MakePolicy("p").id);
  MakeTasks(e.id, 1);
  int64_t task = store.ListTasks(e.id, Page{1, 0})->items[0].id;

  EXPECT_FALSE(store.GetUpload(task, "sha256:a")->has_value());
  ASSERT_TRUE(store.SaveUpload(task, "sha256:a", "https://d/upload/1", 0).has_value());
  ASSERT_TRUE(store.SaveUpload(task, "sha256:b", "https://d/upload/2", 7).has_value());
  ASSERT_TRUE(
      store.SaveUpload(task, "sha256:a", "https://d/upload/1?state=x", 1 << 20).has_value());
  auto a = store.GetUpload(task, "sha256:a");
  ASSERT_TRUE(a.has_value() && a->has_value());
  EXPECT_EQ((*a)->first, "https://d/upload/1?state=x");
  EXPECT_EQ((*a)->second, 1 << 20);
  EXPECT_EQ((*store.GetUpload(task, "sha256:b"))->second, 7);
  ASSERT_TRUE(store.ClearUpload(task, "sha256:a").has_value());
  EXPECT_FALSE(store.GetUpload(task, "sha256:a")->has_value());
  EXPECT_TRUE(store.GetUpload(task, "sha256:b")->has_value());
  EXPECT_TRUE(store.ClearUpload(task, "sha256:missing").has_value());
  EXPECT_EQ(store.SaveUpload(999, "sha256:a", "s", 0).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace berth::metadata
