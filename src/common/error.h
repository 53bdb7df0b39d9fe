// One error model for every module and both wire APIs.
//
// An Error carries a code from the single table in error.cc, which maps it to the
// wire string (OCI distribution codes and Harbor codes) and the HTTP status. Fallible
// functions return Result<T>; nothing throws across a module boundary.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace berth {

enum class ErrorCode {
  // OCI distribution spec codes.
  kBlobUnknown,
  kBlobUploadInvalid,
  kBlobUploadUnknown,
  kDigestInvalid,
  kManifestBlobUnknown,
  kManifestInvalid,
  kManifestUnknown,
  kNameInvalid,
  kNameUnknown,
  kSizeInvalid,
  kUnauthorized,
  kDenied,
  kUnsupported,
  kTooManyRequests,
  kRangeInvalid,             // 416, chunk out of order.
  kPaginationNumberInvalid,  // 400, n out of range.
  kManifestTooLarge,         // 413.
  // Harbor API codes.
  kBadRequest,
  kNotFound,
  kConflict,
  kPrecondition,
  kForbidden,
  kMethodNotAllowed,
  kUnprocessable,
  kInternal,
  // Outbound work: a remote that is down or failing for now (5xx, connection reset,
  // timeout) — worth retrying; and work stopped on request (a replication stop).
  kUnavailable,
  kCancelled,
};

struct ErrorDescriptor {
  ErrorCode code;
  std::string_view wire;  // e.g. "BLOB_UNKNOWN"
  int http_status;
  std::string_view message;  // default human text
};

// The descriptor for `code`; every code has exactly one.
const ErrorDescriptor& Describe(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;  // what is wrong and what to do; never a secret
  std::string detail;   // optional extra for the client (JSON-safe text)

  std::string_view wire() const { return Describe(code).wire; }
  int http_status() const { return Describe(code).http_status; }
};

// Builds an Error; an empty message takes the table's default.
Error MakeError(ErrorCode code, std::string message = {}, std::string detail = {});

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

// Shorthand for `return Fail(ErrorCode::kX, "...")` in functions returning Result<T>.
inline std::unexpected<Error> Fail(ErrorCode code, std::string message = {},
                                   std::string detail = {}) {
  return std::unexpected(MakeError(code, std::move(message), std::move(detail)));
}
inline std::unexpected<Error> Fail(Error error) { return std::unexpected(std::move(error)); }

inline Status Ok() { return {}; }

}  // namespace berth

// Propagates an error from an expression returning Result<...>/Status.
#define BERTH_TRY(expr)                                       \
  do {                                                        \
    if (auto berth_try_r = (expr); !berth_try_r)              \
      return std::unexpected(std::move(berth_try_r).error()); \
  } while (0)
