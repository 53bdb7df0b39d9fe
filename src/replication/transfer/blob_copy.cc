// One blob from the source to the destination: HEAD, mount, then a verified stream,
// monolithic or in journaled chunks.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "replication/transfer/transfer_internal.h"

namespace berth::replication::internal {

namespace {

// A slot on the destination host for the duration of one stream.
class HostSlot {
 public:
  HostSlot(HostLimiter* hosts, std::string host) : hosts_(hosts), host_(std::move(host)) {}
  Status Acquire(const CancelToken& cancel) {
    if (!hosts_) return Ok();
    BERTH_TRY(hosts_->Acquire(host_, cancel));
    held_ = true;
    return Ok();
  }
  ~HostSlot() {
    if (held_) hosts_->Release(host_);
  }

 private:
  HostLimiter* hosts_;
  std::string host_;
  bool held_ = false;
};

// A ByteSource over a SourceStream that hashes every byte it hands out, passes them
// through the rate limiter, and checks the digest before releasing the blob's last
// bytes: a corrupt blob fails while the destination still lacks its end, so it can
// never be committed. Without a hasher (a destination that verifies what it stored,
// RegistryEnd::VerifiesBlobDigests) it only counts and limits.
class VerifyingSource {
 public:
  VerifyingSource(CopyContext& ctx, SourceStream& stream, Hasher* hasher, const std::string& digest,
                  int64_t size, int64_t offset)
      : ctx_(ctx),
        stream_(stream),
        hasher_(hasher),
        digest_(digest),
        size_(size),
        offset_(offset) {}

  // Hands out at most `limit` further bytes (one chunk).
  void SetLimit(int64_t limit) { limit_ = offset_ + limit; }
  int64_t offset() const { return offset_; }

  Result<size_t> Read(std::span<char> buf) {
    if (ctx_.cancelled()) return Fail(Cancelled().error());
    int64_t end = std::min(size_, limit_);
    if (offset_ >= end) return size_t{0};
    size_t want = static_cast<size_t>(std::min<int64_t>(buf.size(), end - offset_));
    size_t got = 0;
    // Fill the whole request so the last bytes arrive in one piece and are checked together.
    while (got < want) {
      auto n = stream_.Read(buf.subspan(got, want - got));
      if (!n) return Fail(n.error());
      if (*n == 0) {
        return Fail(ErrorCode::kSizeInvalid,
                    fmt::format("the source ended blob {} at {} of {} bytes", digest_,
                                offset_ + static_cast<int64_t>(got), size_));
      }
      got += *n;
    }
    if (hasher_) hasher_->Update(std::span<const char>(buf.data(), got));
    if (hasher_ && offset_ + static_cast<int64_t>(got) == size_) {
      std::string actual = hasher_->Finish();
      if (actual != digest_) {
        return Fail(
            ErrorCode::kDigestInvalid,
            fmt::format("the source sent bytes hashing to {} for blob {}", actual, digest_));
      }
    }
    if (ctx_.options.limiter) {
      BERTH_TRY(ctx_.options.limiter->Acquire(static_cast<int64_t>(got), ctx_.options.cancel));
    }
    offset_ += static_cast<int64_t>(got);
    ctx_.bytes += static_cast<int64_t>(got);
    if (ctx_.options.on_bytes) ctx_.options.on_bytes(static_cast<int64_t>(got));
    return got;
  }

  ByteSource AsByteSource() {
    return [this](std::span<char> buf) { return Read(buf); };
  }

 private:
  CopyContext& ctx_;
  SourceStream& stream_;
  Hasher* hasher_;
  const std::string& digest_;
  const int64_t size_;
  int64_t offset_;
  int64_t limit_ = INT64_MAX;
};

// Hashes the source's first `length` bytes of the blob (resuming a session whose prefix
// this process did not stream).
Status HashPrefix(CopyContext& ctx, const std::string& digest, int64_t length, Hasher& hasher) {
  int64_t done = 0;
  bool finished = length == 0;
  ByteSink sink = [&](std::span<const char> data) -> Status {
    size_t take = static_cast<size_t>(std::min<int64_t>(data.size(), length - done));
    hasher.Update(data.first(take));
    done += static_cast<int64_t>(take);
    if (done >= length) {
      finished = true;
      return Fail(ErrorCode::kCancelled, "prefix read");
    }
    return Ok();
  };
  if (finished) return Ok();
  auto read = ctx.src.ReadBlob(ctx.src_repo, digest, 0, sink, ctx.options.cancel);
  if (finished) return Ok();
  if (!read) return read;
  return Fail(ErrorCode::kSizeInvalid, "the source blob is shorter than the upload");
}

// State kept across the attempts of one blob: a hash checkpoint at the last chunk end.
struct ChunkCheckpoint {
  int64_t offset = -1;
  Hasher hasher;
};

Status StreamMonolithic(CopyContext& ctx, const std::string& digest, int64_t size) {
  SourceStream stream(ctx.src, ctx.src_repo, digest, 0, size, ctx.options.cancel);
  Hasher hasher;
  VerifyingSource source(ctx, stream, ctx.dst.VerifiesBlobDigests() ? nullptr : &hasher, digest,
                         size, 0);
  return ctx.dst.WriteBlob(ctx.dst_repo, digest, size, source.AsByteSource(), ctx.options.cancel);
}

Status StreamChunked(CopyContext& ctx, const std::string& digest, int64_t size,
                     ChunkCheckpoint& checkpoint) {
  UploadJournal* journal = ctx.options.journal;
  std::optional<UploadProgress> progress;
  if (journal) {
    if (auto saved = journal->Load(digest)) {
      auto resumed = ctx.dst.ResumeUpload(ctx.dst_repo, *saved);
      if (resumed) {
        progress = *resumed;
        if (progress->offset > size) progress.reset();
        if (progress) {
          ctx.Log(fmt::format("resuming blob {} at {} of {}", digest, HumanBytes(progress->offset),
                              HumanBytes(size)));
        }
      } else if (resumed.error().code != ErrorCode::kBlobUploadUnknown &&
                 resumed.error().code != ErrorCode::kBlobUploadInvalid) {
        return Fail(resumed.error());
      }
    }
  }
  if (!progress) {
    auto begun = ctx.dst.BeginUpload(ctx.dst_repo);
    if (!begun) return Fail(begun.error());
    progress = *begun;
    if (journal) journal->Save(digest, *progress);
  }
  Hasher hasher;
  const bool verify = !ctx.dst.VerifiesBlobDigests();
  if (verify && progress->offset > 0) {
    if (checkpoint.offset == progress->offset) {
      hasher = checkpoint.hasher;
    } else {
      BERTH_TRY(HashPrefix(ctx, digest, progress->offset, hasher));
    }
  }
  SourceStream stream(ctx.src, ctx.src_repo, digest, progress->offset, size - progress->offset,
                      ctx.options.cancel);
  VerifyingSource source(ctx, stream, verify ? &hasher : nullptr, digest, size, progress->offset);
  ByteSource bytes = source.AsByteSource();
  while (progress->offset < size) {
    if (ctx.cancelled()) return Cancelled();
    int64_t length = std::min(ctx.options.chunk_size, size - progress->offset);
    source.SetLimit(length);
    ctx.Log(fmt::format("copying the blob chunk {}-{}/{} of {}", progress->offset,
                        progress->offset + length - 1, size, digest));
    auto next = ctx.dst.AppendUpload(ctx.dst_repo, *progress, length, bytes, ctx.options.cancel);
    if (!next) {
      if (next.error().code == ErrorCode::kDigestInvalid && journal) journal->Clear(digest);
      return Fail(next.error());
    }
    if (next->offset != progress->offset + length || source.offset() != next->offset) {
      return Fail(ErrorCode::kRangeInvalid,
                  fmt::format("the destination holds {} bytes of blob {} after a chunk ending "
                              "at {}",
                              next->offset, digest, progress->offset + length));
    }
    progress = *next;
    checkpoint.offset = progress->offset;
    if (verify) checkpoint.hasher = hasher;
    if (journal) journal->Save(digest, *progress);
  }
  auto committed = ctx.dst.CommitUpload(ctx.dst_repo, *progress, digest);
  if (!committed) {
    if (committed.error().code == ErrorCode::kDigestInvalid && journal) journal->Clear(digest);
    return committed;
  }
  if (journal) journal->Clear(digest);
  return Ok();
}

Status CopyBlobOnce(CopyContext& ctx, const std::string& digest, int64_t& size,
                    ChunkCheckpoint& checkpoint) {
  auto present = ctx.dst.BlobSize(ctx.dst_repo, digest);
  if (!present) return Fail(present.error());
  if (present->has_value()) {
    ctx.Log(fmt::format("the blob {} already exists on the destination, skip", digest));
    if (ctx.options.journal) ctx.options.journal->Clear(digest);
    return Ok();
  }
  std::string from = KnownBlobLocation(ctx.dst.HostKey(), digest);
  if (from.empty() && ctx.src.HostKey() == ctx.dst.HostKey()) from = ctx.src_repo;
  if (from == ctx.dst_repo) from.clear();
  auto mounted = ctx.dst.MountBlob(ctx.dst_repo, digest, from);
  if (!mounted && mounted.error().code != ErrorCode::kUnsupported) return Fail(mounted.error());
  if (mounted && *mounted) {
    ctx.Log(fmt::format("the blob {} mounted from {}", digest,
                        from.empty() ? std::string("another repository") : from));
    if (ctx.options.journal) ctx.options.journal->Clear(digest);
    return Ok();
  }
  if (size <= 0) {
    auto src_size = ctx.src.BlobSize(ctx.src_repo, digest);
    if (!src_size) return Fail(src_size.error());
    if (!src_size->has_value()) {
      return Fail(ErrorCode::kBlobUnknown, "the source lacks blob " + digest);
    }
    size = **src_size;
  }
  HostSlot slot(ctx.options.hosts, ctx.dst.HostKey());
  BERTH_TRY(slot.Acquire(ctx.options.cancel));
  bool chunked = size > ctx.options.chunk_size && ctx.options.chunk_size > 0 &&
                 (ctx.options.copy_by_chunk || ctx.dst.ChunkedByDefault());
  ctx.Log(fmt::format("copying the blob {} ({}){}", digest, HumanBytes(size),
                      chunked ? " in chunks" : ""));
  if (chunked) {
    auto st = StreamChunked(ctx, digest, size, checkpoint);
    if (st || st.error().code != ErrorCode::kUnsupported) return st;
    ctx.Log("the destination has no chunked uploads; sending the blob in one request");
  }
  return StreamMonolithic(ctx, digest, size);
}

}  // namespace

Status CopyBlob(CopyContext& ctx, const std::string& digest, int64_t size) {
  // A blob shared by several artifacts of this copy goes once; the others wait for it.
  std::promise<Status> promise;
  std::shared_future<Status> pending;
  {
    std::lock_guard lock(ctx.blobs_mu);
    auto it = ctx.blobs.find(digest);
    if (it != ctx.blobs.end()) {
      pending = it->second;
    } else {
      ctx.blobs[digest] = promise.get_future().share();
    }
  }
  if (pending.valid()) {
    while (pending.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready) {
      if (ctx.cancelled()) return Cancelled();
    }
    Status other = pending.get();
    if (other) return other;
    // The other copy failed; try once more on this thread.
  }
  ChunkCheckpoint checkpoint;
  // Like WithRetries, except that an attempt which moved a chunked upload forward does
  // not count: `retries` bounds the failures in a row without progress.
  Status result;
  for (int attempt = 0;; ++attempt) {
    if (ctx.cancelled()) {
      result = Cancelled();
      break;
    }
    int64_t before = checkpoint.offset;
    result = CopyBlobOnce(ctx, digest, size, checkpoint);
    if (result) break;
    if (result.error().code == ErrorCode::kCancelled || ctx.cancelled()) {
      result = Cancelled();
      break;
    }
    if (checkpoint.offset > before) attempt = 0;
    if (!Retryable(result.error())) break;
    if (attempt >= ctx.options.retries) {
      ctx.Log(fmt::format("copying the blob {} failed {} times in a row; giving up", digest,
                          attempt + 1));
      break;
    }
    auto delay = RetryDelay(ctx.options, result.error(), attempt);
    ctx.Log(fmt::format("copying the blob {} failed: {}; will retry {} ms later", digest,
                        result.error().message, delay.count()));
    if (auto slept = SleepUnlessCancelled(delay, ctx.options.cancel); !slept) {
      result = slept;
      break;
    }
  }
  if (result) RememberBlob(ctx.dst.HostKey(), digest, ctx.dst_repo);
  if (!pending.valid()) promise.set_value(result);
  return result;
}

}  // namespace berth::replication::internal
