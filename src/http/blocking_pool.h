// BlockingPool: runs blocking work (outbound HTTP through libcurl, long disk work) off the
// io threads, so a slow remote never stalls unrelated connections.
//
// Thread safety: Run may be called from any coroutine on any io thread; the coroutine
// resumes on its own executor when the work is done.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>

#include "http/message.h"

namespace berth::http {

class BlockingPool {
 public:
  explicit BlockingPool(int threads) : pool_(threads) {}
  ~BlockingPool() { pool_.join(); }
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Runs `work` on a pool thread and returns its result to the awaiting coroutine.
  // `work` must not throw. Pass a named std::function (std::move(job)), never a lambda
  // temporary in the co_await expression: GCC 12 destroys temporaries of a co_await
  // full-expression twice.
  template <typename T>
  Task<T> Run(std::function<T()> work) {
    // The work travels as a coroutine parameter (copied into the frame), not as a
    // lambda capture: GCC 12 mishandles captures of coroutine lambdas.
    co_return co_await boost::asio::co_spawn(pool_.get_executor(), Invoke<T>(std::move(work)),
                                             boost::asio::use_awaitable);
  }

  void Stop() { pool_.stop(); }

 private:
  template <typename T>
  static Task<T> Invoke(std::function<T()> work) {
    co_return work();
  }

  boost::asio::thread_pool pool_;
};

}  // namespace berth::http
