// BlobFlight's window and FlightWriter against a real FsBlobStore: a follower gets every
// byte, whether it keeps up with the download or joins late, and a failed attempt that
// drops its gathered bytes resumes where the store stands.
#include "proxy/blob_flight.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "common/digest.h"
#include "storage/fs_blob_store.h"

namespace berth::proxy {
namespace {

namespace fs = std::filesystem;

constexpr size_t kPiece = 512 * 1024;  // what the upstream client hands over at a time

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = static_cast<char>(x);
  }
  return s;
}

class BlobFlightTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "berth-flight-XXXXXX").string();
    dir_ = ::mkdtemp(tmpl.data());
    store_ = std::make_unique<storage::FsBlobStore>(dir_);
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Reads a follower to its end with the blocking Read (it polls until bytes arrive).
  static std::string ReadAll(http::BodySource& source, size_t size) {
    std::string got;
    std::string buf(1 << 20, '\0');
    while (got.size() < size) {
      auto n = source.Read(buf);
      if (!n) {
        ADD_FAILURE() << n.error().message;
        break;
      }
      if (*n == 0) break;
      got.append(buf.data(), *n);
    }
    return got;
  }

  // Writes `content[from..]` through `out` in upstream-sized pieces.
  static Status Feed(FlightWriter& out, const std::string& content, size_t from) {
    for (size_t at = from; at < content.size(); at += kPiece) {
      BERTH_TRY(out.Write(std::string_view(content).substr(at, kPiece)));
    }
    return out.Flush();
  }

  // Ends a download that stored `content` the way ProxyCache::Download does.
  static void Finish(BlobFlight& flight, storage::BlobWriter& w, const std::string& content) {
    flight.Verdict(w.digest() == Sha256Digest(content));
    ASSERT_TRUE(w.Commit(*Digest::Parse(Sha256Digest(content))));
    (void)flight.Finish();
    flight.Done(Ok());
  }

  // A download of `size` bytes, started the way ProxyCache::Download starts one.
  struct Download {
    std::shared_ptr<BlobFlight> flight = std::make_shared<BlobFlight>();
    std::unique_ptr<storage::BlobWriter> w;
    std::unique_ptr<FlightWriter> out;  // refers to *flight and *w
  };
  Download Start(int64_t size) {
    Download d;
    auto w = store_->CreateUpload();
    EXPECT_TRUE(w);
    d.w = std::move(*w);
    d.out = std::make_unique<FlightWriter>(*d.flight, *d.w, size);
    d.flight->Run(size, d.w.get());
    return d;
  }

  // A client following a flight on its own thread, from the flight's first byte.
  class Follower {
   public:
    Follower(std::shared_ptr<BlobFlight> flight, size_t size) {
      auto reader = flight->Follow();
      if (!reader || !*reader) {
        ADD_FAILURE() << "no reader for a running flight";
        return;
      }
      source_ = MakeFollowSource(flight, std::move(*reader), static_cast<int64_t>(size));
      thread_ = std::thread([this, size] { got_ = ReadAll(*source_, size); });
    }
    ~Follower() { Join(); }
    const std::string& Join() {
      if (thread_.joinable()) thread_.join();
      return got_;
    }

   private:
    std::unique_ptr<http::BodySource> source_;
    std::string got_;
    std::thread thread_;
  };

  fs::path dir_;
  std::unique_ptr<storage::FsBlobStore> store_;
};

TEST_F(BlobFlightTest, AFollowerGetsEveryByteOfAWindowedDownload) {
  const std::string content = Pattern(FlightWriter::kWindowMin + 3 * kPiece + 12345);
  Download d = Start(static_cast<int64_t>(content.size()));
  ASSERT_TRUE(d.out->windowed());
  EXPECT_TRUE(d.flight->windowed());
  Follower follower(d.flight, content.size());
  Status fed = Feed(*d.out, content, 0);
  EXPECT_TRUE(fed) << fed.error().message;
  Finish(*d.flight, *d.w, content);
  const std::string& got = follower.Join();
  EXPECT_EQ(got.size(), content.size());
  EXPECT_TRUE(got == content);
  auto stored =
      store_->ReadAll(*Digest::Parse(Sha256Digest(content)), static_cast<int64_t>(content.size()));
  ASSERT_TRUE(stored);
  EXPECT_TRUE(*stored == content);
}

TEST_F(BlobFlightTest, ALateFollowerReadsTheStoreThenTheWindow) {
  const std::string content = Pattern(FlightWriter::kWindowMin + 5 * FlightWriter::kChunk);
  Download d = Start(static_cast<int64_t>(content.size()));
  // Half the blob is stored and the window has moved far past its start.
  const size_t half = content.size() / 2;
  for (size_t at = 0; at < half; at += kPiece) {
    ASSERT_TRUE(d.out->Write(std::string_view(content).substr(at, kPiece)));
  }
  Follower follower(d.flight, content.size());
  EXPECT_TRUE(Feed(*d.out, content, half));
  Finish(*d.flight, *d.w, content);
  const std::string& got = follower.Join();
  EXPECT_EQ(got.size(), content.size());
  EXPECT_TRUE(got == content);
}

TEST_F(BlobFlightTest, ADroppedAttemptResumesFromWhatTheStoreHolds) {
  const std::string content = Pattern(FlightWriter::kWindowMin + FlightWriter::kChunk / 2);
  Download d = Start(static_cast<int64_t>(content.size()));
  // The first attempt breaks off inside the third piece.
  const size_t broken = 2 * FlightWriter::kChunk + 3 * kPiece;
  for (size_t at = 0; at < broken; at += kPiece) {
    ASSERT_TRUE(d.out->Write(std::string_view(content).substr(at, kPiece)));
  }
  d.out->Drop();
  EXPECT_EQ(d.w->size(), static_cast<int64_t>(2 * FlightWriter::kChunk));
  ASSERT_TRUE(Feed(*d.out, content, static_cast<size_t>(d.w->size())));
  EXPECT_EQ(d.w->digest(), Sha256Digest(content));
  Finish(*d.flight, *d.w, content);
}

TEST_F(BlobFlightTest, FlightsBeyondTheWindowLimitAndSmallBlobsWriteThrough) {
  const int64_t big = FlightWriter::kWindowMin;
  std::vector<std::shared_ptr<BlobFlight>> flights;
  std::vector<std::unique_ptr<storage::BlobWriter>> writers;
  std::vector<std::unique_ptr<FlightWriter>> outs;
  for (int i = 0; i <= FlightWriter::kWindowFlights; ++i) {
    flights.push_back(std::make_shared<BlobFlight>());
    auto w = store_->CreateUpload();
    ASSERT_TRUE(w);
    writers.push_back(std::move(*w));
    outs.push_back(std::make_unique<FlightWriter>(*flights.back(), *writers.back(), big));
    EXPECT_EQ(outs.back()->windowed(), i < FlightWriter::kWindowFlights) << i;
  }
  auto small = store_->CreateUpload();
  ASSERT_TRUE(small);
  auto small_flight = std::make_shared<BlobFlight>();
  FlightWriter small_out(*small_flight, **small, big - 1);
  EXPECT_FALSE(small_out.windowed());
  // A place is free again once a windowed flight ends.
  outs.front().reset();
  auto again = store_->CreateUpload();
  ASSERT_TRUE(again);
  auto again_flight = std::make_shared<BlobFlight>();
  FlightWriter again_out(*again_flight, **again, big);
  EXPECT_TRUE(again_out.windowed());
}

// The window's waiting, on BlobFlight alone: pieces of kChunk bytes whose contents do
// not matter here.
class FlightWindowTest : public ::testing::Test {
 protected:
  using Clock = std::chrono::steady_clock;

  FlightWindowTest() { flight_.SetWindowed(); }

  static std::shared_ptr<FlightChunk> Piece(int index) {
    auto chunk = std::make_shared<FlightChunk>();
    chunk->offset = static_cast<int64_t>(index) * static_cast<int64_t>(FlightWriter::kChunk);
    chunk->size = FlightWriter::kChunk;
    return chunk;
  }
  // Publishes piece `index` and returns how long that took.
  Clock::duration Publish(int index) {
    const auto start = Clock::now();
    flight_.Publish(Piece(index));
    return Clock::now() - start;
  }
  static int64_t End(int index) {
    return static_cast<int64_t>(index + 1) * static_cast<int64_t>(FlightWriter::kChunk);
  }

  BlobFlight flight_;
};

TEST_F(FlightWindowTest, TheDownloaderWaitsForAFollowerStillReadingTheLeavingPiece) {
  auto follower = flight_.Join();
  Publish(0);
  Publish(1);
  std::atomic<bool> moved{false};
  std::thread reader([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    moved.store(true);
    flight_.Advance(*follower, End(0));
  });
  Publish(2);  // piece 0 leaves the window
  EXPECT_TRUE(moved.load());
  reader.join();
  flight_.Leave(follower);
}

TEST_F(FlightWindowTest, AFollowerTooSlowIsWaitedForOnceThenLeftToTheStore) {
  auto stalled = flight_.Join();
  Publish(0);
  Publish(1);
  EXPECT_GE(Publish(2), BlobFlight::kFollowerWait);
  // Each later piece would cost as much again if the stalled follower were still waited for.
  Clock::duration later{};
  for (int i = 3; i < 10; ++i) later += Publish(i);
  EXPECT_LT(later, 3 * BlobFlight::kFollowerWait);
  flight_.Leave(stalled);
}

TEST_F(FlightWindowTest, FollowersBehindTheWindowOrGoneAreNotWaitedFor) {
  for (int i = 0; i < 4; ++i) Publish(i);
  auto late = flight_.Join();  // at 0, reading the store
  auto gone = flight_.Join();
  flight_.Advance(*gone, End(2));  // inside the window, then leaves
  flight_.Leave(gone);
  Clock::duration took{};
  for (int i = 4; i < 10; ++i) took += Publish(i);
  EXPECT_LT(took, BlobFlight::kFollowerWait);
  flight_.Leave(late);
}

TEST_F(FlightWindowTest, APiecePublishedAgainReplacesTheStaleOne) {
  Publish(0);
  Publish(1);
  auto again = Piece(1);
  flight_.Publish(again);  // piece 1 again, after its write failed
  EXPECT_EQ(flight_.Find(End(0)).chunk, again);
  EXPECT_EQ(flight_.Find(0).chunk->offset, 0) << "piece 0 stays";
}

TEST_F(FlightWindowTest, AWaitingFollowerIsWokenOnceByTheNextPieceTheVerdictOrTheEnd) {
  auto follower = flight_.Join();
  int woken = 0;
  auto wake = [&woken] { ++woken; };
  uint64_t seen = flight_.progress();
  flight_.OnProgress(*follower, seen, wake);
  EXPECT_EQ(woken, 0);
  Publish(0);
  EXPECT_EQ(woken, 1);
  Publish(1);  // called once only
  EXPECT_EQ(woken, 1);
  flight_.OnProgress(*follower, seen, wake);  // progress moved since: at once
  EXPECT_EQ(woken, 2);
  flight_.OnProgress(*follower, flight_.progress(), wake);
  flight_.Verdict(true);
  EXPECT_EQ(woken, 3);
  flight_.OnProgress(*follower, flight_.progress(), wake);
  flight_.Done(Ok());
  EXPECT_EQ(woken, 4);
  flight_.Leave(follower);
}

}  // namespace
}  // namespace berth::proxy
