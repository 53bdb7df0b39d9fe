// Internals of the copy engine shared by transfer.cc, manifest_copy.cc and blob_copy.cc.
#pragma once

#include <openssl/evp.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "replication/transfer/transfer.h"

namespace berth::replication::internal {

bool IsCancelled(const CancelToken& cancel);
std::unexpected<Error> Cancelled();
// Sleeps `delay`, waking at least every 200 ms to look at `cancel`.
Status SleepUnlessCancelled(std::chrono::milliseconds delay, const CancelToken& cancel);
// "12.0 MiB".
std::string HumanBytes(int64_t bytes);

// Incremental SHA-256 whose state can be copied (a checkpoint at a chunk boundary).
class Hasher {
 public:
  Hasher();
  Hasher(const Hasher& other);
  Hasher& operator=(const Hasher& other);
  void Update(std::span<const char> data);
  std::string Finish() const;  // "sha256:<hex>"; does not reset

 private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

// A bounded byte ring between one producer (a ReadBlob sink) and one consumer (a
// ByteSource). Never holds more than `capacity` bytes.
class BytePipe {
 public:
  BytePipe(size_t capacity, CancelToken cancel);
  // Producer: blocks while full. Fails when the consumer aborted or on cancel.
  Status Write(std::span<const char> data);
  // Producer: no more bytes; `status` is what the consumer sees after the last byte.
  void Close(Status status);
  // Consumer: blocks while empty; 0 after a successful Close.
  Result<size_t> Read(std::span<char> buf);
  // Consumer: gives up; the producer's next Write fails.
  void Abort();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<char> ring_;
  size_t head_ = 0;
  size_t size_ = 0;
  bool closed_ = false;
  bool aborted_ = false;
  Status close_status_;
  CancelToken cancel_;
};

// A blob read from the source on its own thread into a BytePipe.
class SourceStream {
 public:
  // `remaining` (the bytes still to read) sizes the pipe: at most 2 MiB, less for small
  // blobs, so many small copies in parallel stay cheap.
  SourceStream(RegistryEnd& source, std::string repository, std::string digest, int64_t offset,
               int64_t remaining, const CancelToken& cancel);
  ~SourceStream();  // aborts the read and joins the thread
  Result<size_t> Read(std::span<char> buf) { return pipe_.Read(buf); }

 private:
  std::shared_ptr<std::atomic<bool>> stop_;
  BytePipe pipe_;
  std::thread thread_;
};

// The state of one CopyRepository or DeleteArtifacts call.
struct CopyContext {
  RegistryEnd& src;
  RegistryEnd& dst;
  std::string src_repo;
  std::string dst_repo;
  const TransferOptions& options;
  std::atomic<int64_t> bytes{0};

  // Blobs being copied by some thread of this copy (so a shared layer goes once).
  std::mutex blobs_mu;
  std::map<std::string, std::shared_future<Status>> blobs;

  void Log(std::string_view line) const {
    if (options.log) options.log(line);
  }
  bool cancelled() const { return IsCancelled(options.cancel); }
};

// True for errors worth another attempt.
bool Retryable(const Error& error);
// The delay before attempt `attempt` + 1 (Retry-After when the error carries one).
std::chrono::milliseconds RetryDelay(const TransferOptions& options, const Error& error,
                                     int attempt);

// Runs `f` until it succeeds, fails for good, or the retries are spent; logs each retry.
template <typename F>
auto WithRetries(const CopyContext& ctx, std::string_view what, F&& f) -> decltype(f()) {
  for (int attempt = 0;; ++attempt) {
    if (ctx.cancelled()) return Cancelled();
    auto r = f();
    if (r) return r;
    if (r.error().code == ErrorCode::kCancelled || ctx.cancelled()) return Cancelled();
    if (!Retryable(r.error()) || attempt >= ctx.options.retries) return r;
    auto delay = RetryDelay(ctx.options, r.error(), attempt);
    ctx.Log(std::string(what) + " failed: " + r.error().message + "; will retry " +
            std::to_string(delay.count()) + " ms later");
    if (auto slept = SleepUnlessCancelled(delay, ctx.options.cancel); !slept) {
      return Fail(slept.error());
    }
  }
}

// Copies one blob of `size` bytes (HEAD, mount, stream) with retries.
Status CopyBlob(CopyContext& ctx, const std::string& digest, int64_t size);

// Where a destination already holds a blob (host key + digest → repository), so later
// copies to other repositories of that host can mount it. Bounded, process-wide.
void RememberBlob(const std::string& host, const std::string& digest,
                  const std::string& repository);
std::string KnownBlobLocation(const std::string& host, const std::string& digest);

}  // namespace berth::replication::internal
