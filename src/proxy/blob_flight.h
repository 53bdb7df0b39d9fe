// BlobFlight: one upstream download of a blob into the local store, which every client
// asking for the same digest meanwhile reads while it is written (N clients, one GET).
//
// Phases: kStarting (asking the upstream for the size) → kRunning (bytes arriving; new
// readers may join) → kFinishing (committing and linking; no new readers) → kDone
// (result set). A flight that fails before kRunning goes straight to kDone.
//
// FollowSource serves a client from a flight: it reads the bytes already written and,
// when it has caught up, waits on a timer (never blocking an io thread) until more
// arrive or the flight ends. The last bytes are held back until the whole blob has
// matched its digest, so a client never receives a complete wrong blob: if the flight
// fails, the client gets an error instead and the server closes the connection.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/error.h"
#include "http/message.h"
#include "storage/blob_store.h"

namespace berth::proxy {

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
  void Verdict(bool verified) { verdict_.store(verified ? 1 : -1, std::memory_order_release); }
  // No more readers (call before Cancel, which ends OpenWritten; a commit may come
  // first: readers then find OpenWritten failing and wait); returns the repositories
  // to link.
  std::set<std::string> Finish();
  void Done(Status result);
  bool done() const { return done_.load(std::memory_order_acquire); }

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
};

// An http::BodySource of `size` bytes read from a running flight.
std::unique_ptr<http::BodySource> MakeFollowSource(std::shared_ptr<BlobFlight> flight,
                                                   std::unique_ptr<storage::BlobReader> reader,
                                                   int64_t size);

}  // namespace berth::proxy
