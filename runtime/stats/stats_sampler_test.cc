#include "runtime/stats/stats_sampler.h"

#include <atomic>

#include "gtest/gtest.h"
#include "runtime/linux/linux_stats_source.h"
#include "runtime/stats/test_stores.h"

namespace silo::runtime::stats {
namespace {

using linux_backend::CgroupCounters;
using linux_backend::LinuxStatsSource;

// The real Linux source over a cgroup v2 tree written by the test, and real
// stores over a database in a temp dir; only the clock is the test's.
class StatsSamplerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stores_.Open().ok());
    source_ = std::make_unique<LinuxStatsSource>(
        CgroupCounters(stores_.dir.path() + "/cg", linux_backend::CgroupMode::kV2), stores_.dir.path() + "/containers");
    SamplerOptions options;
    options.layer_every = 2;
    options.monotonic_now_ns = [this] { return now_ns_.load(); };
    sampler_ = std::make_unique<StatsSampler>(options, stores_.containers.get(), stores_.sandboxes.get(),
                                              source_.get());

    model::SandboxRecord s;
    s.id = "pod1";
    s.metadata.name = "p";
    s.state = model::SandboxState::kReady;
    s.cgroup_path = "/silo/pod1";
    ASSERT_TRUE(stores_.sandboxes->Add(s).ok());
    for (const char* id : {"c1", "c2"}) {
      model::ContainerRecord c;
      c.id = id;
      c.sandbox_id = "pod1";
      c.metadata = {std::string("name-") + id, 0};
      c.labels = {{"app", id}};
      c.created_at_ns = 1;
      c.started_at_ns = 2;
      ASSERT_TRUE(stores_.containers->Add(c).ok());
    }
    SetCpu("/silo/pod1/c1", 1000);
    SetCpu("/silo/pod1/c2", 0);
    SetCpu("/silo/pod1", 5000);
    stores_.dir.Write("cg/silo/pod1/c1/memory.current", "1000000\n");
    stores_.dir.Write("cg/silo/pod1/c1/memory.stat", "inactive_file 1000\n");
    stores_.dir.Write("containers/c1/upper/file", std::string(5000, 'x'));
  }

  void SetCpu(const std::string& group, uint64_t usec) {
    stores_.dir.Write("cg" + group + "/cpu.stat", "usage_usec " + std::to_string(usec) + "\n");
  }

  testing::TestStores stores_;
  std::atomic<int64_t> now_ns_{1'000'000'000};
  std::unique_ptr<LinuxStatsSource> source_;
  std::unique_ptr<StatsSampler> sampler_;
};

TEST_F(StatsSamplerTest, RateNeedsTwoSamples) {
  sampler_->SampleNow();
  auto v = sampler_->Container("c1");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->stats.has_value());
  EXPECT_EQ(v->stats->last.group.cpu_usage_ns, 1'000'000u);
  EXPECT_FALSE(v->stats->usage_nano_cores.has_value());
  EXPECT_EQ(v->stats->last.group.memory->working_set_bytes, 999000u);
  EXPECT_EQ(v->record.labels.at("app"), "c1");
  EXPECT_GT(v->stats->last.timestamp_ns, 0);

  // 0.5 s of CPU over 2 s: a quarter core.
  SetCpu("/silo/pod1/c1", 1000 + 500'000);
  now_ns_ += 2'000'000'000;
  sampler_->SampleNow();
  v = sampler_->Container("c1");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->stats->usage_nano_cores, 250'000'000u);
}

TEST_F(StatsSamplerTest, SandboxViewHoldsItsSampledContainers) {
  sampler_->SampleNow();
  auto pod = sampler_->Sandbox("pod1");
  ASSERT_TRUE(pod.ok()) << pod.status();
  ASSERT_TRUE(pod->stats.has_value());
  EXPECT_EQ(pod->stats->last.group.cpu_usage_ns, 5'000'000u);
  ASSERT_EQ(pod->containers.size(), 2u);
  auto all = sampler_->Sandboxes({});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].record.id, "pod1");
}

TEST_F(StatsSamplerTest, StoppedContainersAreNotSampledAndRemovedOnesAreNotFound) {
  sampler_->SampleNow();
  ASSERT_TRUE(stores_.containers->Update("c2", [](model::ContainerRecord& r) {
                r.finished_at_ns = 3;
                return absl::OkStatus();
              }).ok());
  sampler_->SampleNow();
  auto c2 = sampler_->Container("c2");
  ASSERT_TRUE(c2.ok());
  EXPECT_FALSE(c2->stats.has_value());
  EXPECT_EQ(sampler_->Sandbox("pod1")->containers.size(), 1u);

  ASSERT_TRUE(stores_.containers->Delete("c2").ok());
  EXPECT_TRUE(absl::IsNotFound(sampler_->Container("c2").status()));
  EXPECT_EQ(sampler_->Containers({}).size(), 1u);
  EXPECT_EQ(sampler_->Containers({.labels = {{"app", "c1"}}}).size(), 1u);
  EXPECT_TRUE(sampler_->Containers({.labels = {{"app", "c2"}}}).empty());
}

TEST_F(StatsSamplerTest, GroupGoneLeavesTheCache) {
  sampler_->SampleNow();
  ASSERT_TRUE(sampler_->Container("c2")->stats.has_value());
  std::filesystem::remove_all(stores_.dir.path() + "/cg/silo/pod1/c2");
  sampler_->SampleNow();
  EXPECT_FALSE(sampler_->Container("c2")->stats.has_value());
}

TEST_F(StatsSamplerTest, WritableLayerOnTheSlowTimer) {
  sampler_->SampleNow();  // tick 1: first sight, walked
  auto first = sampler_->Container("c1")->stats->writable_layer;
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->inodes_used, 2u);
  stores_.dir.Write("containers/c1/upper/more", std::string(100000, 'y'));
  sampler_->SampleNow();  // tick 2: not due, carried over
  EXPECT_EQ(sampler_->Container("c1")->stats->writable_layer->inodes_used, 2u);
  sampler_->SampleNow();  // tick 3: due again
  auto third = sampler_->Container("c1")->stats->writable_layer;
  EXPECT_EQ(third->inodes_used, 3u);
  EXPECT_GT(third->used_bytes, first->used_bytes);
}

TEST_F(StatsSamplerTest, BackgroundThreadSamplesUntilStopped) {
  SamplerOptions options;
  options.interval = std::chrono::milliseconds(10);
  std::mutex mu;
  std::condition_variable cv;
  int ticks = 0;
  StatsSampler sampler(options, stores_.containers.get(), stores_.sandboxes.get(), source_.get());
  sampler.SetTickObserver([&](const TickSummary& s) {
    EXPECT_EQ(s.containers_by_state.at(model::ContainerState::kRunning), 2);
    std::lock_guard<std::mutex> lock(mu);
    ++ticks;
    cv.notify_all();
  });
  sampler.Start();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return ticks >= 3; }));
  }
  sampler.Stop();
  EXPECT_TRUE(sampler.Container("c1")->stats->usage_nano_cores.has_value());
  int after_stop = ticks;
  sampler.Stop();  // idempotent
  EXPECT_EQ(ticks, after_stop);
}

}  // namespace
}  // namespace silo::runtime::stats
