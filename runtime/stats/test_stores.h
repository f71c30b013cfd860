#pragma once
// Test helper: the real sandbox and container stores over a metadata
// database in a temporary directory, as the sampler tests use them.

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "runtime/stats/test_dir.h"
#include "runtime/store/container_store.h"
#include "runtime/store/metadata_db.h"
#include "runtime/store/sandbox_store.h"

namespace silo::runtime::stats::testing {

struct TestStores {
  absl::Status Open() {
    auto db = store::MetadataDb::Open(dir.path() + "/db");
    if (!db.ok()) return db.status();
    this->db = std::move(*db);
    sandboxes = std::make_unique<store::SandboxStore>(this->db.get());
    containers = std::make_unique<store::ContainerStore>(this->db.get());
    return absl::OkStatus();
  }

  TempDir dir;
  std::unique_ptr<store::MetadataDb> db;
  std::unique_ptr<store::SandboxStore> sandboxes;
  std::unique_ptr<store::ContainerStore> containers;
};

}  // namespace silo::runtime::stats::testing
