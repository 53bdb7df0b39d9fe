#include "common/error.h"

#include <array>

namespace berth {
namespace {

constexpr std::array kErrors{
    ErrorDescriptor{ErrorCode::kBlobUnknown, "BLOB_UNKNOWN", 404, "blob unknown to registry"},
    ErrorDescriptor{ErrorCode::kBlobUploadInvalid, "BLOB_UPLOAD_INVALID", 400,
                    "blob upload invalid"},
    ErrorDescriptor{ErrorCode::kBlobUploadUnknown, "BLOB_UPLOAD_UNKNOWN", 404,
                    "blob upload unknown to registry"},
    ErrorDescriptor{ErrorCode::kDigestInvalid, "DIGEST_INVALID", 400,
                    "provided digest did not match uploaded content"},
    ErrorDescriptor{ErrorCode::kManifestBlobUnknown, "MANIFEST_BLOB_UNKNOWN", 400,
                    "manifest references a manifest or blob unknown to registry"},
    ErrorDescriptor{ErrorCode::kManifestInvalid, "MANIFEST_INVALID", 400, "manifest invalid"},
    ErrorDescriptor{ErrorCode::kManifestUnknown, "MANIFEST_UNKNOWN", 404,
                    "manifest unknown to registry"},
    ErrorDescriptor{ErrorCode::kNameInvalid, "NAME_INVALID", 400, "invalid repository name"},
    ErrorDescriptor{ErrorCode::kNameUnknown, "NAME_UNKNOWN", 404,
                    "repository name not known to registry"},
    ErrorDescriptor{ErrorCode::kSizeInvalid, "SIZE_INVALID", 400,
                    "provided length did not match content length"},
    ErrorDescriptor{ErrorCode::kUnauthorized, "UNAUTHORIZED", 401, "authentication required"},
    ErrorDescriptor{ErrorCode::kDenied, "DENIED", 403,
                    "requested access to the resource is denied"},
    ErrorDescriptor{ErrorCode::kUnsupported, "UNSUPPORTED", 405, "the operation is unsupported"},
    ErrorDescriptor{ErrorCode::kTooManyRequests, "TOOMANYREQUESTS", 429, "too many requests"},
    ErrorDescriptor{ErrorCode::kRangeInvalid, "BLOB_UPLOAD_INVALID", 416,
                    "requested range not satisfiable"},
    ErrorDescriptor{ErrorCode::kPaginationNumberInvalid, "PAGINATION_NUMBER_INVALID", 400,
                    "invalid number of results requested"},
    ErrorDescriptor{ErrorCode::kManifestTooLarge, "MANIFEST_INVALID", 413, "manifest too large"},
    ErrorDescriptor{ErrorCode::kBadRequest, "BAD_REQUEST", 400, "bad request"},
    ErrorDescriptor{ErrorCode::kNotFound, "NOT_FOUND", 404, "not found"},
    ErrorDescriptor{ErrorCode::kConflict, "CONFLICT", 409, "conflict"},
    ErrorDescriptor{ErrorCode::kPrecondition, "PRECONDITION", 412, "precondition failed"},
    ErrorDescriptor{ErrorCode::kForbidden, "FORBIDDEN", 403, "forbidden"},
    ErrorDescriptor{ErrorCode::kMethodNotAllowed, "METHOD_NOT_ALLOWED", 405, "method not allowed"},
    ErrorDescriptor{ErrorCode::kUnprocessable, "UNPROCESSABLE_ENTITY", 422, "unprocessable entity"},
    ErrorDescriptor{ErrorCode::kUnavailable, "SERVICE_UNAVAILABLE", 503,
                    "the remote is unavailable for now"},
    ErrorDescriptor{ErrorCode::kCancelled, "CANCELLED", 409, "the operation was stopped"},
    ErrorDescriptor{ErrorCode::kInternal, "INTERNAL_SERVER_ERROR", 500, "internal server error"},
};

}  // namespace

const ErrorDescriptor& Describe(ErrorCode code) {
  for (const auto& d : kErrors) {
    if (d.code == code) return d;
  }
  return kErrors.back();
}

Error MakeError(ErrorCode code, std::string message, std::string detail) {
  if (message.empty()) message = std::string(Describe(code).message);
  return Error{code, std::move(message), std::move(detail)};
}

}  // namespace berth
