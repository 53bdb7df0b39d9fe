#include "storage/blob_store_conformance.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

namespace berth::storage::testing {
namespace {

Digest DigestFor(std::string_view bytes) { return *Digest::Parse(Sha256Digest(bytes)); }

std::span<const char> Bytes(std::string_view s) { return {s.data(), s.size()}; }

std::string Pattern(size_t n, int seed = 0) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 7 + i / 251) & 0xff);
  return s;
}

std::string ReadToEnd(BlobReader& reader) {
  std::string out;
  char buf[7];  // odd size on purpose: exercises many partial reads
  for (;;) {
    auto n = reader.Read(buf);
    EXPECT_TRUE(n.has_value()) << n.error().message;
    if (!n || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

#define EXPECT_CODE(expr, want)                                         \
  do {                                                                  \
    auto r_ = (expr);                                                   \
    ASSERT_FALSE(r_.has_value()) << #expr << " unexpectedly succeeded"; \
    EXPECT_EQ(r_.error().code, (want)) << r_.error().message;           \
  } while (0)

#define ASSERT_OK(expr)                                                 \
  do {                                                                  \
    auto r_ = (expr);                                                   \
    ASSERT_TRUE(r_.has_value()) << #expr << ": " << r_.error().message; \
  } while (0)

TEST_P(BlobStoreConformance, PutStatReadAll) {
  std::string content = "hello, blob";
  Digest d = DigestFor(content);
  ASSERT_OK(store_->Put(d, content));
  auto info = store_->Stat(d);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->size, static_cast<int64_t>(content.size()));
  auto all = store_->ReadAll(d, 1024);
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, content);
  EXPECT_CODE(store_->ReadAll(d, 3), ErrorCode::kSizeInvalid);
  ASSERT_OK(store_->Put(d, content));  // idempotent
  EXPECT_EQ(*store_->ReadAll(d, 1024), content);
}

TEST_P(BlobStoreConformance, OpenWrittenFollowsTheWriter) {
  std::string content = Pattern(10000, 3);
  auto writer = store_->CreateUpload();
  ASSERT_TRUE(writer);
  auto reader = (*writer)->OpenWritten(static_cast<int64_t>(content.size()));
  ASSERT_TRUE(reader) << reader.error().message;
  std::string got;
  char buf[4096];
  auto caught_up = (*reader)->Read(buf);
  ASSERT_TRUE(caught_up);
  EXPECT_EQ(*caught_up, 0u);  // nothing written yet: "not yet", not an error
  for (size_t at = 0; at < content.size(); at += 3000) {
    ASSERT_OK((*writer)->Write(Bytes(std::string_view(content).substr(at, 3000))));
    for (;;) {
      auto n = (*reader)->Read(buf);
      ASSERT_TRUE(n) << n.error().message;
      if (*n == 0) break;
      got.append(buf, *n);
    }
    EXPECT_EQ(got.size(), std::min(at + 3000, content.size()));
  }
  // A reader opened before Commit keeps its data afterwards; a new one cannot be opened.
  auto late = (*writer)->OpenWritten(static_cast<int64_t>(content.size()));
  ASSERT_TRUE(late);
  ASSERT_OK((*writer)->Commit(DigestFor(content)));
  EXPECT_EQ(ReadToEnd(**late), content);
  EXPECT_EQ(got, content);
  EXPECT_EQ((*reader)->remaining(), 0);
  EXPECT_CODE((*writer)->OpenWritten(1), ErrorCode::kBlobUploadUnknown);
}

TEST_P(BlobStoreConformance, ReadersSkipBytesTheyHaveFromElsewhere) {
  std::string content = Pattern(20000, 5);
  auto writer = store_->CreateUpload();
  ASSERT_TRUE(writer);
  auto reader = (*writer)->OpenWritten(static_cast<int64_t>(content.size()));
  ASSERT_TRUE(reader) << reader.error().message;
  ASSERT_OK((*writer)->Write(Bytes(std::string_view(content).substr(0, 12000))));
  // A follower that got the first 7000 bytes from memory reads on from the store.
  ASSERT_OK((*reader)->Skip(7000));
  EXPECT_EQ((*reader)->remaining(), 13000);
  char buf[3000];
  auto n = (*reader)->Read(buf);
  ASSERT_TRUE(n) << n.error().message;
  ASSERT_EQ(*n, 3000u);
  EXPECT_EQ(std::string(buf, 3000), content.substr(7000, 3000));
  ASSERT_OK((*writer)->Write(Bytes(std::string_view(content).substr(12000))));
  ASSERT_OK((*writer)->Commit(DigestFor(content)));
  ASSERT_OK((*reader)->Skip(4000));
  EXPECT_EQ(ReadToEnd(**reader), content.substr(14000));

  // A complete blob, opened at an offset, skips on from there.
  auto opened = store_->Open(DigestFor(content), 100);
  ASSERT_TRUE(opened);
  ASSERT_OK((*opened)->Skip(900));
  EXPECT_EQ((*opened)->remaining(), 19000);
  EXPECT_EQ(ReadToEnd(**opened), content.substr(1000));
}

TEST_P(BlobStoreConformance, PutRejectsWrongDigest) {
  Digest d = DigestFor("other");
  auto before = Sorted(env_->ListObjects());
  EXPECT_CODE(store_->Put(d, "content"), ErrorCode::kDigestInvalid);
  EXPECT_CODE(store_->Stat(d), ErrorCode::kBlobUnknown);
  EXPECT_EQ(Sorted(env_->ListObjects()), before);
}

TEST_P(BlobStoreConformance, MissingBlob) {
  Digest d = DigestFor("never stored");
  EXPECT_CODE(store_->Stat(d), ErrorCode::kBlobUnknown);
  EXPECT_CODE(store_->Open(d, 0), ErrorCode::kBlobUnknown);
  EXPECT_CODE(store_->ReadAll(d, 100), ErrorCode::kBlobUnknown);
  EXPECT_CODE(store_->Delete(d), ErrorCode::kBlobUnknown);
}

TEST_P(BlobStoreConformance, OpenAtOffset) {
  std::string content = Pattern(1000);
  Digest d = DigestFor(content);
  ASSERT_OK(store_->Put(d, content));
  for (int64_t offset : {0, 1, 7, 999, 1000}) {
    SCOPED_TRACE(offset);
    auto reader = store_->Open(d, offset);
    ASSERT_TRUE(reader) << reader.error().message;
    EXPECT_EQ((*reader)->remaining(), 1000 - offset);
    EXPECT_EQ(ReadToEnd(**reader), content.substr(offset));
    EXPECT_EQ((*reader)->remaining(), 0);
  }
  for (int64_t offset : {-1, 1001}) {
    EXPECT_FALSE(store_->Open(d, offset)) << offset;
  }
}

TEST_P(BlobStoreConformance, RemainingCountsDown) {
  std::string content = Pattern(100);
  Digest d = DigestFor(content);
  ASSERT_OK(store_->Put(d, content));
  auto reader = store_->Open(d, 10);
  ASSERT_TRUE(reader);
  char buf[30];
  auto n = (*reader)->Read(buf);
  ASSERT_TRUE(n);
  EXPECT_EQ((*reader)->remaining(), 90 - static_cast<int64_t>(*n));
  EXPECT_EQ(std::string(buf, *n), content.substr(10, *n));
}

TEST_P(BlobStoreConformance, Delete) {
  std::string content = "to be deleted";
  Digest d = DigestFor(content);
  ASSERT_OK(store_->Put(d, content));
  ASSERT_OK(store_->Delete(d));
  EXPECT_CODE(store_->Stat(d), ErrorCode::kBlobUnknown);
  EXPECT_CODE(store_->Delete(d), ErrorCode::kBlobUnknown);
  ASSERT_OK(store_->Put(d, content));  // can come back
  EXPECT_TRUE(store_->Stat(d));
}

TEST_P(BlobStoreConformance, UploadWriteCommit) {
  std::string content = Pattern(5 << 20, 1);
  auto writer = store_->CreateUpload();
  ASSERT_TRUE(writer) << writer.error().message;
  auto& w = **writer;
  EXPECT_FALSE(w.id().empty());
  for (size_t off = 0; off < content.size(); off += 65536) {
    ASSERT_OK(w.Write(Bytes(std::string_view(content).substr(off, 65536))));
  }
  EXPECT_EQ(w.size(), static_cast<int64_t>(content.size()));
  EXPECT_EQ(w.digest(), Sha256Digest(content));
  std::string id = w.id();
  ASSERT_OK(w.Commit(DigestFor(content)));
  EXPECT_EQ(store_->Stat(DigestFor(content))->size, static_cast<int64_t>(content.size()));
  EXPECT_EQ(*store_->ReadAll(DigestFor(content), 10 << 20), content);
  EXPECT_CODE(store_->ResumeUpload(id), ErrorCode::kBlobUploadUnknown);
  EXPECT_EQ(env_->ListObjects().size(), 1u);
}

TEST_P(BlobStoreConformance, EmptyUpload) {
  auto writer = store_->CreateUpload();
  ASSERT_TRUE(writer);
  EXPECT_EQ((*writer)->digest(), Sha256Digest(""));
  ASSERT_OK((*writer)->Commit(DigestFor("")));
  EXPECT_EQ(store_->Stat(DigestFor(""))->size, 0);
}

TEST_P(BlobStoreConformance, UploadIdsAreDistinct) {
  auto a = store_->CreateUpload();
  auto b = store_->CreateUpload();
  ASSERT_TRUE(a && b);
  EXPECT_NE((*a)->id(), (*b)->id());
}

TEST_P(BlobStoreConformance, DigestMismatchKeepsSession) {
  auto before = Sorted(env_->ListObjects());
  auto writer = store_->CreateUpload();
  ASSERT_TRUE(writer);
  auto& w = **writer;
  ASSERT_OK(w.Write(Bytes("abc")));
  EXPECT_CODE(w.Commit(DigestFor("abd")), ErrorCode::kDigestInvalid);
  EXPECT_CODE(store_->Stat(DigestFor("abd")), ErrorCode::kBlobUnknown);
  EXPECT_CODE(store_->Stat(DigestFor("abc")), ErrorCode::kBlobUnknown);
  EXPECT_EQ(w.size(), 3);
  ASSERT_OK(w.Write(Bytes("def")));
  ASSERT_OK(w.Commit(DigestFor("abcdef")));
  EXPECT_EQ(*store_->ReadAll(DigestFor("abcdef"), 100), "abcdef");
  auto after = Sorted(env_->ListObjects());
  EXPECT_EQ(after.size(), before.size() + 1);
}

TEST_P(BlobStoreConformance, ResumeAfterReopen) {
  std::string id;
  {
    auto writer = store_->CreateUpload();
    ASSERT_TRUE(writer);
    ASSERT_OK((*writer)->Write(Bytes("part one, ")));
    id = (*writer)->id();
  }
  store_.reset();
  auto reopened = env_->Open();
  auto writer = reopened->ResumeUpload(id);
  ASSERT_TRUE(writer) << writer.error().message;
  EXPECT_EQ((*writer)->id(), id);
  EXPECT_EQ((*writer)->size(), 10);
  EXPECT_EQ((*writer)->digest(), Sha256Digest("part one, "));
  ASSERT_OK((*writer)->Write(Bytes("part two")));
  ASSERT_OK((*writer)->Commit(DigestFor("part one, part two")));
  EXPECT_EQ(*reopened->ReadAll(DigestFor("part one, part two"), 100), "part one, part two");
}

TEST_P(BlobStoreConformance, CancelLeavesNothing) {
  auto before = Sorted(env_->ListObjects());
  auto writer = store_->CreateUpload();
  ASSERT_TRUE(writer);
  std::string id = (*writer)->id();
  ASSERT_OK((*writer)->Write(Bytes("cancelled bytes")));
  ASSERT_OK((*writer)->Cancel());
  EXPECT_CODE(store_->ResumeUpload(id), ErrorCode::kBlobUploadUnknown);
  EXPECT_CODE(store_->Stat(DigestFor("cancelled bytes")), ErrorCode::kBlobUnknown);
  EXPECT_EQ(Sorted(env_->ListObjects()), before);
}

TEST_P(BlobStoreConformance, FailedCommitThenCancelLeavesNothing) {
  auto before = Sorted(env_->ListObjects());
  auto writer = store_->CreateUpload();
  ASSERT_TRUE(writer);
  ASSERT_OK((*writer)->Write(Bytes(Pattern(100000))));
  EXPECT_CODE((*writer)->Commit(DigestFor("wrong")), ErrorCode::kDigestInvalid);
  ASSERT_OK((*writer)->Cancel());
  EXPECT_EQ(Sorted(env_->ListObjects()), before);
}

TEST_P(BlobStoreConformance, CommitOfExistingDigest) {
  std::string content = "already here";
  Digest d = DigestFor(content);
  ASSERT_OK(store_->Put(d, content));
  auto before = Sorted(env_->ListObjects());
  auto writer = store_->CreateUpload();
  ASSERT_TRUE(writer);
  std::string id = (*writer)->id();
  ASSERT_OK((*writer)->Write(Bytes(content)));
  ASSERT_OK((*writer)->Commit(d));
  EXPECT_EQ(*store_->ReadAll(d, 100), content);
  EXPECT_CODE(store_->ResumeUpload(id), ErrorCode::kBlobUploadUnknown);
  EXPECT_EQ(Sorted(env_->ListObjects()), before);
}

TEST_P(BlobStoreConformance, ConcurrentUploadsOfSameContent) {
  std::string content = Pattern(1 << 20, 3);
  Digest d = DigestFor(content);
  constexpr int kThreads = 8;
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto writer = store_->CreateUpload();
      if (!writer) {
        errors[t] = writer.error().message;
        return;
      }
      for (size_t off = 0; off < content.size(); off += 100000) {
        if (auto s = (*writer)->Write(Bytes(std::string_view(content).substr(off, 100000))); !s) {
          errors[t] = s.error().message;
          return;
        }
      }
      if (auto s = (*writer)->Commit(d); !s) errors[t] = s.error().message;
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(*store_->ReadAll(d, 2 << 20), content);
  EXPECT_EQ(env_->ListObjects().size(), 1u);
}

TEST_P(BlobStoreConformance, InvalidUploadIds) {
  const char* ids[] = {
      "",
      "..",
      "../../etc/passwd",
      "/etc/passwd",
      "0123456789abcdef0123456789abcde",    // 31 characters
      "0123456789abcdef0123456789abcdef0",  // 33 characters
      "0123456789ABCDEF0123456789ABCDEF",   // upper case
      "0123456789abcdef0123456789abcde/",
      "0123456789abcdef/../456789abcdef",
      "0123456789abcdef0123456789abcdef",  // well-formed, unknown
  };
  for (const char* id : ids) {
    SCOPED_TRACE(id);
    EXPECT_CODE(store_->ResumeUpload(id), ErrorCode::kBlobUploadUnknown);
  }
}

TEST_P(BlobStoreConformance, PurgeUploads) {
  auto a = store_->CreateUpload();
  auto b = store_->CreateUpload();
  ASSERT_TRUE(a && b);
  ASSERT_OK((*a)->Write(Bytes("a")));
  std::string ida = (*a)->id(), idb = (*b)->id();
  a->reset();
  b->reset();
  auto none = store_->PurgeUploads(std::chrono::hours(1));
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
  EXPECT_TRUE(store_->ResumeUpload(ida));
  auto all = store_->PurgeUploads(std::chrono::seconds(0));
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, 2);
  EXPECT_CODE(store_->ResumeUpload(ida), ErrorCode::kBlobUploadUnknown);
  EXPECT_CODE(store_->ResumeUpload(idb), ErrorCode::kBlobUploadUnknown);
  EXPECT_TRUE(env_->ListObjects().empty());
}

TEST_P(BlobStoreConformance, UseAfterCommitFails) {
  auto writer = store_->CreateUpload();
  ASSERT_TRUE(writer);
  ASSERT_OK((*writer)->Write(Bytes("x")));
  ASSERT_OK((*writer)->Commit(DigestFor("x")));
  EXPECT_CODE((*writer)->Write(Bytes("y")), ErrorCode::kBlobUploadUnknown);
  EXPECT_CODE((*writer)->Commit(DigestFor("x")), ErrorCode::kBlobUploadUnknown);
}

}  // namespace
}  // namespace berth::storage::testing
