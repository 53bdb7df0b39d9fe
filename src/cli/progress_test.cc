#include "cli/progress.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(HumanBytesTest, Units) {
  struct Case {
    double bytes;
    const char* text;
  };
  const Case cases[] = {{0, "0 B"},
                        {512, "512 B"},
                        {1536, "1.5 KiB"},
                        {10 << 20, "10.0 MiB"},
                        {1.25 * (1 << 30), "1.2 GiB"}};
  for (const auto& c : cases) EXPECT_EQ(HumanBytes(c.bytes), c.text) << c.bytes;
}

TEST(HumanDurationTest, Forms) {
  EXPECT_EQ(HumanDuration(-1), "--:--");
  EXPECT_EQ(HumanDuration(0), "0:00");
  EXPECT_EQ(HumanDuration(75), "1:15");
  EXPECT_EQ(HumanDuration(3723), "1:02:03");
}

TEST(ProgressMeterTest, RateAndEtaOverTheWindow) {
  ProgressMeter meter(10);
  meter.Add({.seconds = 0, .bytes = 0, .artifacts_done = 0, .artifacts_total = 40});
  EXPECT_EQ(meter.Rate(), 0);
  EXPECT_EQ(meter.Eta(), -1);
  meter.Add({.seconds = 2, .bytes = 20 << 20, .artifacts_done = 10, .artifacts_total = 40});
  EXPECT_DOUBLE_EQ(meter.Rate(), 10 << 20);
  EXPECT_DOUBLE_EQ(meter.Eta(), 6);  // 10 artifacts in 2 s, 30 left
  // Old samples leave the window: the rate follows the recent speed.
  meter.Add({.seconds = 30, .bytes = 30 << 20, .artifacts_done = 20, .artifacts_total = 40});
  meter.Add({.seconds = 32, .bytes = 34 << 20, .artifacts_done = 30, .artifacts_total = 40});
  EXPECT_DOUBLE_EQ(meter.Rate(), 2 << 20);
  EXPECT_DOUBLE_EQ(meter.Eta(), 2);
}

TEST(ProgressMeterTest, LineShowsArtifactsBytesRateEta) {
  ProgressMeter meter;
  meter.Add({.seconds = 0, .bytes = 0, .artifacts_done = 0, .artifacts_total = 4});
  meter.Add({.seconds = 1, .bytes = 1 << 20, .artifacts_done = 2, .artifacts_total = 4});
  std::string line = meter.Line(100);
  EXPECT_EQ(line, "[###############---------------]  2/4 artifacts  1.0 MiB  1.0 MiB/s  ETA 0:01");
  EXPECT_LE(meter.Line(40).size(), 40u);
}

TEST(ProgressMeterTest, PlanningAndRepositories) {
  ProgressMeter meter;
  meter.Add({});
  EXPECT_NE(meter.Line().find("planning"), std::string::npos);
  meter.Add({.seconds = 1, .tasks_total = 3, .tasks_finished = 1});
  EXPECT_NE(meter.Line().find("1/3 repositories"), std::string::npos);
}

}  // namespace
}  // namespace berth::cli
