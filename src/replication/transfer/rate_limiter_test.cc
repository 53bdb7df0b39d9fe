#include "replication/transfer/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "replication/transfer/transfer.h"

namespace berth::replication {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

TEST(RateLimiterTest, UnlimitedNeverWaits) {
  RateLimiter limiter(0);
  auto start = Clock::now();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(limiter.Acquire(100 << 20).has_value());
  EXPECT_LT(Seconds(start), 0.1);
}

TEST(RateLimiterTest, HoldsTheRateAfterTheBurst) {
  RateLimiter limiter(1 << 20);  // 1 MiB/s, burst 1 MiB
  auto start = Clock::now();
  ASSERT_TRUE(limiter.Acquire(1 << 20).has_value());  // the burst
  EXPECT_LT(Seconds(start), 0.1);
  ASSERT_TRUE(limiter.Acquire(512 << 10).has_value());
  double elapsed = Seconds(start);
  EXPECT_GT(elapsed, 0.4);
  EXPECT_LT(elapsed, 1.0);
}

TEST(RateLimiterTest, RequestsLargerThanTheBurstPass) {
  RateLimiter limiter(4 << 20);
  auto start = Clock::now();
  ASSERT_TRUE(limiter.Acquire(4 << 20).has_value());
  ASSERT_TRUE(limiter.Acquire(6 << 20).has_value());  // 1.5 s of debt
  double elapsed = Seconds(start);
  EXPECT_GT(elapsed, 1.3);
  EXPECT_LT(elapsed, 2.2);
}

TEST(RateLimiterTest, SharedBetweenThreads) {
  RateLimiter limiter(2 << 20);
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) ASSERT_TRUE(limiter.Acquire(256 << 10).has_value());
    });
  }
  for (auto& t : threads) t.join();
  // 4 MiB at 2 MiB/s with a 2 MiB burst: about one second in total, not per thread.
  double elapsed = Seconds(start);
  EXPECT_GT(elapsed, 0.8);
  EXPECT_LT(elapsed, 1.6);
}

TEST(RateLimiterTest, CancelStopsTheWait) {
  RateLimiter limiter(64 << 10);
  auto flag = std::make_shared<std::atomic<bool>>(false);
  ASSERT_TRUE(limiter.Acquire(64 << 10, flag).has_value());
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    flag->store(true);
  });
  auto start = Clock::now();
  auto waited = limiter.Acquire(10 << 20, flag);  // would take 160 s
  stopper.join();
  ASSERT_FALSE(waited.has_value());
  EXPECT_EQ(waited.error().code, ErrorCode::kCancelled);
  EXPECT_LT(Seconds(start), 0.6);
}

TEST(HostLimiterTest, BoundsStreamsPerHost) {
  HostLimiter hosts(2);
  ASSERT_TRUE(hosts.Acquire("a:1", {}).has_value());
  ASSERT_TRUE(hosts.Acquire("a:1", {}).has_value());
  ASSERT_TRUE(hosts.Acquire("b:1", {}).has_value());  // another host is not bound by a:1
  std::atomic<bool> third{false};
  std::thread waiter([&] {
    ASSERT_TRUE(hosts.Acquire("a:1", {}).has_value());
    third = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(third.load());
  hosts.Release("a:1");
  waiter.join();
  EXPECT_TRUE(third.load());
}

TEST(HostLimiterTest, CancelWhileWaiting) {
  HostLimiter hosts(1);
  ASSERT_TRUE(hosts.Acquire("a:1", {}).has_value());
  auto flag = std::make_shared<std::atomic<bool>>(false);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    flag->store(true);
  });
  auto start = Clock::now();
  auto got = hosts.Acquire("a:1", flag);
  stopper.join();
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kCancelled);
  EXPECT_LT(Seconds(start), 0.6);
}

}  // namespace
}  // namespace berth::replication
