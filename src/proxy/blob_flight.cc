#include "proxy/blob_flight.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>
#include <utility>

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

void BlobFlight::Verdict(bool verified) {
  verdict_.store(verified ? 1 : -1, std::memory_order_release);
  Progress();
}

uint64_t BlobFlight::progress() const {
  std::lock_guard lock(mu_);
  return progress_;
}

void BlobFlight::OnProgress(Follower& follower, uint64_t seen, std::function<void()> wake) {
  {
    std::lock_guard lock(mu_);
    if (progress_ == seen) {
      follower.wake = std::move(wake);
      return;
    }
  }
  wake();
}

void BlobFlight::Progress() {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mu_);
    ++progress_;
    for (const auto& follower : followers_) {
      if (follower->wake) wakes.push_back(std::exchange(follower->wake, nullptr));
    }
  }
  for (auto& wake : wakes) wake();
}

void BlobFlight::Done(Status result) {
  if (verdict() == 0) Verdict(false);
  {
    std::lock_guard lock(mu_);
    result_ = std::move(result);
    phase_ = Phase::kDone;
    writer_ = nullptr;
    window_.clear();  // followers read the rest from the store
  }
  done_.store(true, std::memory_order_release);
  cv_.notify_all();
  Progress();
}

void BlobFlight::Publish(std::shared_ptr<const FlightChunk> chunk) {
  std::unique_lock lock(mu_);
  if (phase_ == Phase::kDone) return;
  // A retry after a failed write publishes its range again: the old pieces are stale.
  while (!window_.empty() && window_.back()->offset >= chunk->offset) window_.pop_back();
  if (window_.size() >= kWindowChunks) {
    const FlightChunk& leaving = *window_.front();
    const int64_t end = leaving.offset + static_cast<int64_t>(leaving.size);
    // Followers behind the window read the store and are not waited for.
    auto reading = [&](const std::shared_ptr<Follower>& f) {
      const int64_t sent = f->sent.load();
      return !f->waited_out && sent >= leaving.offset && sent < end;
    };
    auto none_reading = [&] { return std::ranges::none_of(followers_, reading); };
    if (!none_reading()) {
      publisher_waits_.store(true);
      if (!advanced_.wait_for(lock, kFollowerWait, none_reading)) {
        for (const auto& f : followers_) {
          if (reading(f)) f->waited_out = true;
        }
      }
      publisher_waits_.store(false);
    }
  }
  window_.push_back(std::move(chunk));
  while (window_.size() > kWindowChunks) window_.pop_front();
  lock.unlock();
  Progress();
}

std::shared_ptr<BlobFlight::Follower> BlobFlight::Join() {
  auto follower = std::make_shared<Follower>();
  std::lock_guard lock(mu_);
  followers_.push_back(follower);
  return follower;
}

void BlobFlight::Leave(const std::shared_ptr<Follower>& follower) {
  {
    std::lock_guard lock(mu_);
    std::erase(followers_, follower);
  }
  advanced_.notify_all();
}

void BlobFlight::Advance(Follower& follower, int64_t sent) {
  follower.sent.store(sent);
  // Both seq_cst: either the publisher sees the new place when it checks, or this sees
  // it waiting; the lock orders the notification after its wait began.
  if (publisher_waits_.load()) {
    std::lock_guard lock(mu_);
    advanced_.notify_all();
  }
}

BlobFlight::Place BlobFlight::Find(int64_t offset) const {
  std::lock_guard lock(mu_);
  if (!windowed() || phase_ == Phase::kDone) return {.from_store = true};
  if (window_.empty()) return {};
  if (offset < window_.front()->offset) return {.from_store = true};
  for (const auto& chunk : window_) {
    if (offset >= chunk->offset && offset < chunk->offset + static_cast<int64_t>(chunk->size)) {
      return {.chunk = chunk};
    }
  }
  return {};
}

namespace {

// Flights holding a window now (at most FlightWriter::kWindowFlights).
std::atomic<int> windowed_flights{0};

}  // namespace

FlightWriter::FlightWriter(BlobFlight& flight, storage::BlobWriter& writer, int64_t size)
    : flight_(flight), writer_(writer) {
  if (size >= kWindowMin) {
    if (windowed_flights.fetch_add(1) < kWindowFlights) {
      helper_ = std::make_unique<boost::asio::thread_pool>(1);
      flight_.SetWindowed();
      writer_.DeferSync();
    } else {
      windowed_flights.fetch_sub(1);
    }
  }
  if (!windowed()) writer_.ExpectReaders();
}

FlightWriter::~FlightWriter() {
  if (!windowed()) return;
  (void)WaitWrite();
  helper_->join();
  windowed_flights.fetch_sub(1);
}

Status FlightWriter::Write(std::span<const char> data) {
  if (!windowed()) return writer_.Write(data);
  while (!data.empty()) {
    if (!current_) BERTH_TRY(Next());
    const size_t n = std::min(data.size(), kChunk - current_->size);
    std::memcpy(current_->data.get() + current_->size, data.data(), n);
    current_->size += n;
    data = data.subspan(n);
    if (current_->size == kChunk) BERTH_TRY(StartWrite());
  }
  return Ok();
}

Status FlightWriter::StartWrite() {
  BERTH_TRY(WaitWrite());
  if (!current_ || current_->size == 0) return Ok();
  current_->offset = writer_.size();
  std::shared_ptr<FlightChunk> chunk = std::move(current_);
  std::packaged_task<Status()> task([this, chunk]() -> Status {
    return writer_.Write(std::span<const char>(chunk->data.get(), chunk->size));
  });
  in_flight_ = task.get_future();
  boost::asio::post(*helper_, std::move(task));
  // Followers may send the piece while it is written (every piece before it is stored);
  // the device works while Publish waits for a slow one.
  flight_.Publish(std::move(chunk));
  return Ok();
}

Status FlightWriter::WaitWrite() {
  if (!in_flight_.valid()) return Ok();
  return in_flight_.get();
}

Status FlightWriter::Flush() {
  if (!windowed()) return Ok();
  BERTH_TRY(StartWrite());
  return WaitWrite();
}

void FlightWriter::Drop() {
  (void)WaitWrite();
  if (current_) current_->size = 0;
}

Status FlightWriter::Next() {
  // A piece is free again once neither the window nor a follower holds it. Only the
  // window hands out new references, so a count of one stays one.
  for (auto& chunk : pool_) {
    if (chunk.use_count() == 1) {
      // use_count reads relaxed: order the reuse after the last holder's reads.
      std::atomic_thread_fence(std::memory_order_acquire);
      chunk->size = 0;
      current_ = chunk;
      return Ok();
    }
  }
  auto chunk = std::make_shared<FlightChunk>();
  chunk->data = storage::NewWriteBuffer(kChunk);
  if (!chunk->data) return Fail(ErrorCode::kInternal, "out of memory for a download buffer");
  // The window's two (the newer one being written), the one filling, and one that left
  // the window while a follower still sends from it: more are rare and not kept.
  if (pool_.size() < BlobFlight::kWindowChunks + 2) pool_.push_back(chunk);
  current_ = std::move(chunk);
  return Ok();
}

namespace {

class FollowSource final : public http::BodySource {
 public:
  using Bytes = std::span<const char>;

  FollowSource(std::shared_ptr<BlobFlight> flight, std::unique_ptr<storage::BlobReader> reader,
               int64_t size)
      : flight_(std::move(flight)),
        place_(flight_->Join()),
        reader_(std::move(reader)),
        size_(size) {}
  ~FollowSource() override { flight_->Leave(place_); }

  // The server takes the bytes lent; Read copies them (tests).
  Result<size_t> Read(std::span<char> buf) override {
    auto bytes = Lend(buf.size());
    if (!bytes) return Fail(bytes.error());
    std::memcpy(buf.data(), bytes->data(), bytes->size());
    return bytes->size();
  }

  bool Lendable() const override { return true; }

  // Blocking variant (not used by the server): polls until bytes arrive.
  Result<Bytes> Lend(size_t max) override {
    auto wait = kFirstWait;
    for (;;) {
      Try next = Next(max);
      if (!next.wait) return std::move(next.bytes);
      std::this_thread::sleep_for(held_ ? kFirstWait : wait);
      wait = NextWait(wait);
    }
  }

  http::Task<Result<Bytes>> LendAsync(size_t max) override {
    auto wait = kFirstWait;
    for (;;) {
      const uint64_t seen = flight_->progress();
      Try next = Next(max);
      if (!next.wait) co_return std::move(next.bytes);
      // A windowed flight wakes its followers for each piece, and every flight for its
      // verdict; other downloads write through the store, which wakes nobody: poll,
      // backing off.
      co_await WaitForProgress(seen, flight_->windowed() || held_ ? kLongestWait : wait);
      wait = NextWait(wait);
    }
  }

 private:
  static constexpr std::chrono::milliseconds kFirstWait{1};
  static constexpr std::chrono::milliseconds kLongestWait{16};
  // For the bytes read back from the store (the window's are lent as they are).
  static constexpr size_t kStoreBuffer = 1 << 20;

  std::chrono::milliseconds NextWait(std::chrono::milliseconds wait) const {
    return flight_->windowed() ? kFirstWait : std::min(wait * 2, kLongestWait);
  }

  // Waits, without blocking the io thread, until the flight's progress moves past `seen`
  // or `longest` has passed. The wake is posted to this connection's io_context, whose
  // one thread runs this coroutine: it cancels the wait once the wait has begun.
  http::Task<void> WaitForProgress(uint64_t seen, std::chrono::milliseconds longest) {
    auto executor = co_await boost::asio::this_coro::executor;
    auto timer = std::make_shared<boost::asio::steady_timer>(executor);
    timer->expires_after(longest);
    flight_->OnProgress(*place_, seen, [executor, timer] {
      boost::asio::post(executor, [timer] { timer->cancel(); });
    });
    boost::system::error_code ec;
    co_await timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }

  // What a try gave: the bytes to hand out (none at the end), or `wait` and try again.
  struct Try {
    Result<Bytes> bytes = Bytes();
    bool wait = false;
  };

  // The next bytes to hand out. The last ones are held back (held_) until the flight
  // has judged the blob.
  Try Next(size_t max) {
    if (!held_) {
      Result<Bytes> bytes = Step(max, flight_->done());
      if (!bytes) return {.bytes = std::move(bytes)};
      if (bytes->empty()) return {.wait = sent_ < size_};  // on its way, or the end
      if (sent_ < size_) return {.bytes = *bytes};
      held_ = *bytes;
    }
    if (flight_->verdict() == 0) return {.wait = true};
    const Bytes last = *held_;
    held_.reset();
    return {.bytes = Judged(last)};
  }

  // One try: up to `max` next bytes, valid until the next call; none when they have not
  // arrived yet (or at the end). `ended` is whether the flight had ended before the try,
  // so that finding nothing then means nothing more will come.
  Result<Bytes> Step(size_t max, bool ended) {
    lent_.reset();
    if (sent_ >= size_) return Bytes();
    max = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(max), size_ - sent_));
    BlobFlight::Place place = flight_->Find(sent_);
    if (place.chunk) {
      lent_ = std::move(place.chunk);  // keeps the piece from being reused meanwhile
      const size_t from = static_cast<size_t>(sent_ - lent_->offset);
      const size_t n = std::min(max, lent_->size - from);
      sent_ += static_cast<int64_t>(n);
      unread_ += static_cast<int64_t>(n);
      flight_->Advance(*place_, sent_);
      return Bytes(lent_->data.get() + from, n);
    }
    if (!place.from_store) return Bytes();  // the next piece is on its way
    if (unread_ > 0) {
      BERTH_TRY(reader_->Skip(unread_));  // written already: they came from the window
      unread_ = 0;
    }
    if (!store_buffer_) store_buffer_ = std::make_unique<char[]>(kStoreBuffer);
    auto n = reader_->Read(std::span<char>(store_buffer_.get(), std::min(max, kStoreBuffer)));
    if (!n) return Fail(n.error());
    if (*n > 0) {
      sent_ += static_cast<int64_t>(*n);
      flight_->Advance(*place_, sent_);
      return Bytes(store_buffer_.get(), *n);
    }
    if (!ended) return Bytes();
    Status result = flight_->Wait();
    if (!result) return Fail(result.error());
    return Fail(ErrorCode::kInternal, "the downloaded blob is shorter than the upstream announced");
  }

  // The last bytes, once the flight has judged the blob.
  Result<Bytes> Judged(Bytes bytes) {
    if (flight_->verdict() > 0) return bytes;
    Status result = flight_->Wait();
    if (!result) return Fail(result.error());
    return Fail(ErrorCode::kDigestInvalid, "the downloaded blob does not match its digest");
  }

  std::shared_ptr<BlobFlight> flight_;
  std::shared_ptr<BlobFlight::Follower> place_;
  std::unique_ptr<storage::BlobReader> reader_;
  const int64_t size_;
  int64_t sent_ = 0;
  int64_t unread_ = 0;  // bytes sent from the window that the store reader has not passed
  std::shared_ptr<const FlightChunk> lent_;  // the piece the last bytes lent are in
  std::unique_ptr<char[]> store_buffer_;
  std::optional<Bytes> held_;  // the blob's last bytes, until its verdict
};

}  // namespace

std::unique_ptr<http::BodySource> MakeFollowSource(std::shared_ptr<BlobFlight> flight,
                                                   std::unique_ptr<storage::BlobReader> reader,
                                                   int64_t size) {
  return std::make_unique<FollowSource>(std::move(flight), std::move(reader), size);
}

}  // namespace berth::proxy
