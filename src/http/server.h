// The HTTP/1.1 server: Boost.Asio/Beast with C++20 coroutines, one coroutine per
// connection, keep-alive, streaming request bodies and sendfile(2) for file bodies.
#pragma once

#include <memory>
#include <string>

#include "common/error.h"
#include "http/message.h"

namespace berth::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 5000;  // 0 picks a free port; see Server::port()
  int threads = 0;       // io threads; 0 = 2 x hardware concurrency
  // Bodies with a file descriptor go out with sendfile(2); otherwise (the default) they
  // are read through a buffer, which measured faster on virtual machines.
  bool sendfile = false;
};

// Routes by path prefix; the longest matching prefix wins. Handlers run on io threads
// and may block briefly (local disk, SQLite), never on the network.
class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // REQUIRES: before Start().
  void Mount(std::string prefix, Handler handler);
  // Binds and listens; fails with a clear message when the address is taken.
  Status Start();
  uint16_t port() const;
  // Runs the io threads until Stop() (blocking).
  void Run();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::http
