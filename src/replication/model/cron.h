// Harbor's 6-field cron ("Seconds Minutes Hours DayOfMonth Month DayOfWeek"), as robfig/cron
// parses it: numbers, `*`, `?` (day fields), ranges `a-b`, steps `*/n` and `a-b/n`, lists
// `a,b`, month and weekday names (JAN, MON), and the descriptors @yearly @monthly @weekly
// @daily @hourly. Times are UTC. Pure.
#pragma once

#include <bitset>
#include <chrono>
#include <string>
#include <string_view>

#include "common/error.h"

namespace berth::replication {

class CronSchedule {
 public:
  // BAD_REQUEST naming the bad field ("invalid cron \"...\": minutes: 61 out of range 0-59").
  static Result<CronSchedule> Parse(std::string_view spec);
  // The first time strictly after `after` that the schedule fires; time_point::max() when
  // it does not fire within five years ("0 0 0 30 2 *").
  std::chrono::system_clock::time_point Next(std::chrono::system_clock::time_point after) const;
  const std::string& spec() const { return spec_; }

 private:
  std::string spec_;
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;     // 1..31
  std::bitset<13> months_;   // 1..12
  std::bitset<7> weekdays_;  // 0 = Sunday
  bool days_star_ = false;   // day-of-month was * or ?
  bool weekdays_star_ = false;
};

}  // namespace berth::replication
