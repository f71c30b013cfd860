#include "runtime/store/container_store.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/store/sandbox_store.h"
#include "runtime/store/temp_dir_for_test.h"

namespace silo::runtime::store {
namespace {

using model::ContainerRecord;
using model::ContainerState;

ContainerRecord Container(const std::string& id, const std::string& sandbox_id,
                          std::map<std::string, std::string> labels = {}) {
  ContainerRecord r;
  r.id = id;
  r.sandbox_id = sandbox_id;
  r.metadata = {"c-" + id, 0};
  r.created_at_ns = 10;
  r.labels = std::move(labels);
  return r;
}

class ContainerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = MetadataDb::Open(dir_.path());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = std::move(*db);
    sandboxes_ = std::make_unique<SandboxStore>(db_.get());
    containers_ = std::make_unique<ContainerStore>(db_.get());
    for (const char* id : {"sa", "sb"}) {
      model::SandboxRecord s;
      s.id = id;
      s.state = model::SandboxState::kReady;
      ASSERT_TRUE(sandboxes_->Add(s).ok());
    }
  }

  TempDirForTest dir_;
  std::unique_ptr<MetadataDb> db_;
  std::unique_ptr<SandboxStore> sandboxes_;
  std::unique_ptr<ContainerStore> containers_;
};

TEST_F(ContainerStoreTest, LifecycleFollowsTimestamps) {
  ASSERT_TRUE(containers_->Add(Container("c1", "sa")).ok());
  EXPECT_EQ(containers_->Get("c1")->State(), ContainerState::kCreated);
  auto running = containers_->Update("c1", [](ContainerRecord& r) {
    r.started_at_ns = 20;
    r.pid = 99;
    return absl::OkStatus();
  });
  ASSERT_TRUE(running.ok()) << running.status();
  EXPECT_EQ(running->State(), ContainerState::kRunning);
  auto exited = containers_->Update("c1", [](ContainerRecord& r) {
    r.finished_at_ns = 30;
    r.exit_code = 1;
    r.reason = "Error";
    return absl::OkStatus();
  });
  ASSERT_TRUE(exited.ok()) << exited.status();
  // EXITED -> RUNNING (clearing finished_at) is refused and nothing changes.
  absl::Status restart = containers_->Update("c1", [](ContainerRecord& r) {
                                      r.finished_at_ns = 0;
                                      return absl::OkStatus();
                                    })
                             .status();
  EXPECT_EQ(restart.code(), absl::StatusCode::kFailedPrecondition) << restart;
  EXPECT_EQ(containers_->Get("c1")->State(), ContainerState::kExited);
  EXPECT_EQ(containers_->Update("c1", [](ContainerRecord& r) {
                         r.sandbox_id = "sb";
                         return absl::OkStatus();
                       }).status().code(),
            absl::StatusCode::kInvalidArgument);

  ContainerStore reloaded(db_.get());
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_EQ(*reloaded.Get("c1"), *exited);
}

TEST_F(ContainerStoreTest, NeedsItsSandboxAndBlocksSandboxDelete) {
  absl::Status orphan = containers_->Add(Container("c1", "missing"));
  EXPECT_EQ(orphan.code(), absl::StatusCode::kFailedPrecondition) << orphan;
  EXPECT_EQ(containers_->size(), 0u);

  ASSERT_TRUE(containers_->Add(Container("c1", "sa")).ok());
  EXPECT_EQ(sandboxes_->Delete("sa").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(sandboxes_->Get("sa").ok());
  ASSERT_TRUE(containers_->Delete("c1").ok());
  EXPECT_TRUE(sandboxes_->Delete("sa").ok());
}

TEST_F(ContainerStoreTest, FiltersAndPrefixes) {
  ASSERT_TRUE(containers_->Add(Container("c100", "sa", {{"app", "web"}, {"role", "main"}})).ok());
  ASSERT_TRUE(containers_->Add(Container("c101", "sa", {{"app", "web"}, {"role", "side"}})).ok());
  ASSERT_TRUE(containers_->Add(Container("c200", "sb", {{"app", "web"}, {"role", "main"}})).ok());
  ASSERT_TRUE(containers_->Update("c101", [](ContainerRecord& r) {
                           r.started_at_ns = 11;
                           return absl::OkStatus();
                         }).ok());

  EXPECT_EQ(containers_->ResolveId("c2").value(), "c200");
  EXPECT_EQ(containers_->ResolveId("c1").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(containers_->List({.sandbox_id = "sa"}).size(), 2u);
  auto main_in_sa = containers_->List({.sandbox_id = "sa", .labels = {{"role", "main"}}});
  ASSERT_EQ(main_in_sa.size(), 1u);
  EXPECT_EQ(main_in_sa[0].id, "c100");
  auto running = containers_->List({.state = ContainerState::kRunning});
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].id, "c101");
  EXPECT_EQ(containers_->List({.labels = {{"app", "web"}, {"role", "main"}}}).size(), 2u);
  EXPECT_TRUE(containers_->List({.id = "c1"}).empty());  // ambiguous
  EXPECT_EQ(containers_->List({.id = "c10", .sandbox_id = "sa"}).size(), 0u);  // ambiguous too
  EXPECT_EQ(containers_->List({.id = "c2", .sandbox_id = "sa"}).size(), 0u);
}

// Visit hands over the records List would copy, with the same filters.
TEST_F(ContainerStoreTest, VisitSeesWhatListReturns) {
  ASSERT_TRUE(containers_->Add(Container("c100", "sa", {{"role", "main"}})).ok());
  ASSERT_TRUE(containers_->Add(Container("c101", "sa", {{"role", "side"}})).ok());
  ASSERT_TRUE(containers_->Add(Container("c200", "sb", {{"role", "main"}})).ok());
  std::vector<std::string> seen;
  containers_->Visit({.labels = {{"role", "main"}}}, [&seen](const ContainerRecord& r) { seen.push_back(r.id); });
  EXPECT_EQ(seen, (std::vector<std::string>{"c100", "c200"}));
  seen.clear();
  containers_->Visit({.id = "c1"}, [&seen](const ContainerRecord& r) { seen.push_back(r.id); });  // ambiguous
  EXPECT_TRUE(seen.empty());
  containers_->Visit({.sandbox_id = "sb"}, [&seen](const ContainerRecord& r) { seen.push_back(r.id); });
  EXPECT_EQ(seen, (std::vector<std::string>{"c200"}));
}

}  // namespace
}  // namespace silo::runtime::store
