// Streaming pieces of the copy engine: the hasher, the bounded pipe, the source reader
// thread, retry timing and the parallel runner.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "common/digest.h"
#include "replication/transfer/transfer_internal.h"

namespace berth::replication::internal {

bool IsCancelled(const CancelToken& cancel) {
  return cancel && cancel->load(std::memory_order_relaxed);
}

std::unexpected<Error> Cancelled() {
  return Fail(ErrorCode::kCancelled, "the replication was stopped");
}

Status SleepUnlessCancelled(std::chrono::milliseconds delay, const CancelToken& cancel) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (true) {
    if (IsCancelled(cancel)) return Cancelled();
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return Ok();
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(200)));
  }
}

std::string HumanBytes(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < (1 << 20)) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  if (bytes < (int64_t{1} << 30)) return fmt::format("{:.1f} MiB", bytes / 1048576.0);
  return fmt::format("{:.2f} GiB", bytes / 1073741824.0);
}

Hasher::Hasher() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }

Hasher::Hasher(const Hasher& other) : ctx_(EVP_MD_CTX_new()) {
  EVP_MD_CTX_copy_ex(ctx_.get(), other.ctx_.get());
}

Hasher& Hasher::operator=(const Hasher& other) {
  if (this != &other) EVP_MD_CTX_copy_ex(ctx_.get(), other.ctx_.get());
  return *this;
}

void Hasher::Update(std::span<const char> data) {
  EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
}

std::string Hasher::Finish() const {
  std::unique_ptr<EVP_MD_CTX, Free> copy(EVP_MD_CTX_new());
  EVP_MD_CTX_copy_ex(copy.get(), ctx_.get());
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(copy.get(), out, &len);
  return "sha256:" + HexEncode(std::span<const unsigned char>(out, len));
}

BytePipe::BytePipe(size_t capacity, CancelToken cancel)
    : ring_(capacity), cancel_(std::move(cancel)) {}

Status BytePipe::Write(std::span<const char> data) {
  std::unique_lock lock(mu_);
  while (!data.empty()) {
    while (size_ == ring_.size() && !aborted_ && !IsCancelled(cancel_)) {
      cv_.wait_for(lock, std::chrono::milliseconds(200));
    }
    if (aborted_) return Fail(ErrorCode::kCancelled, "the destination stopped reading");
    if (IsCancelled(cancel_)) return Cancelled();
    size_t tail = (head_ + size_) % ring_.size();
    size_t n = std::min({data.size(), ring_.size() - size_, ring_.size() - tail});
    std::memcpy(ring_.data() + tail, data.data(), n);
    size_ += n;
    data = data.subspan(n);
    cv_.notify_all();
  }
  return Ok();
}

void BytePipe::Close(Status status) {
  std::lock_guard lock(mu_);
  closed_ = true;
  close_status_ = std::move(status);
  cv_.notify_all();
}

Result<size_t> BytePipe::Read(std::span<char> buf) {
  std::unique_lock lock(mu_);
  while (size_ == 0 && !closed_ && !IsCancelled(cancel_)) {
    cv_.wait_for(lock, std::chrono::milliseconds(200));
  }
  if (size_ == 0) {
    if (closed_) {
      if (!close_status_) return Fail(close_status_.error());
      return size_t{0};
    }
    return Fail(Cancelled().error());
  }
  size_t n = std::min({buf.size(), size_, ring_.size() - head_});
  std::memcpy(buf.data(), ring_.data() + head_, n);
  head_ = (head_ + n) % ring_.size();
  size_ -= n;
  cv_.notify_all();
  return n;
}

void BytePipe::Abort() {
  std::lock_guard lock(mu_);
  aborted_ = true;
  cv_.notify_all();
}

namespace {
constexpr int64_t kPipeCapacity = 2 << 20;
constexpr int64_t kMinPipeCapacity = 16 << 10;

size_t PipeCapacity(int64_t remaining) {
  return static_cast<size_t>(std::clamp(remaining, kMinPipeCapacity, kPipeCapacity));
}
}  // namespace

SourceStream::SourceStream(RegistryEnd& source, std::string repository, std::string digest,
                           int64_t offset, int64_t remaining, const CancelToken& cancel)
    : stop_(std::make_shared<std::atomic<bool>>(false)), pipe_(PipeCapacity(remaining), cancel) {
  thread_ = std::thread([this, &source, repository = std::move(repository),
                         digest = std::move(digest), offset, cancel] {
    std::shared_ptr<const std::atomic<bool>> stop = stop_;
    // The read stops on the copy's own cancel (through the pipe) or on Abort (stop_).
    ByteSink sink = [this, cancel](std::span<const char> data) -> Status {
      if (IsCancelled(cancel)) return Cancelled();
      return pipe_.Write(data);
    };
    Status status = source.ReadBlob(repository, digest, offset, sink, stop);
    if (!status && IsCancelled(cancel)) status = Cancelled();
    pipe_.Close(std::move(status));
  });
}

SourceStream::~SourceStream() {
  stop_->store(true);
  pipe_.Abort();
  if (thread_.joinable()) thread_.join();
}

bool Retryable(const Error& error) {
  switch (error.code) {
    case ErrorCode::kUnavailable:
    case ErrorCode::kTooManyRequests:
    case ErrorCode::kDigestInvalid:
    case ErrorCode::kSizeInvalid:
    case ErrorCode::kBlobUploadUnknown:
    case ErrorCode::kBlobUploadInvalid:
    case ErrorCode::kRangeInvalid:
      return true;
    default:
      return false;
  }
}

std::chrono::milliseconds RetryDelay(const TransferOptions& options, const Error& error,
                                     int attempt) {
  constexpr std::chrono::milliseconds kMax{30000};
  if (auto after = remote::RetryAfter(error)) {
    return std::min<std::chrono::milliseconds>(*after, kMax);
  }
  double base = static_cast<double>(options.backoff.count()) * std::pow(2.0, attempt);
  thread_local std::mt19937 rng{std::random_device{}()};
  double jitter = std::uniform_real_distribution<double>(0.8, 1.2)(rng);
  auto ms = static_cast<int64_t>(std::min<double>(base * jitter, kMax.count()));
  return std::chrono::milliseconds(ms);
}

namespace {
std::mutex locations_mu;
std::map<std::string, std::string>& Locations() {
  static auto* m = new std::map<std::string, std::string>();
  return *m;
}
constexpr size_t kMaxLocations = 100000;
}  // namespace

void RememberBlob(const std::string& host, const std::string& digest,
                  const std::string& repository) {
  std::lock_guard lock(locations_mu);
  auto& m = Locations();
  if (m.size() >= kMaxLocations) m.clear();
  m[host + " " + digest] = repository;
}

std::string KnownBlobLocation(const std::string& host, const std::string& digest) {
  std::lock_guard lock(locations_mu);
  auto& m = Locations();
  auto it = m.find(host + " " + digest);
  return it == m.end() ? std::string() : it->second;
}

}  // namespace berth::replication::internal

namespace berth::replication {

Status RunParallel(int parallelism, size_t count, const CancelToken& cancel,
                   const std::function<Status(size_t)>& task) {
  std::mutex mu;
  Status first;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    while (true) {
      size_t i = next.fetch_add(1);
      if (i >= count) return;
      Status s = internal::IsCancelled(cancel) ? Status(internal::Cancelled()) : task(i);
      if (!s) {
        std::lock_guard lock(mu);
        // A stop outranks whatever failed before it.
        if (first || s.error().code == ErrorCode::kCancelled) first = s;
      }
    }
  };
  size_t threads = std::min<size_t>(count, static_cast<size_t>(std::max(1, parallelism)));
  if (threads <= 1) {
    worker();
    return first;
  }
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return first;
}

}  // namespace berth::replication
