#include "remote/transport.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "remote/url.h"

namespace berth::remote {
namespace {

// Idle easy handles kept (each with its open connections); above the parallel transfers one
// client runs, so that thousands of small requests reuse warm connections.
constexpr size_t kMaxIdleHandles = 32;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;

void Append(Slist& list, const std::string& line) {
  curl_slist* next = curl_slist_append(list.get(), line.c_str());
  if (next) {
    (void)list.release();
    list.reset(next);
  }
}

// State shared with the curl callbacks of one exchange.
struct Exchange {
  const TransportRequest* request;
  HttpResponse* response;
  size_t body_offset = 0;
  int64_t sent = 0;
  int64_t skipped = 0;
  std::optional<Error> callback_error{};
  // Blob bodies: the exchange fails when no byte has moved for `idle` (zero = never).
  std::chrono::seconds idle{0};
  std::string where{};
  std::chrono::steady_clock::time_point last_move{};
  curl_off_t moved = 0;
};

bool Cancelled(const CancelToken* cancel) { return cancel && *cancel && (*cancel)->load(); }

// Called by curl at least once a second, even while no data moves.
int OnProgress(void* user, curl_off_t, curl_off_t down, curl_off_t, curl_off_t up) {
  auto* ex = static_cast<Exchange*>(user);
  if (Cancelled(ex->request->cancel)) {
    ex->callback_error = MakeError(ErrorCode::kCancelled, "the transfer was stopped");
    return 1;
  }
  if (ex->idle.count() == 0) return 0;
  auto now = std::chrono::steady_clock::now();
  if (down + up != ex->moved) {
    ex->moved = down + up;
    ex->last_move = now;
  } else if (now - ex->last_move >= ex->idle) {
    ex->callback_error = MakeError(ErrorCode::kUnavailable,
                                   "the transfer with " + ex->where + " stalled: no data for " +
                                       std::to_string(ex->idle.count()) + " s");
    return 1;
  }
  return 0;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new response (after 100 Continue, or the first one).
    ex->response->headers.clear();
    size_t space = line.find(' ');
    ex->response->status = space == std::string_view::npos ? 0 : std::atoi(line.data() + space + 1);
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    ex->response->headers.emplace_back(Trim(line.substr(0, colon)), Trim(line.substr(colon + 1)));
  }
  return size * count;
}

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t n = size * count;
  int status = ex->response->status;
  if (ex->request->sink && status >= 200 && status < 300) {
    if (status == 200 && ex->skipped < ex->request->skip_on_200) {
      size_t drop =
          std::min<size_t>(n, static_cast<size_t>(ex->request->skip_on_200 - ex->skipped));
      ex->skipped += static_cast<int64_t>(drop);
      data += drop;
      n -= drop;
      if (n == 0) return size * count;
    }
    Status st = (*ex->request->sink)(std::span<const char>(data, n));
    if (!st) {
      ex->callback_error = std::move(st).error();
      return 0;
    }
    return size * count;
  }
  if (ex->response->body.size() + n > ex->request->max_body) {
    ex->callback_error =
        MakeError(ErrorCode::kBadRequest, "the answer is larger than " +
                                              std::to_string(ex->request->max_body >> 20) + " MiB");
    return 0;
  }
  ex->response->body.append(data, n);
  return n;
}

// Lets curl resend a body on a fresh connection: always for buffered bodies, for a
// streamed source only while nothing has been read from it.
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* ex = static_cast<Exchange*>(user);
  if (origin != SEEK_SET || offset != 0) return CURL_SEEKFUNC_CANTSEEK;
  if (ex->request->source) return ex->sent == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_CANTSEEK;
  ex->body_offset = 0;
  return CURL_SEEKFUNC_OK;
}

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  size_t room = size * count;
  const TransportRequest& req = *ex->request;
  if (req.source) {
    int64_t remaining = req.source_size - ex->sent;
    if (remaining <= 0) return 0;
    size_t want = std::min<size_t>(room, static_cast<size_t>(remaining));
    Result<size_t> got = (*req.source)(std::span<char>(buffer, want));
    if (!got) {
      ex->callback_error = std::move(got).error();
      return CURL_READFUNC_ABORT;
    }
    if (*got == 0 || *got > want) {
      ex->callback_error = MakeError(ErrorCode::kBadRequest,
                                     "the blob source ended after " + std::to_string(ex->sent) +
                                         " of " + std::to_string(req.source_size) + " bytes");
      return CURL_READFUNC_ABORT;
    }
    ex->sent += static_cast<int64_t>(*got);
    return *got;
  }
  size_t n = std::min(room, req.body.size() - ex->body_offset);
  std::memcpy(buffer, req.body.data() + ex->body_offset, n);
  ex->body_offset += n;
  return n;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

struct Transport::Handle {
  CURL* easy = nullptr;
  ~Handle() {
    if (easy) curl_easy_cleanup(easy);
  }
};

// Extra trusted certificates, parsed once; added to each new TLS context's store (which
// keeps the system roots).
struct Transport::CaStore {
  struct X509Free {
    void operator()(X509* cert) const { X509_free(cert); }
  };
  std::vector<std::unique_ptr<X509, X509Free>> certs;

  void Load(const std::string& pem) {
    if (pem.empty()) return;
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!bio) return;
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      certs.emplace_back(cert);
    }
    ERR_clear_error();  // end of input is reported as an error
    BIO_free(bio);
  }

  static CURLcode AddToContext(CURL*, void* ssl_ctx, void* user) {
    auto* self = static_cast<CaStore*>(user);
    X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
    for (const auto& cert : self->certs) X509_STORE_add_cert(store, cert.get());
    ERR_clear_error();  // duplicates are not an error for us
    return CURLE_OK;
  }
};

Transport::Transport(const ClientOptions& options)
    : tls_(options.tls),
      network_(options.network),
      user_agent_(options.user_agent),
      ca_(std::make_unique<CaStore>()) {
  GlobalInit();
  ca_->Load(tls_.ca_pem);
  ca_->Load(network_.extra_ca_pem);
  if ((!tls_.ca_pem.empty() || !network_.extra_ca_pem.empty()) && ca_->certs.empty()) {
    spdlog::warn("remote: the configured CA certificate text holds no PEM certificate");
  }
}

Transport::~Transport() = default;

std::unique_ptr<Transport::Handle> Transport::Acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  auto handle = std::make_unique<Handle>();
  handle->easy = curl_easy_init();
  return handle;
}

void Transport::Release(std::unique_ptr<Handle> handle) {
  curl_easy_reset(handle->easy);  // drops options, keeps the connection and DNS caches
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(handle));
}

Result<HttpResponse> Transport::Perform(const TransportRequest& request) {
  Url url;
  if (!ParseUrl(request.url, url)) {
    return Fail(ErrorCode::kBadRequest, "\"" + request.url + "\" is not an http(s) URL");
  }
  if (Cancelled(request.cancel)) {
    return Fail(ErrorCode::kCancelled, "the transfer was stopped");
  }
  auto handle = Acquire();
  if (!handle->easy) return Fail(ErrorCode::kInternal, "cannot create a curl handle");
  CURL* easy = handle->easy;

  HttpResponse response;
  Exchange ex{.request = &request, .response = &response};
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, user_agent_.c_str());
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(network_.connect_timeout.count()));
  if (request.blob) {
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                     static_cast<long>(network_.idle_timeout.count()));
  } else {
    curl_easy_setopt(easy, CURLOPT_TIMEOUT, static_cast<long>(network_.timeout.count()));
  }
  if (request.blob) {
    // Blob bodies arrive in large pieces: a sink (hash, file write) is called ~30 times
    // less often than with curl's 16 KiB default.
    curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 512L * 1024);
    ex.idle = network_.idle_timeout;
    ex.where = url.host + ":" + std::to_string(url.port);
    ex.last_move = std::chrono::steady_clock::now();
  }
  if ((request.cancel && *request.cancel) || ex.idle.count() > 0) {
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &ex);
  }
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &ex);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &OnWrite);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &ex);

  Slist connect_to;
  for (const std::string& entry : network_.connect_to) Append(connect_to, entry);
  if (connect_to) curl_easy_setopt(easy, CURLOPT_CONNECT_TO, connect_to.get());
  if (!network_.proxy.empty()) curl_easy_setopt(easy, CURLOPT_PROXY, network_.proxy.c_str());

  if (tls_.insecure) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  } else if (!ca_->certs.empty()) {
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_FUNCTION, &CaStore::AddToContext);
    curl_easy_setopt(easy, CURLOPT_SSL_CTX_DATA, ca_.get());
  }

  if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET" && !request.send_body) {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else {
    if (request.send_body) {
      curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(easy, CURLOPT_READFUNCTION, &OnRead);
      curl_easy_setopt(easy, CURLOPT_READDATA, &ex);
      curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, &OnSeek);
      curl_easy_setopt(easy, CURLOPT_SEEKDATA, &ex);
      curl_off_t size =
          request.source ? request.source_size : static_cast<curl_off_t>(request.body.size());
      curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, size);
    }
    if (request.method != "PUT" || !request.send_body) {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  }

  Slist headers;
  for (const std::string& line : request.headers) Append(headers, line);
  Append(headers, "Expect:");  // no 100-continue round trip
  if (request.send_body) Append(headers, "Transfer-Encoding:");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());

  CURLcode rc = curl_easy_perform(easy);
  curl_off_t connect_time = 0;
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_time);
  long os_errno = 0;
  curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
  Release(std::move(handle));

  if (ex.callback_error) return Fail(std::move(*ex.callback_error));
  if (rc == CURLE_OK) return response;

  std::string where = url.host + ":" + std::to_string(url.port);
  std::string detail = errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return Fail(ErrorCode::kBadRequest, "cannot resolve host " + url.host + ": check the URL");
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Fail(ErrorCode::kBadRequest,
                  "cannot resolve the proxy host: check the proxy setting (" + detail + ")");
    case CURLE_COULDNT_CONNECT:
      if (os_errno == ECONNREFUSED || Contains(detail, "refused")) {
        return Fail(
            ErrorCode::kBadRequest,
            "connection to " + where + " refused: is the registry running and the port right?");
      }
      return Fail(ErrorCode::kBadRequest,
                  "cannot connect to " + where + " (" + detail +
                      "): is the registry running, the port right and the network reachable?");
    case CURLE_OPERATION_TIMEDOUT: {
      if (connect_time != 0 && request.blob) {
        return Fail(ErrorCode::kUnavailable,
                    "the transfer with " + where + " stalled: no data for " +
                        std::to_string(network_.idle_timeout.count()) + " s");
      }
      auto seconds = connect_time == 0 ? network_.connect_timeout : network_.timeout;
      return Fail(ErrorCode::kUnavailable, where + " did not answer within " +
                                               std::to_string(seconds.count()) + " s" +
                                               (connect_time == 0 ? " (connecting)" : ""));
    }
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return Fail(ErrorCode::kBadRequest,
                  "TLS certificate of " + where + " is not trusted (" + detail +
                      "): untick Verify Remote Cert or add the CA certificate");
    case CURLE_SSL_CONNECT_ERROR:
      if (Contains(detail, "wrong version number") || Contains(detail, "packet length too long") ||
          Contains(detail, "record layer failure")) {
        return Fail(ErrorCode::kBadRequest,
                    where + " speaks plain HTTP, not HTTPS: use an http:// URL");
      }
      return Fail(ErrorCode::kBadRequest, "TLS handshake with " + where + " failed (" + detail +
                                              "): check that it serves HTTPS on this port");
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
      return Fail(ErrorCode::kBadRequest, "TLS setup for " + where + " failed (" + detail + ")");
    case CURLE_GOT_NOTHING:
      return Fail(ErrorCode::kUnavailable,
                  where + " closed the connection without answering: check the scheme and port");
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_SEND_FAIL_REWIND:  // the connection died under a streamed body
      return Fail(ErrorCode::kUnavailable,
                  "the connection to " + where + " broke (" + detail + ")");
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return Fail(ErrorCode::kBadRequest,
                  "\"" + url.str() + "\" is not a usable URL (" + detail + ")");
    default:
      return Fail(ErrorCode::kBadRequest, "request to " + where + " failed (" + detail + ")");
  }
}

}  // namespace berth::remote
