#include "replication/transfer/test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

namespace berth::replication::testing {

Stack::Stack() {
  if (!stack_.ok()) return;
  LocalStores stores;
  stores.content = &stack_.content();
  stores.blobs = &stack_.blobs();
  stores.artifacts = &stack_.artifacts();
  stores.projects = &stack_.projects();
  stores.labels = &stack_.labels();
  end_ = MakeLocalEnd(stores);
  ok_ = true;
}

std::string Stack::PushBlob(const std::string& repository, std::string_view content) {
  EXPECT_TRUE(end_->PrepareForPush({repository}).has_value());
  auto repo = stack_.content().ResolveRepository(repository, true);
  EXPECT_TRUE(repo.has_value());
  auto digest = *Digest::Parse(Sha256Digest(content));
  EXPECT_TRUE(stack_.blobs().Put(digest, content).has_value());
  auto linked = stack_.content().LinkBlob(*repo, digest, static_cast<int64_t>(content.size()));
  EXPECT_TRUE(linked.has_value()) << linked.error().message;
  return digest.str();
}

std::string ImageManifest(const std::string& config_digest, int64_t config_size,
                          const std::vector<std::pair<std::string, int64_t>>& layers,
                          const std::string& extra) {
  nlohmann::json m = {{"schemaVersion", 2},
                      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                      {"config",
                       {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                        {"digest", config_digest},
                        {"size", config_size}}},
                      {"layers", nlohmann::json::array()}};
  for (const auto& [d, size] : layers) {
    m["layers"].push_back(
        {{"mediaType", "application/vnd.oci.image.layer.v1.tar"}, {"digest", d}, {"size", size}});
  }
  std::string text = m.dump();
  if (!extra.empty()) text = text.substr(0, text.size() - 1) + "," + extra + "}";
  return text;
}

std::string Stack::PushImage(const std::string& repository, const std::string& reference,
                             const std::vector<std::string>& layers, const std::string& extra) {
  std::string config = R"({"architecture":"amd64","ref":")" + reference + "\"}";
  std::string c = PushBlob(repository, config);
  std::vector<std::pair<std::string, int64_t>> descs;
  for (const auto& l : layers) {
    descs.emplace_back(PushBlob(repository, l), static_cast<int64_t>(l.size()));
  }
  return PushManifest(repository, reference,
                      ImageManifest(c, static_cast<int64_t>(config.size()), descs, extra),
                      "application/vnd.oci.image.manifest.v1+json");
}

std::string Stack::PushManifest(const std::string& repository, const std::string& reference,
                                const std::string& bytes, std::string_view media_type) {
  auto put = end_->PutManifest(repository, reference, bytes, media_type);
  EXPECT_TRUE(put.has_value()) << put.error().message;
  return Sha256Digest(bytes);
}

std::string Stack::ManifestBytes(const std::string& repository, const std::string& reference) {
  auto got = end_->GetManifest(repository, reference);
  return got ? got->bytes : std::string();
}

std::string RandomBytes(size_t size, uint32_t seed) {
  std::string out(size, '\0');
  std::mt19937_64 rng(seed);
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (; i < size; ++i) out[i] = static_cast<char>(rng());
  return out;
}

std::optional<UploadProgress> MemoryJournal::Load(std::string_view digest) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(digest);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

void MemoryJournal::Save(std::string_view digest, const UploadProgress& progress) {
  std::lock_guard lock(mu_);
  entries_[std::string(digest)] = progress;
}

void MemoryJournal::Clear(std::string_view digest) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(digest);
  if (it != entries_.end()) entries_.erase(it);
}

std::map<std::string, UploadProgress, std::less<>> MemoryJournal::entries() {
  std::lock_guard lock(mu_);
  return entries_;
}

bool FaultyEnd::ShouldFail() {
  if (fail_every <= 0) return false;
  return ++calls_ % fail_every == 0;
}

void FaultyEnd::NoteInFlight() {
  int64_t now = counters->read_bytes.load() - counters->consumed_bytes.load();
  int64_t peak = counters->peak_in_flight.load();
  while (now > peak && !counters->peak_in_flight.compare_exchange_weak(peak, now)) {
  }
}

Status FaultyEnd::ReadBlob(std::string_view r, std::string_view d, int64_t offset,
                           const ByteSink& sink, const CancelToken& cancel) {
  bool fail = ShouldFail();
  int64_t delivered = 0;
  ByteSink wrapped = [&](std::span<const char> data) -> Status {
    if (read_delay.count() > 0) std::this_thread::sleep_for(read_delay);
    if (fail) {
      // Half of this piece arrives, then the connection "drops".
      auto half = data.first(data.size() / 2);
      counters->read_bytes += static_cast<int64_t>(half.size());
      NoteInFlight();
      if (!half.empty()) BERTH_TRY(sink(half));
      ++counters->faults;
      return Fail(fault);
    }
    counters->read_bytes += static_cast<int64_t>(data.size());
    NoteInFlight();
    delivered += static_cast<int64_t>(data.size());
    return sink(data);
  };
  auto st = inner_.ReadBlob(r, d, offset, wrapped, cancel);
  if (!st && fail && st.error().code == fault.code) return Fail(fault);
  return st;
}

ByteSource FaultyEnd::Counting(const ByteSource& source, int64_t fail_after, bool* failed) {
  auto taken = std::make_shared<int64_t>(0);
  return [this, source, fail_after, failed, taken](std::span<char> buf) -> Result<size_t> {
    if (fail_after >= 0 && *taken >= fail_after) {
      *failed = true;
      ++counters->faults;
      return Fail(fault);
    }
    if (fail_after >= 0) {
      buf = buf.first(static_cast<size_t>(
          std::clamp<int64_t>(fail_after - *taken, 1, static_cast<int64_t>(buf.size()))));
    }
    auto n = source(buf);
    if (n) {
      *taken += static_cast<int64_t>(*n);
      counters->consumed_bytes += static_cast<int64_t>(*n);
      if (on_consumed) on_consumed(counters->consumed_bytes.load());
    }
    return n;
  };
}

Status FaultyEnd::WriteBlob(std::string_view r, std::string_view d, int64_t size,
                            const ByteSource& source, const CancelToken& cancel) {
  bool failed = false;
  auto st =
      inner_.WriteBlob(r, d, size, Counting(source, ShouldFail() ? size / 2 : -1, &failed), cancel);
  if (failed) return Fail(fault);
  return st;
}

Result<UploadProgress> FaultyEnd::AppendUpload(std::string_view r, const UploadProgress& p,
                                               int64_t length, const ByteSource& source,
                                               const CancelToken& cancel) {
  bool failed = false;
  auto res = inner_.AppendUpload(r, p, length,
                                 Counting(source, ShouldFail() ? length / 2 : -1, &failed), cancel);
  if (failed) return Fail(fault);
  return res;
}

}  // namespace berth::replication::testing
