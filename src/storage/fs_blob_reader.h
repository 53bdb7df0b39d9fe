// Readers of the filesystem store's files (internal to storage/).
#pragma once

#include <memory>

#include "storage/blob_store.h"
#include "storage/fs_io.h"

namespace berth::storage {

// A reader of a complete blob file, open as `fd` and `size` bytes long, from `offset`.
// A large blob that is not in the page cache (right after an upload, whose large appends
// bypass it) is read with O_DIRECT (set on `fd`) on a helper thread ahead of the caller:
// on virtual machines filling fresh page-cache pages is several times slower than the
// device. Otherwise the file is read through the page cache (and offered for sendfile).
Result<std::unique_ptr<BlobReader>> NewBlobReader(UniqueFd fd, int64_t offset, int64_t size);

// A reader that follows an upload's data file while it grows (BlobWriter::OpenWritten):
// reading at the end of what has been written so far returns 0 instead of failing.
std::unique_ptr<BlobReader> NewFollowingReader(UniqueFd fd, int64_t size);

}  // namespace berth::storage
