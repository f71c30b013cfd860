#pragma once
// The fixture of the HostProcess monitor's tests: one container "c1" in job
// "silo-hpc-c1", its main process C:\hpc\server.exe (prints "up", runs
// until ended), over the fake ProcessApi, with its log and exit record in a
// fresh directory.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "runtime/windows/hostprocess/fake/fake_process_api.h"
#include "runtime/windows/hostprocess/hostprocess_monitor.h"

namespace silo::runtime::windows::hostprocess {

// The monitor as silo-shim.exe runs it, over the fake host.
class HostProcessMonitorTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(testing::TempDir()) /
           ("hpm-" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    fake_.SetProgram("C:\\hpc\\server.exe", fake::FakeProgram{"up\n", "", std::nullopt});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<HostProcessMonitor> Started() {
    HostProcessMonitorOptions options;
    options.launch.id = "c1";
    options.launch.rootfs = "C:\\ProgramData\\silo\\rootfs\\c1";
    HostProcessPlan& plan = options.launch.plan;
    plan.job_name = "silo-hpc-c1";
    plan.create_silo = true;
    plan.mount_point = "C:\\hpc";
    plan.command_line = "C:\\hpc\\server.exe";
    plan.working_directory = "C:\\hpc";
    options.log_path = (dir_ / "c1.log").string();
    options.exit_path = (dir_ / "c1.exit").string();
    auto monitor = HostProcessMonitor::Create(fake_.api(), std::move(options));
    EXPECT_TRUE(monitor.ok()) << monitor.status();
    if (!monitor.ok()) return nullptr;
    EXPECT_TRUE((*monitor)->Start().ok());
    return *std::move(monitor);
  }

  // Shutdown, then the monitor goes (its job with it): nothing is left.
  void ShutDownAndExpectNothingLeft(std::unique_ptr<HostProcessMonitor>& monitor) {
    ASSERT_TRUE(monitor->Shutdown().ok());
    monitor.reset();
    ExpectNothingLeft();
  }

  void ExpectNothingLeft() {
    EXPECT_EQ(fake_.open_handles(), 0);
    EXPECT_EQ(fake_.bad_closes(), 0);
    EXPECT_EQ(fake_.LiveProcesses(), 0);
    EXPECT_FALSE(fake_.JobExists("silo-hpc-c1"));
  }

  fake::FakeProcessApi fake_;
  std::filesystem::path dir_;
};

}  // namespace silo::runtime::windows::hostprocess
