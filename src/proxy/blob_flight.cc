#include "proxy/blob_flight.h"

#include <algorithm>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <thread>

namespace berth::proxy {

BlobFlight::Phase BlobFlight::phase() const {
  std::lock_guard lock(mu_);
  return phase_;
}

int64_t BlobFlight::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

bool BlobFlight::AddRepository(const std::string& repository) {
  std::lock_guard lock(mu_);
  if (phase_ == Phase::kFinishing || phase_ == Phase::kDone) return false;
  repositories_.insert(repository);
  return true;
}

bool BlobFlight::HasRepository(const std::string& repository) const {
  std::lock_guard lock(mu_);
  return repositories_.contains(repository);
}

Result<std::unique_ptr<storage::BlobReader>> BlobFlight::Follow() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return phase_ != Phase::kStarting; });
  if (phase_ != Phase::kRunning) return std::unique_ptr<storage::BlobReader>();
  auto reader = writer_->OpenWritten(size_);
  // Committed meanwhile: the caller waits for the flight and reads the store.
  if (!reader && reader.error().code == ErrorCode::kBlobUploadUnknown) {
    return std::unique_ptr<storage::BlobReader>();
  }
  return reader;
}

Status BlobFlight::Wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return phase_ == Phase::kDone; });
  return result_;
}

void BlobFlight::Run(int64_t size, const storage::BlobWriter* writer) {
  {
    std::lock_guard lock(mu_);
    size_ = size;
    writer_ = writer;
    phase_ = Phase::kRunning;
  }
  cv_.notify_all();
}

std::set<std::string> BlobFlight::Finish() {
  std::lock_guard lock(mu_);
  phase_ = Phase::kFinishing;
  writer_ = nullptr;
  return repositories_;
}

void BlobFlight::Done(Status result) {
  if (verdict() == 0) Verdict(false);
  {
    std::lock_guard lock(mu_);
    result_ = std::move(result);
    phase_ = Phase::kDone;
    writer_ = nullptr;
  }
  done_.store(true, std::memory_order_release);
  cv_.notify_all();
}

namespace {

class FollowSource final : public http::BodySource {
 public:
  FollowSource(std::shared_ptr<BlobFlight> flight, std::unique_ptr<storage::BlobReader> reader,
               int64_t size)
      : flight_(std::move(flight)), reader_(std::move(reader)), size_(size) {}

  // Blocking variant (not used by the server): polls until bytes arrive.
  Result<size_t> Read(std::span<char> buf) override {
    auto wait = kFirstWait;
    for (;;) {
      const bool ended = flight_->done();
      auto n = Step(buf, ended);
      if (n && *n > 0 && sent_ >= size_) {
        while (flight_->verdict() == 0) std::this_thread::sleep_for(kFirstWait);
        return Judged(*n);
      }
      if (!n || *n > 0 || sent_ >= size_) return n;
      std::this_thread::sleep_for(wait);
      wait = std::min(wait * 2, kLongestWait);
    }
  }

  http::Task<Result<size_t>> ReadAsync(std::span<char> buf) override {
    auto wait = kFirstWait;
    for (;;) {
      const bool ended = flight_->done();
      Result<size_t> n = Step(buf, ended);
      const bool last = n && *n > 0 && sent_ >= size_;
      if (!last && (!n || *n > 0 || sent_ >= size_)) co_return n;
      // Caught up with the writer, or holding the last bytes until the digest is judged.
      if (!last || flight_->verdict() != 0) {
        if (last) co_return Judged(*n);
      }
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
      if (last) {
        while (flight_->verdict() == 0) {
          timer.expires_after(kFirstWait);
          boost::system::error_code ec;
          co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        }
        co_return Judged(*n);
      }
      timer.expires_after(wait);
      boost::system::error_code ec;
      co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      wait = std::min(wait * 2, kLongestWait);
    }
  }

 private:
  static constexpr std::chrono::milliseconds kFirstWait{1};
  static constexpr std::chrono::milliseconds kLongestWait{16};

  // One read. `ended` is whether the flight had ended before the read, so that reading
  // nothing then means nothing more will come.
  Result<size_t> Step(std::span<char> buf, bool ended) {
    if (sent_ >= size_) return 0;
    auto n = reader_->Read(buf);
    if (!n) return n;
    if (*n > 0) {
      sent_ += static_cast<int64_t>(*n);
      return n;
    }
    if (!ended) return 0;
    Status result = flight_->Wait();
    if (!result) return Fail(result.error());
    return Fail(ErrorCode::kInternal, "the downloaded blob is shorter than the upstream announced");
  }

  // The last `n` bytes, once the flight has judged the blob.
  Result<size_t> Judged(size_t n) {
    if (flight_->verdict() > 0) return n;
    Status result = flight_->Wait();
    if (!result) return Fail(result.error());
    return Fail(ErrorCode::kDigestInvalid, "the downloaded blob does not match its digest");
  }

  std::shared_ptr<BlobFlight> flight_;
  std::unique_ptr<storage::BlobReader> reader_;
  const int64_t size_;
  int64_t sent_ = 0;
};

}  // namespace

std::unique_ptr<http::BodySource> MakeFollowSource(std::shared_ptr<BlobFlight> flight,
                                                   std::unique_ptr<storage::BlobReader> reader,
                                                   int64_t size) {
  return std::make_unique<FollowSource>(std::move(flight), std::move(reader), size);
}

}  // namespace berth::proxy
