#include "replication/model/cron.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <sstream>
#include <vector>

namespace berth::replication {
namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {"sun", "mon", "tue", "wed",
                                                           "thu", "fri", "sat"};

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  const std::string_view* names = nullptr;  // names[i] stands for min + i
  size_t name_count = 0;
};

constexpr FieldSpec kSeconds{"seconds", 0, 59};
constexpr FieldSpec kMinutes{"minutes", 0, 59};
constexpr FieldSpec kHours{"hours", 0, 23};
constexpr FieldSpec kDays{"day-of-month", 1, 31};
constexpr FieldSpec kMonths{"month", 1, 12, kMonthNames.data(), kMonthNames.size()};
constexpr FieldSpec kWeekdays{"day-of-week", 0, 6, kWeekdayNames.data(), kWeekdayNames.size()};

struct ParsedField {
  std::bitset<64> bits;
  bool star = false;  // an element was `*` or `?` without a step above 1 (robfig's starBit)
};

// A number or (for month and weekday) a name; the error says why not.
Result<int> ParseValue(const FieldSpec& spec, std::string_view text) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < spec.name_count; ++i) {
    if (spec.names[i] == lower) return spec.min + static_cast<int>(i);
  }
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("\"{}\" is not a number{}", text, spec.name_count ? " or a name" : ""));
  }
  if (value < spec.min || value > spec.max) {
    return Fail(ErrorCode::kBadRequest,
                fmt::format("{} out of range {}-{}", value, spec.min, spec.max));
  }
  return value;
}

// One element of a list: `*`, `?`, `a`, `a-b`, each optionally followed by `/step`.
Status ParseElement(const FieldSpec& spec, std::string_view element, ParsedField& field) {
  std::string_view range = element;
  int step = 1;
  bool has_step = false;
  if (size_t slash = element.find('/'); slash != std::string_view::npos) {
    range = element.substr(0, slash);
    std::string_view step_text = element.substr(slash + 1);
    auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
    if (step_text.empty() || ec != std::errc() || end != step_text.data() + step_text.size() ||
        step <= 0) {
      return Fail(ErrorCode::kBadRequest,
                  fmt::format("step \"{}\" must be a positive number", step_text));
    }
    has_step = true;
  }
  int low = 0;
  int high = 0;
  if (range == "*" || range == "?") {
    low = spec.min;
    high = spec.max;
    if (step <= 1) field.star = true;
  } else {
    size_t dash = range.find('-');
    auto first = ParseValue(spec, range.substr(0, dash));
    if (!first) return Fail(first.error());
    low = high = *first;
    if (dash != std::string_view::npos) {
      auto last = ParseValue(spec, range.substr(dash + 1));
      if (!last) return Fail(last.error());
      high = *last;
      if (high < low) {
        return Fail(ErrorCode::kBadRequest,
                    fmt::format("range \"{}\" ends before it starts", range));
      }
    } else if (has_step) {
      high = spec.max;  // "a/n": from a to the end of the range
    }
  }
  for (int v = low; v <= high; v += step) field.bits.set(static_cast<size_t>(v));
  return Ok();
}

Result<ParsedField> ParseField(const FieldSpec& spec, std::string_view text) {
  ParsedField field;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string_view element =
        text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    if (element.empty()) return Fail(ErrorCode::kBadRequest, "empty list element");
    BERTH_TRY(ParseElement(spec, element, field));
    if (comma == std::string_view::npos) return field;
    start = comma + 1;
  }
}

std::string_view Descriptor(std::string_view spec) {
  if (spec == "@yearly" || spec == "@annually") return "0 0 0 1 1 *";
  if (spec == "@monthly") return "0 0 0 1 * *";
  if (spec == "@weekly") return "0 0 0 * * 0";
  if (spec == "@daily" || spec == "@midnight") return "0 0 0 * * *";
  if (spec == "@hourly") return "0 0 * * * *";
  return {};
}

template <size_t N>
std::bitset<N> Narrow(const std::bitset<64>& bits) {
  std::bitset<N> out;
  for (size_t i = 0; i < N; ++i) out[i] = bits[i];
  return out;
}

int DaysIn(int year, int month) {
  using namespace std::chrono;
  return static_cast<int>(static_cast<unsigned>(
      year_month_day_last(std::chrono::year(year) / std::chrono::month(month) / last).day()));
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view spec) {
  auto invalid = [&](std::string why) {
    return Fail(ErrorCode::kBadRequest, fmt::format("invalid cron \"{}\": {}", spec, why));
  };
  std::string_view text = spec;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (!text.empty() && text.front() == '@') {
    std::string_view expanded = Descriptor(text);
    if (expanded.empty()) {
      return invalid(
          "unknown descriptor; use @yearly, @monthly, @weekly, @daily or @hourly, or 6 fields");
    }
    text = expanded;
  }
  std::istringstream in{std::string(text)};
  std::vector<std::string> fields;
  for (std::string field; in >> field;) fields.push_back(field);
  if (fields.size() != 6) {
    return invalid(fmt::format(
        "{} fields; give 6: seconds minutes hours day-of-month month day-of-week", fields.size()));
  }
  const FieldSpec* specs[] = {&kSeconds, &kMinutes, &kHours, &kDays, &kMonths, &kWeekdays};
  ParsedField parsed[6];
  for (size_t i = 0; i < 6; ++i) {
    auto field = ParseField(*specs[i], fields[i]);
    if (!field) return invalid(fmt::format("{}: {}", specs[i]->name, field.error().message));
    parsed[i] = *field;
  }
  CronSchedule schedule;
  schedule.spec_ = std::string(spec);
  schedule.seconds_ = Narrow<60>(parsed[0].bits);
  schedule.minutes_ = Narrow<60>(parsed[1].bits);
  schedule.hours_ = Narrow<24>(parsed[2].bits);
  schedule.days_ = Narrow<32>(parsed[3].bits);
  schedule.months_ = Narrow<13>(parsed[4].bits);
  schedule.weekdays_ = Narrow<7>(parsed[5].bits);
  schedule.days_star_ = parsed[3].star;
  schedule.weekdays_star_ = parsed[5].star;
  return schedule;
}

std::chrono::system_clock::time_point CronSchedule::Next(
    std::chrono::system_clock::time_point after) const {
  using namespace std::chrono;
  const sys_seconds start = floor<seconds>(after) + seconds(1);
  const sys_days start_day = floor<days>(start);
  const year_month_day ymd{start_day};
  const hh_mm_ss hms{start - start_day};
  int y = static_cast<int>(ymd.year());
  int mo = static_cast<int>(static_cast<unsigned>(ymd.month()));
  int d = static_cast<int>(static_cast<unsigned>(ymd.day()));
  int h = static_cast<int>(hms.hours().count());
  int mi = static_cast<int>(hms.minutes().count());
  int s = static_cast<int>(hms.seconds().count());
  const int last_year = y + 5;  // as robfig: a schedule that does not fire in 5 years never does

  auto day_matches = [&] {
    unsigned weekday = std::chrono::weekday(sys_days(std::chrono::year(y) / mo / d)).c_encoding();
    bool dom = days_[static_cast<size_t>(d)];
    bool dow = weekdays_[weekday];
    if (days_star_ || weekdays_star_) return dom && dow;
    return dom || dow;
  };
  // Carries an overflow upwards after a field was advanced.
  auto normalize = [&] {
    if (s == 60) s = 0, ++mi;
    if (mi == 60) mi = 0, ++h;
    if (h == 24) h = 0, ++d;
    if (d > DaysIn(y, mo)) d = 1, ++mo;
    if (mo == 13) mo = 1, ++y;
  };
  while (y <= last_year) {
    if (!months_[static_cast<size_t>(mo)]) {
      ++mo, d = 1, h = mi = s = 0;
      normalize();
    } else if (!day_matches()) {
      ++d, h = mi = s = 0;
      normalize();
    } else if (!hours_[static_cast<size_t>(h)]) {
      ++h, mi = s = 0;
      normalize();
    } else if (!minutes_[static_cast<size_t>(mi)]) {
      ++mi, s = 0;
      normalize();
    } else if (!seconds_[static_cast<size_t>(s)]) {
      ++s;
      normalize();
    } else {
      return sys_days(std::chrono::year(y) / mo / d) + hours(h) + minutes(mi) + seconds(s);
    }
  }
  return system_clock::time_point::max();
}

}  // namespace berth::replication
