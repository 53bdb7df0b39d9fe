#include "storage/blob_store.h"

#include <algorithm>

namespace berth::storage {

Status BlobReader::Skip(int64_t n) {
  char discard[16 * 1024];
  while (n > 0) {
    auto got = Read(std::span<char>(
        discard, static_cast<size_t>(std::min<int64_t>(n, static_cast<int64_t>(sizeof discard)))));
    if (!got) return Fail(got.error());
    if (*got == 0) return Fail(ErrorCode::kInternal, "storage: skipped past the bytes written");
    n -= static_cast<int64_t>(*got);
  }
  return Ok();
}

}  // namespace berth::storage
