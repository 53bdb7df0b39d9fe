#include "cli/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace berth::cli {

std::string HumanBytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  if (unit == 0) return fmt::format("{:.0f} B", bytes);
  return fmt::format("{:.1f} {}", bytes, kUnits[unit]);
}

std::string HumanDuration(double seconds) {
  if (seconds < 0 || !std::isfinite(seconds)) return "--:--";
  auto total = static_cast<int64_t>(std::llround(seconds));
  int64_t h = total / 3600, m = (total / 60) % 60, s = total % 60;
  if (h > 0) return fmt::format("{}:{:02}:{:02}", h, m, s);
  return fmt::format("{}:{:02}", m, s);
}

void ProgressMeter::Add(const ProgressSample& sample) {
  samples_.push_back(sample);
  while (samples_.size() > 2 && samples_.front().seconds < samples_.back().seconds - window_) {
    samples_.pop_front();
  }
}

double ProgressMeter::Rate() const {
  if (samples_.size() < 2) return 0;
  double dt = samples_.back().seconds - samples_.front().seconds;
  if (dt <= 0) return 0;
  return std::max<double>(0, samples_.back().bytes - samples_.front().bytes) / dt;
}

double ProgressMeter::Eta() const {
  if (samples_.size() < 2) return -1;
  const auto& last = samples_.back();
  int64_t left = last.artifacts_total - last.artifacts_done;
  if (left <= 0) return last.artifacts_total > 0 ? 0 : -1;
  double dt = last.seconds - samples_.front().seconds;
  double done = static_cast<double>(last.artifacts_done - samples_.front().artifacts_done);
  if (dt <= 0 || done <= 0) {
    // No artifact finished in the window: fall back to the average since the start.
    if (last.artifacts_done <= 0 || last.seconds <= 0) return -1;
    return last.seconds * static_cast<double>(left) / static_cast<double>(last.artifacts_done);
  }
  return dt * static_cast<double>(left) / done;
}

std::string ProgressMeter::Line(int width) const {
  ProgressSample last = samples_.empty() ? ProgressSample{} : samples_.back();
  std::string tail;
  if (last.artifacts_total > 0) {
    tail = fmt::format("  {}/{} artifacts", last.artifacts_done, last.artifacts_total);
  } else if (last.tasks_total > 0) {
    tail = fmt::format("  {}/{} repositories", last.tasks_finished, last.tasks_total);
  } else {
    tail = "  planning";
  }
  tail += fmt::format("  {}  {}/s  ETA {}", HumanBytes(static_cast<double>(last.bytes)),
                      HumanBytes(Rate()), HumanDuration(Eta()));
  double fraction = 0;
  if (last.artifacts_total > 0) {
    fraction = static_cast<double>(last.artifacts_done) / static_cast<double>(last.artifacts_total);
  } else if (last.tasks_total > 0) {
    fraction = static_cast<double>(last.tasks_finished) / static_cast<double>(last.tasks_total);
  }
  fraction = std::clamp(fraction, 0.0, 1.0);
  int bar = std::clamp(width - static_cast<int>(tail.size()) - 2, 0, 30);
  if (bar < 5) return tail.substr(2, static_cast<size_t>(std::max(0, width)));
  int filled = static_cast<int>(std::floor(fraction * bar));
  return "[" + std::string(filled, '#') + std::string(bar - filled, '-') + "]" + tail;
}

}  // namespace berth::cli
