#include "storage/fs_blob_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "storage/fs_blob_reader.h"
#include "storage/fs_io.h"

namespace berth::storage {
namespace {

namespace fs = std::filesystem;

constexpr size_t kRehashChunk = 1 << 20;
// Writes of at least this many bytes bypass the page cache (see FsBlobWriter::Write).
constexpr size_t kDirectMin = 1 << 20;
// After this many direct bytes a background fdatasync starts (see FsBlobWriter::Write).
constexpr int64_t kBackgroundSyncBytes = 64 << 20;

bool IsMissing(int err) { return err == ENOENT || err == ENOTDIR; }

// Writes all of `data`; on error returns it with errno preserved.
Status WriteAll(int fd, std::span<const char> data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(IoError("write"));
    }
    data = data.subspan(static_cast<size_t>(n));
  }
  return Ok();
}

// Writes all of `data` at `offset`. Returns the bytes written when it stops early with
// an error (`*err` gets errno), so the caller can continue another way.
size_t PWriteAll(int fd, std::span<const char> data, int64_t offset, int* err) {
  size_t done = 0;
  *err = 0;
  while (done < data.size()) {
    ssize_t n =
        ::pwrite(fd, data.data() + done, data.size() - done, offset + static_cast<int64_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      break;
    }
    if (n == 0) {
      *err = EIO;
      break;
    }
    done += static_cast<size_t>(n);
  }
  return done;
}

// Incremental SHA-256 whose state can be copied (to roll back a failed append).
class Hash {
 public:
  Hash() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr); }
  Hash(const Hash& other) : ctx_(EVP_MD_CTX_new()) {
    EVP_MD_CTX_copy_ex(ctx_.get(), other.ctx_.get());
  }
  Hash& operator=(const Hash& other) {
    if (this != &other) EVP_MD_CTX_copy_ex(ctx_.get(), other.ctx_.get());
    return *this;
  }
  Hash(Hash&&) noexcept = default;
  Hash& operator=(Hash&&) noexcept = default;

  void Update(std::span<const char> data) {
    EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
  }
  // "sha256:<hex>" of everything fed so far; does not reset.
  std::string Finish() const {
    Hash copy(*this);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(copy.ctx_.get(), md, &len);
    return "sha256:" + HexEncode({md, len});
  }

 private:
  struct Free {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx_;
};

Status DataSync(int fd) {
  if (::fdatasync(fd) != 0) return Fail(IoError("fdatasync"));
  return Ok();
}

// Makes a directory's entries (a rename into it) durable.
Status SyncDir(const fs::path& dir) {
  auto fd = OpenFile(dir, O_RDONLY | O_DIRECTORY);
  if (!fd) return Fail(fd.error());
  if (::fsync(fd->get()) != 0) return Fail(IoError("fsync directory"));
  return Ok();
}

// Creates `dir` and missing parents; fsyncs the parents of what it created so the new
// directory entries survive a crash.
Status EnsureDir(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return Ok();
  if (!fs::create_directories(dir, ec) && ec) return Fail(IoError("mkdir", ec));
  BERTH_TRY(SyncDir(dir.parent_path()));
  return SyncDir(dir.parent_path().parent_path());
}

// The digest of `bytes` in the algorithm `digest` uses.
std::string DigestOf(const Digest& digest, std::string_view bytes) {
  if (digest.algorithm() == "sha256") return Sha256Digest(bytes);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha512(), nullptr);
  return "sha512:" + HexEncode({md, len});
}

Error BlobUnknown(const Digest& digest) {
  return MakeError(ErrorCode::kBlobUnknown, "blob " + digest.str() + " is not in the store");
}

Error UploadUnknown(std::string_view id) {
  return MakeError(ErrorCode::kBlobUploadUnknown,
                   "upload " + std::string(id.substr(0, 64)) + " does not exist");
}

bool Exists(const fs::path& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Takes the session lock on an open upload data file: one writer per session, across
// threads and processes. Fails when another writer holds it, or when the session ended
// (committed or cancelled) between open and lock.
Status LockSession(int fd, const fs::path& data, std::string_view id) {
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return Fail(ErrorCode::kBlobUploadInvalid,
                  "upload " + std::string(id) + " is in use by another request");
    }
    return Fail(IoError("flock"));
  }
  struct stat open_st, path_st;
  if (::fstat(fd, &open_st) != 0 || ::stat(data.c_str(), &path_st) != 0 ||
      open_st.st_ino != path_st.st_ino || open_st.st_dev != path_st.st_dev) {
    return Fail(UploadUnknown(id));
  }
  return Ok();
}

// Renames `from` to the blob file of `digest`, creating its shard directory, and makes
// the rename durable.
Status Publish(const FsPaths& paths, const fs::path& from, const Digest& digest) {
  auto shard = paths.BlobShardDir(digest);
  BERTH_TRY(EnsureDir(shard));
  if (::rename(from.c_str(), paths.BlobFile(digest).c_str()) != 0) {
    return Fail(IoError("rename into place"));
  }
  return SyncDir(shard);
}

// Appends to an upload session's data file while hashing.
//
// Large aligned appends (the usual case: a body received in big aligned buffers) are
// written with O_DIRECT through a second descriptor, on the writer's helper thread while
// the calling thread hashes the same bytes. This skips the page-cache copy, which dominates
// buffered writes of big blobs, and leaves Commit's fdatasync little to flush. Everything else
// (small or unaligned appends, the unaligned tail, filesystems without O_DIRECT) goes
// through the ordinary buffered descriptor.
class FsBlobWriter final : public BlobWriter {
 public:
  FsBlobWriter(const FsPaths& paths, std::string id, UniqueFd fd, int64_t size, Hash hash)
      : paths_(paths),
        id_(std::move(id)),
        fd_(std::move(fd)),
        size_(size),
        hash_(std::move(hash)) {}

  const std::string& id() const override { return id_; }
  int64_t size() const override { return size_; }
  std::string digest() const override { return hash_.Finish(); }

  Status Write(std::span<const char> data) override {
    if (!fd_) return Fail(UploadUnknown(id_));
    size_t direct = DirectPrefix(data);
    if (direct == 0) {
      BERTH_TRY(Append(data));
      hash_.Update(data);
      size_ += static_cast<int64_t>(data.size());
      return Ok();
    }
    // Write the aligned prefix directly on a helper thread while this thread hashes.
    Hash before = hash_;
    if (!helper_) helper_ = std::make_unique<HelperThread>();
    helper_->Start([this, prefix = data.first(direct)] {
      int err = 0;
      size_t n = PWriteAll(direct_fd_.get(), prefix, size_, &err);
      return std::pair{n, err};
    });
    hash_.Update(data);
    auto [n, err] = helper_->Finish();
    Status status = Ok();
    if (n < direct) {
      if (err == EINVAL && n % kDirectAlign == 0) {
        direct_fd_.Reset();  // O_DIRECT refused after all: fall back for good
        direct_failed_ = true;
      } else {
        status = Fail(IoError("write", err));
      }
    }
    if (status) {
      // The rest (the unaligned tail, or all of it after a refused O_DIRECT) is buffered;
      // the buffered descriptor appends at the end of the file, i.e. after the prefix.
      status = Append(data.subspan(n));
    }
    if (!status) {
      hash_ = std::move(before);
      Truncate();
      return status;
    }
    size_ += static_cast<int64_t>(data.size());
    unsynced_ += static_cast<int64_t>(n);
    MaybeSyncInBackground();
    return Ok();
  }

  Status Commit(const Digest& expected) override {
    if (!fd_) return Fail(UploadUnknown(id_));
    if (expected.algorithm() != "sha256") {
      return Fail(ErrorCode::kDigestInvalid, "blobs are uploaded with sha256 here, not " +
                                                 std::string(expected.algorithm()) +
                                                 ": push the blob under its sha256 digest");
    }
    std::string actual = digest();
    if (actual != expected.str()) {
      return Fail(ErrorCode::kDigestInvalid,
                  "uploaded content has digest " + actual + ", not " + expected.str());
    }
    if (!Exists(paths_.BlobFile(expected))) {
      StopSyncer();
      BERTH_TRY(DataSync(fd_.get()));
      auto data = paths_.UploadData(id_);
      if (!Exists(data)) return Fail(UploadUnknown(id_));
      BERTH_TRY(Publish(paths_, data, expected));
    }
    return RemoveSession();
  }

  Status Cancel() override {
    if (!fd_) return Fail(UploadUnknown(id_));
    return RemoveSession();
  }

  // Direct writes would bypass the page cache, and every follower would read from disk.
  // Buffered, and not flushed behind the writer either: on a shared disk an fdatasync
  // stalls the appends (and so the readers) behind other files' writeback. Commit
  // flushes once; the readers have had every byte by then.
  void ExpectReaders() override { direct_failed_ = true; }
  void DeferSync() override { defer_sync_ = true; }

  Result<std::unique_ptr<BlobReader>> OpenWritten(int64_t size) const override {
    int err = 0;
    auto fd = OpenFile(paths_.UploadData(id_), O_RDONLY, &err);
    if (!fd) {
      if (IsMissing(err)) return Fail(UploadUnknown(id_));
      return Fail(fd.error());
    }
    return NewFollowingReader(std::move(*fd), size);
  }

 private:
  // How many leading bytes of `data` to write with O_DIRECT (0: none); opens the direct
  // descriptor on first use.
  size_t DirectPrefix(std::span<const char> data) {
    if (data.size() < kDirectMin || direct_failed_ ||
        size_ % static_cast<int64_t>(kDirectAlign) != 0 ||
        reinterpret_cast<uintptr_t>(data.data()) % kDirectAlign != 0) {
      return 0;
    }
    if (!direct_fd_) {
      auto fd = OpenFile(paths_.UploadData(id_), O_WRONLY | O_DIRECT);
      if (!fd) {
        direct_failed_ = true;  // e.g. tmpfs: EINVAL
        return 0;
      }
      direct_fd_ = std::move(*fd);
    }
    return data.size() / kDirectAlign * kDirectAlign;
  }

  // Appends through the buffered descriptor; on error drops the partial append.
  Status Append(std::span<const char> data) {
    auto written = WriteAll(fd_.get(), data);
    if (!written) Truncate();
    return written;
  }

  // Cuts the file back to size_ so it matches the hash again; a writer that cannot do
  // that becomes unusable (the session can still be resumed, which rehashes the file).
  void Truncate() {
    if (::ftruncate(fd_.get(), size_) != 0) {
      StopSyncer();
      fd_.Reset();
      direct_fd_.Reset();
    }
  }

  // A device cache flush costs about as much as the direct writes before it on these
  // VMs' virtual disks. Flushing in the background while the body is still arriving
  // overlaps that cost with receiving and hashing, so Commit's fdatasync has little left.
  // Errors are ignored here: Commit's own fdatasync reports them.
  void MaybeSyncInBackground() {
    if (defer_sync_ || unsynced_ < kBackgroundSyncBytes) return;
    if (syncer_ && !syncer_->Idle()) return;
    if (!syncer_) syncer_ = std::make_unique<HelperThread>();
    syncer_->Finish();
    syncer_->Start([fd = fd_.get()] {
      ::fdatasync(fd);
      return std::pair<size_t, int>{0, 0};
    });
    unsynced_ = 0;
  }

  // Waits for a background flush (it uses fd_).
  void StopSyncer() {
    if (syncer_) syncer_->Finish();
  }

  Status RemoveSession() {
    StopSyncer();
    fd_.Reset();
    direct_fd_.Reset();
    std::error_code ec;
    fs::remove_all(paths_.UploadDir(id_), ec);
    if (ec) return Fail(IoError("remove upload session", ec));
    return Ok();
  }

  const FsPaths& paths_;
  std::string id_;
  UniqueFd fd_;         // buffered, O_APPEND; holds the session lock
  UniqueFd direct_fd_;  // O_DIRECT, opened on the first large aligned append
  bool direct_failed_ = false;
  bool defer_sync_ = false;               // no background flushes: Commit's is the only one
  std::unique_ptr<HelperThread> helper_;  // writes the direct part
  std::unique_ptr<HelperThread> syncer_;  // background fdatasync; uses fd_
  int64_t unsynced_ = 0;                  // direct bytes since the last background sync
  int64_t size_;
  Hash hash_;
};

}  // namespace

FsBlobStore::FsBlobStore(std::filesystem::path root) : paths_(std::move(root)) {
  // Best effort: every operation that needs a directory creates it again on demand.
  std::error_code ec;
  fs::create_directories(paths_.BlobsDir(), ec);
  fs::create_directories(paths_.UploadsDir(), ec);
  fs::create_directories(paths_.TmpDir(), ec);
}

Result<BlobInfo> FsBlobStore::Stat(const Digest& digest) {
  struct stat st;
  if (::stat(paths_.BlobFile(digest).c_str(), &st) != 0) {
    if (IsMissing(errno)) return Fail(BlobUnknown(digest));
    return Fail(IoError("stat"));
  }
  return BlobInfo{.size = static_cast<int64_t>(st.st_size)};
}

Result<std::unique_ptr<BlobReader>> FsBlobStore::Open(const Digest& digest, int64_t offset) {
  int err = 0;
  auto fd = OpenFile(paths_.BlobFile(digest), O_RDONLY, &err);
  if (!fd) {
    if (IsMissing(err)) return Fail(BlobUnknown(digest));
    return Fail(fd.error());
  }
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return Fail(IoError("fstat"));
  if (offset < 0 || offset > st.st_size) {
    return Fail(ErrorCode::kRangeInvalid, "offset " + std::to_string(offset) +
                                              " is outside the blob (size " +
                                              std::to_string(st.st_size) + ")");
  }
  return NewBlobReader(std::move(*fd), offset, st.st_size);
}

Result<std::string> FsBlobStore::ReadAll(const Digest& digest, int64_t max_size) {
  auto reader = Open(digest, 0);
  if (!reader) return Fail(reader.error());
  int64_t size = (*reader)->remaining();
  if (size > max_size) {
    return Fail(ErrorCode::kSizeInvalid, "blob " + digest.str() + " is " + std::to_string(size) +
                                             " bytes, more than the limit of " +
                                             std::to_string(max_size));
  }
  std::string out(static_cast<size_t>(size), '\0');
  size_t done = 0;
  while (done < out.size()) {
    auto n = (*reader)->Read(std::span<char>(out).subspan(done));
    if (!n) return Fail(n.error());
    done += *n;
  }
  return out;
}

Status FsBlobStore::Put(const Digest& digest, std::string_view bytes) {
  std::string actual = DigestOf(digest, bytes);
  if (actual != digest.str()) {
    return Fail(ErrorCode::kDigestInvalid,
                "content has digest " + actual + ", not " + digest.str());
  }
  if (Exists(paths_.BlobFile(digest))) return Ok();
  BERTH_TRY(EnsureDir(paths_.TmpDir()));
  auto tmp = paths_.NewTmpFile();
  auto fd = OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL);
  if (!fd) return Fail(fd.error());
  auto status = WriteAll(fd->get(), bytes);
  if (status) status = DataSync(fd->get());
  fd->Reset();
  if (status) status = Publish(paths_, tmp, digest);
  if (!status) ::unlink(tmp.c_str());
  return status;
}

Status FsBlobStore::Delete(const Digest& digest) {
  if (::unlink(paths_.BlobFile(digest).c_str()) != 0) {
    if (IsMissing(errno)) return Fail(BlobUnknown(digest));
    return Fail(IoError("unlink"));
  }
  return SyncDir(paths_.BlobShardDir(digest));
}

Result<std::unique_ptr<BlobWriter>> FsBlobStore::CreateUpload() {
  BERTH_TRY(EnsureDir(paths_.UploadsDir()));
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::string id = FsPaths::NewUploadId();
    auto dir = paths_.UploadDir(id);
    if (::mkdir(dir.c_str(), 0755) != 0) {
      if (errno == EEXIST) continue;
      return Fail(IoError("mkdir upload session"));
    }
    auto fd = OpenFile(paths_.UploadData(id), O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
    if (!fd) {
      ::rmdir(dir.c_str());
      return Fail(fd.error());
    }
    BERTH_TRY(LockSession(fd->get(), paths_.UploadData(id), id));
    return std::make_unique<FsBlobWriter>(paths_, std::move(id), std::move(*fd), 0, Hash());
  }
  return Fail(ErrorCode::kInternal, "storage: could not allocate an upload id");
}

Result<std::unique_ptr<BlobWriter>> FsBlobStore::ResumeUpload(std::string_view id) {
  if (!FsPaths::IsValidUploadId(id)) return Fail(UploadUnknown(id));
  int err = 0;
  auto fd = OpenFile(paths_.UploadData(id), O_RDWR | O_APPEND, &err);
  if (!fd) {
    if (IsMissing(err)) return Fail(UploadUnknown(id));
    return Fail(fd.error());
  }
  BERTH_TRY(LockSession(fd->get(), paths_.UploadData(id), id));
  Hash hash;
  int64_t size = 0;
  std::string buf(kRehashChunk, '\0');
  for (;;) {
    ssize_t n = ::pread(fd->get(), buf.data(), buf.size(), size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail(IoError("read upload"));
    }
    if (n == 0) break;
    hash.Update(std::span<const char>(buf.data(), static_cast<size_t>(n)));
    size += n;
  }
  return std::make_unique<FsBlobWriter>(paths_, std::string(id), std::move(*fd), size,
                                        std::move(hash));
}

Result<int> FsBlobStore::PurgeUploads(std::chrono::seconds age) {
  const auto cutoff = fs::file_time_type::clock::now() - age;
  auto older = [&](const fs::path& p) {
    std::error_code ec;
    auto t = fs::last_write_time(p, ec);
    return !ec && t <= cutoff;
  };
  int purged = 0;
  std::error_code ec;
  for (fs::directory_iterator it(paths_.UploadsDir(), ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto& path = it->path();
    bool valid = FsPaths::IsValidUploadId(path.filename().string());
    // A session's age is the last write to its data (the directory if data is gone).
    auto data = path / "data";
    if (!older(Exists(data) ? data : path)) continue;
    std::error_code rm;
    fs::remove_all(path, rm);
    if (!rm && valid) ++purged;
  }
  if (ec && ec != std::errc::no_such_file_or_directory) return Fail(IoError("list uploads", ec));
  ec.clear();
  for (fs::directory_iterator it(paths_.TmpDir(), ec), end; !ec && it != end; it.increment(ec)) {
    if (older(it->path())) {
      std::error_code rm;
      fs::remove_all(it->path(), rm);
    }
  }
  if (ec && ec != std::errc::no_such_file_or_directory) return Fail(IoError("list tmp", ec));
  return purged;
}

}  // namespace berth::storage
