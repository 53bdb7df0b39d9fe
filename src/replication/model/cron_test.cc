#include "replication/model/cron.h"

#include <gtest/gtest.h>

#include <ctime>

namespace berth::replication {
namespace {

using std::chrono::system_clock;

// "YYYY-MM-DD HH:MM:SS" (UTC) <-> time_point.
system_clock::time_point At(const std::string& text) {
  std::tm tm{};
  EXPECT_NE(strptime(text.c_str(), "%Y-%m-%d %H:%M:%S", &tm), nullptr) << text;
  return system_clock::from_time_t(timegm(&tm));
}

std::string Format(system_clock::time_point t) {
  if (t == system_clock::time_point::max()) return "never";
  std::time_t seconds = system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S", &tm);
  return out;
}

std::string NextAfter(const std::string& spec, const std::string& after) {
  auto schedule = CronSchedule::Parse(spec);
  EXPECT_TRUE(schedule) << spec << ": " << schedule.error().message;
  if (!schedule) return "";
  return Format(schedule->Next(At(after)));
}

TEST(CronSchedule, Next) {
  struct Case {
    std::string spec;
    std::string after;
    std::string want;
  } cases[] = {
      {"0 0 * * * *", "2024-05-06 10:15:30", "2024-05-06 11:00:00"},
      {"0 0 * * * *", "2024-05-06 11:00:00", "2024-05-06 12:00:00"},
      {"0 0 * * * *", "2024-12-31 23:30:00", "2025-01-01 00:00:00"},
      {"0 */5 * * * *", "2024-05-06 10:15:30", "2024-05-06 10:20:00"},
      {"0 */5 * * * *", "2024-05-06 10:59:59", "2024-05-06 11:00:00"},
      {"0 0 0 1 1 *", "2024-05-06 10:15:30", "2025-01-01 00:00:00"},
      {"0 0 0 1 1 *", "2024-12-31 23:59:59", "2025-01-01 00:00:00"},
      // 2024-05-06 is a Monday.
      {"0 30 9 * * MON-FRI", "2024-05-06 08:00:00", "2024-05-06 09:30:00"},
      {"0 30 9 * * MON-FRI", "2024-05-06 09:30:00", "2024-05-07 09:30:00"},
      {"0 30 9 * * MON-FRI", "2024-05-10 10:00:00", "2024-05-13 09:30:00"},
      {"0 30 9 * * mon-fri", "2024-05-11 10:00:00", "2024-05-13 09:30:00"},
      // Feb 29 only in leap years.
      {"0 0 0 29 2 *", "2024-03-01 00:00:00", "2028-02-29 00:00:00"},
      {"0 0 0 29 2 *", "2024-02-28 12:00:00", "2024-02-29 00:00:00"},
      {"0 0 12 * * *", "2024-02-28 13:00:00", "2024-02-29 12:00:00"},
      {"0 0 12 * * *", "2023-02-28 13:00:00", "2023-03-01 12:00:00"},
      {"0 0 0 31 * *", "2024-04-01 00:00:00", "2024-05-31 00:00:00"},
      {"0 0 0 30 2 *", "2024-01-01 00:00:00", "never"},
      // Day-of-month and day-of-week both restricted: either matches (robfig).
      {"0 0 0 13 * FRI", "2024-09-01 00:00:00", "2024-09-06 00:00:00"},
      {"0 0 0 13 * FRI", "2024-09-10 00:00:00", "2024-09-13 00:00:00"},
      {"0 0 0 13 * 5", "2024-09-12 00:00:00", "2024-09-13 00:00:00"},
      // One of them `*` or `?`: both must match.
      {"0 0 0 * * SUN", "2024-05-06 00:00:00", "2024-05-12 00:00:00"},
      {"0 0 0 ? * SUN", "2024-05-06 00:00:00", "2024-05-12 00:00:00"},
      {"0 0 0 1 * ?", "2024-05-06 00:00:00", "2024-06-01 00:00:00"},
      // Lists, ranges with steps, names.
      {"0 15,45 8-10/2 * * *", "2024-05-06 08:20:00", "2024-05-06 08:45:00"},
      {"0 15,45 8-10/2 * * *", "2024-05-06 08:50:00", "2024-05-06 10:15:00"},
      {"0 0 0 1 JAN,jul *", "2024-02-01 00:00:00", "2024-07-01 00:00:00"},
      {"0 10/20 * * * *", "2024-05-06 08:31:00", "2024-05-06 08:50:00"},
      {"30 0 0 * * *", "2024-05-06 00:00:10", "2024-05-06 00:00:30"},
      // Descriptors.
      {"@hourly", "2024-05-06 10:15:30", "2024-05-06 11:00:00"},
      {"@daily", "2024-05-06 10:15:30", "2024-05-07 00:00:00"},
      {"@weekly", "2024-05-06 10:15:30", "2024-05-12 00:00:00"},
      {"@monthly", "2024-05-06 10:15:30", "2024-06-01 00:00:00"},
      {"@yearly", "2024-05-06 10:15:30", "2025-01-01 00:00:00"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(NextAfter(c.spec, c.after), c.want) << c.spec << " after " << c.after;
  }
}

TEST(CronSchedule, NextIsStrictlyAfterSubSecondTimes) {
  auto schedule = CronSchedule::Parse("0 0 * * * *");
  ASSERT_TRUE(schedule);
  auto at = At("2024-05-06 11:00:00") + std::chrono::milliseconds(500);
  EXPECT_EQ(Format(schedule->Next(at)), "2024-05-06 12:00:00");
  EXPECT_EQ(Format(schedule->Next(At("2024-05-06 11:00:00") - std::chrono::milliseconds(1))),
            "2024-05-06 11:00:00");
  EXPECT_EQ(schedule->spec(), "0 0 * * * *");
}

TEST(CronSchedule, InvalidSpecsNameTheField) {
  struct Case {
    std::string spec;
    std::string message_part;
  } cases[] = {
      {"0 61 * * * *", "invalid cron \"0 61 * * * *\": minutes: 61 out of range 0-59"},
      {"60 0 * * * *", "seconds: 60 out of range 0-59"},
      {"0 0 24 * * *", "hours: 24 out of range 0-23"},
      {"0 0 0 0 * *", "day-of-month: 0 out of range 1-31"},
      {"0 0 0 32 * *", "day-of-month: 32 out of range 1-31"},
      {"0 0 0 * 13 *", "month: 13 out of range 1-12"},
      {"0 0 0 * * 7", "day-of-week: 7 out of range 0-6"},
      {"0 0 0 * FOO *", "month: \"FOO\" is not a number or a name"},
      {"0 x * * * *", "minutes: \"x\" is not a number"},
      {"0 */0 * * * *", "minutes: step \"0\" must be a positive number"},
      {"0 5/ * * * *", "minutes: step \"\" must be a positive number"},
      {"0 30-10 * * * *", "minutes: range \"30-10\" ends before it starts"},
      {"0 1,,2 * * * *", "minutes: empty list element"},
      {"0 0 * * *", "5 fields; give 6"},
      {"0 0 0 * * * *", "7 fields; give 6"},
      {"", "0 fields"},
      {"@every 5m", "unknown descriptor"},
      {"0 -1 * * * *", "minutes: \"\" is not a number"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.spec);
    auto schedule = CronSchedule::Parse(c.spec);
    ASSERT_FALSE(schedule);
    EXPECT_EQ(schedule.error().code, ErrorCode::kBadRequest);
    EXPECT_NE(schedule.error().message.find(c.message_part), std::string::npos)
        << schedule.error().message;
  }
}

}  // namespace
}  // namespace berth::replication
