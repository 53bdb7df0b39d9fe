// BlobStore: content-addressed blob storage, shared by every repository. It knows
// digests and bytes, nothing about repositories, manifests or access (those live in
// metadata/ and content/). Implementations: FsBlobStore (fs_blob_store.h); an S3
// backend can follow behind the same interface. All run blob_store_conformance.h.
//
// Thread safety: every method may be called concurrently from many threads. A
// BlobWriter or BlobReader is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/digest.h"
#include "common/error.h"
#include "http/message.h"

namespace berth::storage {

struct BlobInfo {
  int64_t size = 0;
};

// A buffer for BlobWriter::Write aligned so that a writer may pass it to the device
// directly (FsBlobWriter does for appends of at least 1 MiB at aligned offsets). Callers
// moving large blobs should fill one whole buffer before each Write.
constexpr size_t kWriteBufferAlign = 4096;
struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};
using WriteBuffer = std::unique_ptr<char[], FreeDeleter>;
// `size` is rounded up to the alignment; nullptr when out of memory.
inline WriteBuffer NewWriteBuffer(size_t size) {
  size = (size + kWriteBufferAlign - 1) / kWriteBufferAlign * kWriteBufferAlign;
  return WriteBuffer(static_cast<char*>(std::aligned_alloc(kWriteBufferAlign, size)));
}

// Sequential reader over one blob. Also an http::BodySource so a handler can stream it.
class BlobReader : public http::BodySource {
 public:
  // Bytes left from the current position to the end.
  virtual int64_t remaining() const = 0;
  // Moves the position `n` bytes on, past bytes the caller has from elsewhere; they must
  // be readable now (a reader following a writer: written already). The default reads
  // them and throws them away.
  virtual Status Skip(int64_t n);
};

// One upload session: bytes are appended to a temporary object while SHA-256 is
// computed, then Commit publishes them at their content address in one atomic step.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  virtual const std::string& id() const = 0;
  // Bytes written so far.
  virtual int64_t size() const = 0;
  // Appends. On error the session keeps the bytes written before the call.
  virtual Status Write(std::span<const char> data) = 0;
  // "sha256:<hex>" of the bytes written so far.
  virtual std::string digest() const = 0;
  // Verifies that the content hashes to `expected` (DIGEST_INVALID otherwise, and the
  // session stays as it was), makes it durable (fsync), and renames it into place. After
  // success the session no longer exists. Committing a digest that already exists is a
  // success and discards the temporary copy.
  virtual Status Commit(const Digest& expected) = 0;
  // Deletes the temporary data. The writer must not be used afterwards.
  virtual Status Cancel() = 0;

  // A reader of this session's bytes while they are being written, for a caller that
  // knows the final size `size` (a download whose length was announced). Its Read
  // returns the bytes written past its position, and 0 when it has caught up with the
  // writer — before `size` bytes that means "not yet", not the end. It stays readable
  // after Commit or Cancel. May be called from another thread, concurrently with Write;
  // BLOB_UPLOAD_UNKNOWN once the session is committed or cancelled.
  virtual Result<std::unique_ptr<BlobReader>> OpenWritten(int64_t size) const = 0;
  // Says that the bytes will be read back while being written (OpenWritten), so they
  // should stay in memory caches rather than go straight to the device. Call before the
  // first Write, from the writing thread.
  virtual void ExpectReaders() {}
  // Says that nobody waits for Commit while the bytes arrive (they are served from
  // elsewhere meanwhile), so the writer should not make them durable behind the writes:
  // on a shared device those flushes slow the writes down, and Commit flushes once.
  // Call before the first Write, from the writing thread.
  virtual void DeferSync() {}
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // BLOB_UNKNOWN when absent.
  virtual Result<BlobInfo> Stat(const Digest& digest) = 0;
  // A reader positioned at `offset` (0 <= offset <= size). BLOB_UNKNOWN when absent.
  virtual Result<std::unique_ptr<BlobReader>> Open(const Digest& digest, int64_t offset = 0) = 0;
  // Reads a whole blob of at most `max_size` bytes (manifests). BLOB_UNKNOWN when absent,
  // SIZE_INVALID when larger.
  virtual Result<std::string> ReadAll(const Digest& digest, int64_t max_size) = 0;
  // Stores `bytes` under `digest` atomically (DIGEST_INVALID when they do not match).
  virtual Status Put(const Digest& digest, std::string_view bytes) = 0;
  // Removes the blob; BLOB_UNKNOWN when absent.
  virtual Status Delete(const Digest& digest) = 0;

  // Starts a new upload session with a fresh random id.
  virtual Result<std::unique_ptr<BlobWriter>> CreateUpload() = 0;
  // Reopens a session by id, e.g. after a restart (the hash is recomputed from the
  // bytes already stored). BLOB_UPLOAD_UNKNOWN when there is no such session.
  virtual Result<std::unique_ptr<BlobWriter>> ResumeUpload(std::string_view id) = 0;
  // Deletes sessions untouched for longer than `age`; returns how many.
  virtual Result<int> PurgeUploads(std::chrono::seconds age) = 0;
};

}  // namespace berth::storage
