// Timestamps as the stores keep them: RFC 3339 UTC with milliseconds,
// "2026-11-27T10:00:00.000Z". Lexical order is chronological order.
#pragma once

#include <chrono>
#include <string>

namespace berth::metadata {

std::string FormatTimestamp(std::chrono::system_clock::time_point t);
inline std::string NowTimestamp() { return FormatTimestamp(std::chrono::system_clock::now()); }

}  // namespace berth::metadata
