// Blob uploads: POST (session, monolithic with ?digest=, cross-repository mount), PATCH
// chunks, GET status, PUT to finish, DELETE to cancel.
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cstdlib>
#include <vector>

#include "common/names.h"
#include "registry/registry_service.h"

namespace berth::registry {
namespace {

namespace asio = boost::asio;

// Body bytes are received into buffers of this size, aligned for O_DIRECT (see
// FsBlobWriter), and handed to the writer one full buffer at a time.
constexpr size_t kChunkBuffer = 4 << 20;
constexpr size_t kBufferAlign = storage::kWriteBufferAlign;

// Runs BlobWriter::Write on one helper thread while the request coroutine goes on
// receiving the next buffer, so receiving overlaps hashing and writing. One write is in
// flight at a time; Wait() must be awaited before the written buffer is reused and
// before the writer is used again. The helper thread is joined on destruction.
class WriteBehind {
 public:
  explicit WriteBehind(asio::any_io_executor io) : state_(std::make_shared<State>(std::move(io))) {}
  ~WriteBehind() { pool_.join(); }

  void Start(storage::BlobWriter& writer, std::span<const char> data) {
    state_->pending = true;
    state_->done = false;
    state_->timer.expires_at(asio::steady_timer::time_point::max());
    asio::post(pool_, [state = state_, &writer, data] {
      Status result = writer.Write(data);
      // Back on the request's (single-threaded) io context: no locking needed.
      asio::post(state->timer.get_executor(), [state, result = std::move(result)]() mutable {
        state->result = std::move(result);
        state->done = true;
        state->timer.cancel();
      });
    });
  }

  // The result of the write in flight (Ok when there is none).
  http::Task<Status> Wait() {
    auto state = state_;
    if (!state->pending) co_return Ok();
    while (!state->done) {
      boost::system::error_code ec;
      co_await state->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    state->pending = false;
    co_return std::move(state->result);
  }

 private:
  struct State {
    explicit State(asio::any_io_executor io) : timer(std::move(io)) {}
    asio::steady_timer timer;
    bool pending = false;
    bool done = false;
    Status result = Ok();
  };
  std::shared_ptr<State> state_;
  asio::thread_pool pool_{1};
};

std::string RangeHeader(int64_t size) { return "0-" + std::to_string(size > 0 ? size - 1 : 0); }

http::Response SessionResponse(int status, std::string_view name, const storage::BlobWriter& w) {
  auto resp = http::EmptyResponse(status);
  resp.headers.Set("Location", UploadLocation(name, w.id()));
  resp.headers.Set("Range", RangeHeader(w.size()));
  resp.headers.Set("Docker-Upload-UUID", w.id());
  return resp;
}

// Parses Content-Range "<start>-<end>" (also accepts a "bytes " prefix and "/total").
std::optional<std::pair<int64_t, int64_t>> ParseContentRange(std::string_view v) {
  if (v.starts_with("bytes ")) v.remove_prefix(6);
  if (auto slash = v.find('/'); slash != std::string_view::npos) v = v.substr(0, slash);
  auto dash = v.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  int64_t a = 0, b = 0;
  auto sa = v.substr(0, dash), sb = v.substr(dash + 1);
  auto ra = std::from_chars(sa.data(), sa.data() + sa.size(), a);
  auto rb = std::from_chars(sb.data(), sb.data() + sb.size(), b);
  if (ra.ec != std::errc() || rb.ec != std::errc() || ra.ptr != sa.data() + sa.size() ||
      rb.ptr != sb.data() + sb.size() || a < 0 || b < a) {
    return std::nullopt;
  }
  return std::pair{a, b};
}

}  // namespace

http::Task<Status> RegistryService::ReceiveChunk(http::Request& request,
                                                 storage::BlobWriter& writer) {
  auto declared = request.body->declared_length();
  if (auto header = request.headers.Get("Content-Range")) {
    const std::string quoted = "Content-Range \"" + std::string(header->substr(0, 60)) + "\"";
    auto range = ParseContentRange(*header);
    if (!range) {
      co_return Fail(ErrorCode::kBlobUploadInvalid,
                     quoted + " is not <first>-<last>: send e.g. \"0-1023\" for the first KiB");
    }
    if (range->first != writer.size()) {
      co_return Fail(ErrorCode::kRangeInvalid,
                     quoted + " does not continue the upload, which holds " +
                         std::to_string(writer.size()) + " bytes: send the chunk starting at " +
                         "byte " + std::to_string(writer.size()));
    }
    const int64_t length = range->second - range->first + 1;
    if (declared && static_cast<int64_t>(*declared) != length) {
      co_return Fail(ErrorCode::kSizeInvalid,
                     quoted + " names " + std::to_string(length) + " bytes but the body has " +
                         std::to_string(*declared) + " (Content-Length): make them agree");
    }
  }
  // A body that fits one buffer is written inline; a larger one alternates between two
  // buffers, one being received while the other is written behind.
  size_t buffer_size = kChunkBuffer;
  if (declared && *declared < kChunkBuffer) {
    buffer_size = std::max<size_t>((*declared + kBufferAlign - 1) / kBufferAlign * kBufferAlign,
                                   kBufferAlign);
  }
  storage::WriteBuffer buffers[2] = {storage::NewWriteBuffer(buffer_size), nullptr};
  if (!buffers[0]) co_return Fail(ErrorCode::kInternal, "out of memory for the request body");
  std::unique_ptr<WriteBehind> behind;
  int current = 0;
  uint64_t received = 0;
  while (true) {
    char* buffer = buffers[current].get();
    size_t filled = 0;
    bool ended = false;
    Status read = Ok();
    while (filled < buffer_size) {
      auto n =
          co_await request.body->ReadSome(std::span<char>(buffer + filled, buffer_size - filled));
      if (!n) {
        read = std::unexpected(n.error());
        break;
      }
      if (*n == 0) {
        ended = true;
        break;
      }
      filled += *n;
      received += *n;
    }
    if (declared && received == *declared) ended = true;
    if (!read || ended) {
      Status previous = Ok();
      if (behind) previous = co_await behind->Wait();
      if (!previous) co_return previous;
      // On a read error, keep what arrived so the client can resume from there.
      Status last = filled > 0 ? writer.Write(std::span<const char>(buffer, filled)) : Ok();
      if (!read) co_return read;
      co_return last;
    }
    // A full buffer and more to come: write it behind while receiving into the other.
    if (!behind) {
      behind = std::make_unique<WriteBehind>(co_await asio::this_coro::executor);
      buffers[1] = storage::NewWriteBuffer(buffer_size);
      if (!buffers[1]) co_return Fail(ErrorCode::kInternal, "out of memory for the request body");
    } else {
      Status previous = co_await behind->Wait();
      if (!previous) co_return previous;
    }
    behind->Start(writer, std::span<const char>(buffer, filled));
    current ^= 1;
  }
}

void RegistryService::Discard(std::unique_ptr<storage::BlobWriter> writer) {
  std::string id = writer->id();
  (void)writer->Cancel();  // best effort: the session ends either way
  writer.reset();
  sessions_.Finish(id);
}

http::Task<http::Response> RegistryService::FinishUpload(
    http::Request& request, const metadata::Repository& repo,
    std::unique_ptr<storage::BlobWriter> writer, std::string_view digest_text, bool monolithic) {
  auto digest = Digest::Parse(digest_text);
  if (!digest) {
    if (monolithic) {
      Discard(std::move(writer));
    } else {
      sessions_.Return(std::move(writer));
    }
    co_return RegistryError(digest.error());
  }
  int64_t size = writer->size();
  std::string id = writer->id();
  if (auto ok = writer->Commit(*digest); !ok) {
    Error error = ok.error();
    if (monolithic) {
      Discard(std::move(writer));
      co_return RegistryError(error);
    }
    if (error.code == ErrorCode::kDigestInvalid) {
      // The session stays open with everything received, this PUT's chunk included.
      error.message += "; the upload is kept with its " + std::to_string(size) +
                       " bytes: PUT again with the right digest and no body, or DELETE it and "
                       "start over";
    }
    sessions_.Return(std::move(writer));
    co_return RegistryError(error);
  }
  writer.reset();
  sessions_.Finish(id);
  if (auto ok = content_.LinkBlob(repo, *digest, size); !ok) co_return RegistryError(ok.error());
  auto resp = http::EmptyResponse(201);
  resp.headers.Set("Location", "/v2/" + repo.name + "/blobs/" + digest->str());
  resp.headers.Set("Docker-Content-Digest", digest->str());
  co_return resp;
}

http::Task<http::Response> RegistryService::StartUpload(http::Request& request,
                                                        const metadata::Repository& repo,
                                                        const auth::Identity& who) {
  if (auto mount = request.Query("mount")) {
    auto digest = Digest::Parse(*mount);
    if (!digest) co_return RegistryError(digest.error());
    std::string from(request.Query("from").value_or(""));
    // Mounting needs pull access to the source; without it the client simply uploads.
    bool readable = !from.empty() && ValidateRepositoryName(from) &&
                    auth_.Authorize(who, from, auth::Action::kPull).has_value();
    if (readable) {
      auto mounted = content_.MountBlob(repo, *digest, from);
      if (mounted && *mounted) {
        auto resp = http::EmptyResponse(201);
        resp.headers.Set("Location", "/v2/" + repo.name + "/blobs/" + digest->str());
        resp.headers.Set("Docker-Content-Digest", digest->str());
        co_return resp;
      }
    }
  }
  if (auto algorithm = request.Query("digest-algorithm"); algorithm && *algorithm != "sha256") {
    co_return RegistryError(MakeError(ErrorCode::kDigestInvalid,
                                      "blobs are uploaded with sha256 here, not " +
                                          std::string(algorithm->substr(0, 40)) +
                                          ": leave digest-algorithm out or set it to sha256"));
  }
  auto writer = sessions_.Create(repo.name);
  if (!writer) co_return RegistryError(writer.error());
  const std::string digest(request.Query("digest").value_or(""));
  if (!digest.empty()) {
    Status received = co_await ReceiveChunk(request, **writer);
    if (!received) {
      Discard(std::move(*writer));
      co_return RegistryError(received.error());
    }
    co_return co_await FinishUpload(request, repo, std::move(*writer), digest,
                                    /*monolithic=*/true);
  }
  auto resp = SessionResponse(202, repo.name, **writer);
  sessions_.Return(std::move(*writer));
  co_return resp;
}

http::Task<http::Response> RegistryService::Upload(http::Request& request,
                                                   const metadata::Repository& repo,
                                                   const Route& route) {
  auto writer = sessions_.CheckOut(repo.name, route.arg);
  if (!writer) co_return RegistryError(writer.error());
  if (request.method == "GET") {
    auto resp = SessionResponse(204, repo.name, **writer);
    sessions_.Return(std::move(*writer));
    co_return resp;
  }
  if (request.method == "DELETE") {
    std::string id = (*writer)->id();
    auto ok = (*writer)->Cancel();
    writer->reset();
    sessions_.Finish(id);
    if (!ok) co_return RegistryError(ok.error());
    co_return http::EmptyResponse(204);
  }
  auto received = co_await ReceiveChunk(request, **writer);
  if (!received) {
    auto resp = RegistryError(received.error());
    if (received.error().code == ErrorCode::kRangeInvalid) {
      resp.headers.Set("Location", UploadLocation(repo.name, (*writer)->id()));
      resp.headers.Set("Range", RangeHeader((*writer)->size()));
    }
    sessions_.Return(std::move(*writer));
    co_return resp;
  }
  if (request.method == "PATCH") {
    auto resp = SessionResponse(202, repo.name, **writer);
    sessions_.Return(std::move(*writer));
    co_return resp;
  }
  const std::string digest(request.Query("digest").value_or(""));
  if (digest.empty()) {
    sessions_.Return(std::move(*writer));
    co_return RegistryError(MakeError(ErrorCode::kDigestInvalid,
                                      "PUT to finish an upload needs ?digest=<algorithm:hex>"));
  }
  co_return co_await FinishUpload(request, repo, std::move(*writer), digest,
                                  /*monolithic=*/false);
}

}  // namespace berth::registry
