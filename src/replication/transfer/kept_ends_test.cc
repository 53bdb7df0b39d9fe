// KeptEnds: one end per endpoint, kept while the endpoint's update_time stays the same.
#include "replication/transfer/kept_ends.h"

#include <gtest/gtest.h>

#include "replication/transfer/test_support.h"

namespace berth::replication {
namespace {

TEST(KeptEndsTest, KeepsAnEndUntilItsEndpointChangesOrIsForgotten) {
  testing::Stack stack;
  ASSERT_TRUE(stack.ok());
  KeptEnds ends;
  int made = 0;
  auto make = [&]() -> Result<std::shared_ptr<RegistryEnd>> {
    ++made;
    return std::make_shared<testing::FaultyEnd>(stack.end());
  };
  auto first = ends.Get(1, "t1", make);
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
    auto end = ends.Get(c.id, c.update_time, make);
    ASSERT_TRUE(end) << c.what;
    EXPECT_EQ(end->get() == first->get(), c.same_as_first) << c.what;
    EXPECT_EQ(made, c.made_after) << c.what;
  }
  ends.Forget(2);
  ASSERT_TRUE(ends.Get(2, "t1", make));
  EXPECT_EQ(made, 4) << "a forgotten endpoint is connected again";
}

TEST(KeptEndsTest, AFailedConnectionKeepsNothing) {
  testing::Stack stack;
  ASSERT_TRUE(stack.ok());
  KeptEnds ends;
  int made = 0;
  auto make = [&]() -> Result<std::shared_ptr<RegistryEnd>> {
    ++made;
    return std::make_shared<testing::FaultyEnd>(stack.end());
  };
  auto failing = [&]() -> Result<std::shared_ptr<RegistryEnd>> {
    return Fail(ErrorCode::kUnavailable, "the endpoint is down");
  };
  ASSERT_TRUE(ends.Get(1, "t1", make));
  auto failed = ends.Get(1, "t2", failing);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  ASSERT_TRUE(ends.Get(1, "t1", make));
  EXPECT_EQ(made, 2) << "the end kept before the failed change is gone";
}

}  // namespace
}  // namespace berth::replication
