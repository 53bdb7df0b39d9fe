// The one conformance suite every BlobStore backend runs.
//
// A backend provides a factory for BlobStoreEnv: fresh, empty backing storage (a temp
// directory, a bucket prefix) from which any number of store objects can be opened. The
// suite opens a second object over the same storage to test resuming after a restart,
// and lists the backing objects to prove that cancelled or failed uploads leave nothing
// behind. Running it is one line in the backend's test file:
//
//   BERTH_BLOB_STORE_CONFORMANCE(Fs, [] { return std::make_unique<FsEnv>(); });
//
// blob_store_conformance.cc holds the TEST_P bodies; add it to the SOURCES of the test
// binary (not to a library, where the linker would drop the unreferenced tests).
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storage/blob_store.h"

namespace berth::storage::testing {

class BlobStoreEnv {
 public:
  virtual ~BlobStoreEnv() = default;
  // A new store object over this environment's storage; every one sees the same data.
  virtual std::unique_ptr<BlobStore> Open() = 0;
  // Every object (file, key) currently in the backing storage, in any order. Directory
  // entries that hold nothing are not objects.
  virtual std::vector<std::string> ListObjects() = 0;
};

using BlobStoreEnvFactory = std::function<std::unique_ptr<BlobStoreEnv>()>;

class BlobStoreConformance : public ::testing::TestWithParam<BlobStoreEnvFactory> {
 protected:
  void SetUp() override {
    env_ = GetParam()();
    store_ = env_->Open();
  }

  std::unique_ptr<BlobStoreEnv> env_;
  std::unique_ptr<BlobStore> store_;
};

}  // namespace berth::storage::testing

// Instantiates the conformance suite for one backend (at namespace scope).
#define BERTH_BLOB_STORE_CONFORMANCE(name, factory)      \
  using ::berth::storage::testing::BlobStoreConformance; \
  INSTANTIATE_TEST_SUITE_P(                              \
      name, BlobStoreConformance,                        \
      ::testing::Values(::berth::storage::testing::BlobStoreEnvFactory(factory)))
