// KeptEnds: one end per endpoint, kept while the endpoint's update_time stays the same.
#include "replication/transfer/kept_ends.h"

#include <gtest/gtest.h>

#include "replication/transfer/test_support.h"

namespace berth::replication {
namespace {

class KeptEndsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(stack_.ok()); }

  testing::Stack stack_;
  KeptEnds ends_;
  int made_ = 0;  // ends made by make_
  KeptEnds::Make make_ = [this]() -> Result<std::shared_ptr<RegistryEnd>> {
    ++made_;
    return std::make_shared<testing::FaultyEnd>(stack_.end());
  };
};

TEST_F(KeptEndsTest, KeepsAnEndUntilItsEndpointChangesOrIsForgotten) {
  auto first = ends_.Get(1, "t1", make_);
  ASSERT_TRUE(first);
  struct Case {
    const char* what;
    int64_t id;
    const char* update_time;
    bool same_as_first;
    int made_after;
  };
  const Case cases[] = {
      {"the same endpoint, unchanged", 1, "t1", true, 1},
      {"another endpoint", 2, "t1", false, 2},
      {"the endpoint changed", 1, "t2", false, 3},
      {"kept as changed", 1, "t2", false, 3},
  };
  for (const Case& c : cases) {
    auto end = ends_.Get(c.id, c.update_time, make_);
    ASSERT_TRUE(end) << c.what;
    EXPECT_EQ(end->get() == first->get(), c.same_as_first) << c.what;
    EXPECT_EQ(made_, c.made_after) << c.what;
  }
  ends_.Forget(2);
  ASSERT_TRUE(ends_.Get(2, "t1", make_));
  EXPECT_EQ(made_, 4) << "a forgotten endpoint is connected again";
}

TEST_F(KeptEndsTest, AFailedConnectionKeepsNothing) {
  auto failing = [&]() -> Result<std::shared_ptr<RegistryEnd>> {
    return Fail(ErrorCode::kUnavailable, "the endpoint is down");
  };
  ASSERT_TRUE(ends_.Get(1, "t1", make_));
  auto failed = ends_.Get(1, "t2", failing);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  ASSERT_TRUE(ends_.Get(1, "t1", make_));
  EXPECT_EQ(made_, 2) << "the end kept before the failed change is gone";
}

}  // namespace
}  // namespace berth::replication
