// The one-line progress bar of `berth replication run --wait`: pure formatting and a rate
// estimate over a sliding window. Not thread-safe; one per waiting command.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>

namespace berth::cli {

// A point-in-time view of an execution, summed over its tasks.
struct ProgressSample {
  double seconds = 0;  // since the wait began
  int64_t bytes = 0;
  int64_t artifacts_done = 0;
  int64_t artifacts_total = 0;
  int64_t tasks_total = 0;
  int64_t tasks_finished = 0;
};

// "1.5 GiB", "12.0 MiB", "512 B".
std::string HumanBytes(double bytes);
// "1:02:03" / "2:03"; "--:--" for a negative (unknown) duration.
std::string HumanDuration(double seconds);

class ProgressMeter {
 public:
  // Keeps the samples of the last `window_seconds` (at least two) for the rates.
  explicit ProgressMeter(double window_seconds = 10) : window_(window_seconds) {}

  void Add(const ProgressSample& sample);
  // Bytes per second over the window; 0 until two samples span some time.
  double Rate() const;
  // Seconds until every artifact is done, from the artifact rate over the window; -1 when
  // unknown.
  double Eta() const;
  // The bar for the latest sample, at most `width` columns wide:
  // "[#####-----]  12/30 artifacts  1.2 GiB  85.3 MiB/s  ETA 0:12".
  std::string Line(int width = 80) const;

 private:
  double window_;
  std::deque<ProgressSample> samples_;
};

}  // namespace berth::cli
