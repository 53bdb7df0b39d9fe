// BlobFlight: one upstream download of a blob into the local store, which every client
// asking for the same digest meanwhile reads while it is written (N clients, one GET).
//
// Phases: kStarting (asking the upstream for the size) → kRunning (bytes arriving; new
// readers may join) → kFinishing (committing and linking; no new readers) → kDone
// (result set). A flight that fails before kRunning goes straight to kDone.
//
// A large download (kWindowMin bytes or more) goes to the store a whole aligned piece at
// a time (FlightWriter), so that it reaches the disk with O_DIRECT instead of filling
// fresh page-cache pages, and the flight keeps its last pieces in memory (the window)
// for followers; at most kWindowFlights flights hold a window at once (memory stays
// bounded), the others write through the page cache. A piece joins the window when it
// is handed to the disk, so clients are sent it while it is written. The downloader
// does not push a piece out of the window while a follower is still reading it: it
// waits for that follower up to kFollowerWait, once per follower; one slower still (a
// slow client), like one behind the window, reads what it misses from the store.
//
// FollowSource serves a client from a flight: it lends the server the bytes in the
// window while they are there, else reads those already written from the store and,
// when it has caught up, waits (never blocking an io thread) until the flight wakes it
// with the next piece, or polls while the flight has no window. The last bytes are held
// back until the whole blob has matched its digest, so a client never receives a
// complete wrong blob: if the flight fails, the client gets an error instead and the
// server closes the connection.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "http/message.h"
#include "storage/blob_store.h"

namespace berth::proxy {

// A written piece of a download, kept in memory for followers.
struct FlightChunk {
  int64_t offset = 0;  // in the blob
  size_t size = 0;
  storage::WriteBuffer data;  // FlightWriter::kChunk bytes
};

class BlobFlight {
 public:
  enum class Phase { kStarting, kRunning, kFinishing, kDone };

  Phase phase() const;
  int64_t size() const;

  // Adds a repository to link the blob to once it is stored. False when too late (the
  // flight is finishing or done): wait for it, then look in the store.
  bool AddRepository(const std::string& repository);
  bool HasRepository(const std::string& repository) const;
  // Blocks while the flight is starting. A reader of the bytes from the first one while it
  // runs; nullptr when it is no longer running (wait for it, then look in the store).
  Result<std::unique_ptr<storage::BlobReader>> Follow();
  // Blocks until the flight is done; its result.
  Status Wait();

  // Whether all bytes have arrived and matched the digest: 0 not yet, 1 yes, -1 no.
  int verdict() const { return verdict_.load(std::memory_order_acquire); }

  // ---- the downloader's side
  // The size is known and bytes will go to `writer` (which the downloader keeps using).
  void Run(int64_t size, const storage::BlobWriter* writer);
  // Every byte arrived and matched the digest (or not). Readers may still join until
  // Finish; their OpenWritten fails once the writer has committed.
  void Verdict(bool verified);
  // No more readers (call before Cancel, which ends OpenWritten; a commit may come
  // first: readers then find OpenWritten failing and wait); returns the repositories
  // to link.
  std::set<std::string> Finish();
  void Done(Status result);
  bool done() const { return done_.load(std::memory_order_acquire); }

  // ---- the window
  static constexpr size_t kWindowChunks = 2;
  // Whether the download keeps a window: its followers then poll at the shortest wait,
  // so that they stay inside it.
  bool windowed() const { return windowed_.load(std::memory_order_relaxed); }
  void SetWindowed() { windowed_.store(true, std::memory_order_relaxed); }
  static constexpr std::chrono::milliseconds kFollowerWait{100};
  // The downloader's newest piece, whose bytes before it are all in the store; the
  // flight keeps the last kWindowChunks. Blocks (see above) while a follower that has
  // not been waited for before is still reading the piece that leaves the window.
  void Publish(std::shared_ptr<const FlightChunk> chunk);
  // A follower's place in the blob, which the downloader waits for.
  struct Follower {
    std::atomic<int64_t> sent{0};  // bytes the follower has taken
    bool waited_out = false;       // GUARDED_BY(mu_): was too slow once; not waited for
    std::function<void()> wake;    // GUARDED_BY(mu_): see OnProgress
  };
  std::shared_ptr<Follower> Join();
  void Leave(const std::shared_ptr<Follower>& follower);
  // The follower has taken the bytes up to `sent`.
  void Advance(Follower& follower, int64_t sent);

  // ---- waking followers
  // Moves whenever a follower may find something new: a piece, the verdict, the end.
  uint64_t progress() const;
  // Calls `wake` once, on the publishing thread, when progress moves past `seen` (at
  // once if it has); replaces the follower's earlier `wake` if that has not been called.
  void OnProgress(Follower& follower, uint64_t seen, std::function<void()> wake);
  // Where a follower finds byte `offset`: in a kept piece (`chunk`), in the store
  // (`from_store`: the window has moved past it, or there is none), or not yet anywhere
  // (neither: wait). The store may hold bytes before the window does; a follower waits
  // for the window then, which is faster than reading back what went to the device.
  struct Place {
    std::shared_ptr<const FlightChunk> chunk;
    bool from_store = false;
  };
  Place Find(int64_t offset) const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Phase phase_ = Phase::kStarting;
  int64_t size_ = -1;
  const storage::BlobWriter* writer_ = nullptr;
  std::set<std::string> repositories_;
  Status result_;
  std::atomic<bool> done_{false};
  std::atomic<int> verdict_{0};
  std::atomic<bool> windowed_{false};
  std::deque<std::shared_ptr<const FlightChunk>> window_;  // GUARDED_BY(mu_)
  std::vector<std::shared_ptr<Follower>> followers_;       // GUARDED_BY(mu_)
  std::condition_variable advanced_;                       // a follower moved or left
  std::atomic<bool> publisher_waits_{false};
  uint64_t progress_ = 0;  // GUARDED_BY(mu_)

  // Moves progress on and calls the followers' wakes; call without mu_ held.
  void Progress();
};

// The downloader's writer: the sink for the upstream's bytes. For a download that holds
// a window it gathers the bytes into aligned kChunk pieces, writes each whole to the
// store and publishes it to the flight; otherwise it writes straight through and tells
// the store that the bytes will be read back (BlobWriter::ExpectReaders).
class FlightWriter {
 public:
  static constexpr int64_t kWindowMin = 64 << 20;
  static constexpr size_t kChunk = 4 << 20;
  static constexpr int kWindowFlights = 2;

  // Call before the first byte, from the downloading thread; `size` is the blob's.
  FlightWriter(BlobFlight& flight, storage::BlobWriter& writer, int64_t size);
  ~FlightWriter();
  FlightWriter(const FlightWriter&) = delete;
  FlightWriter& operator=(const FlightWriter&) = delete;

  bool windowed() const { return helper_ != nullptr; }
  // Takes the next bytes of the blob. A whole piece is written on the writer's helper
  // thread (hashing, then the device) while the caller gathers the next one.
  Status Write(std::span<const char> data);
  // Writes and publishes the bytes gathered so far and waits until every piece is in
  // the store (at the end of the blob).
  Status Flush();
  // Forgets the bytes gathered and not yet written, once the piece in flight is stored
  // or failed (a failed attempt: the next one resumes from the store's size).
  void Drop();

 private:
  Status Next();
  // Hands the gathered piece to the helper thread, after the one before is stored.
  Status StartWrite();
  Status WaitWrite();

  BlobFlight& flight_;
  storage::BlobWriter& writer_;
  std::shared_ptr<FlightChunk> current_;
  std::vector<std::shared_ptr<FlightChunk>> pool_;  // reused once nobody holds them
  std::future<Status> in_flight_;
  std::unique_ptr<boost::asio::thread_pool> helper_;  // one thread; set when windowed
};

// An http::BodySource of `size` bytes read from a running flight.
std::unique_ptr<http::BodySource> MakeFollowSource(std::shared_ptr<BlobFlight> flight,
                                                   std::unique_ptr<storage::BlobReader> reader,
                                                   int64_t size);

}  // namespace berth::proxy
