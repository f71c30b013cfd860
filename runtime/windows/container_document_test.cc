#include "runtime/windows/container_document.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/build_paths.h"
#include "runtime/base/file_util.h"
#include "runtime/windows/schema/json.h"

namespace silo::runtime::windows {
namespace {

using ::testing::HasSubstr;

constexpr char kScratch[] = "\\\\?\\Volume{4c1b1ff0-8a3f-4c1a-9d9a-1234567890ab}\\";
constexpr char kNamespace[] = "0b4f5d0e-3c2a-4f57-9a61-7d1e2c3b4a59";

ContainerSpecInput PlainInput() {
  ContainerSpecInput in;
  in.container_id = "c0ffee";
  in.hostname = "web-0";
  in.parent_layers = {
      {"a1b2c3d4-0000-5000-8000-000000000012", "C:\\ProgramData\\silo\\layers\\12"},
      {"a1b2c3d4-0000-5000-8000-000000000003", "C:\\ProgramData\\silo\\layers\\3"},
  };
  in.scratch_volume_path = kScratch;
  in.network_namespace = kNamespace;
  return in;
}

::runtime::v1::Mount MakeMount(const std::string& host, const std::string& container,
                               bool readonly) {
  ::runtime::v1::Mount m;
  m.set_host_path(host);
  m.set_container_path(container);
  m.set_readonly(readonly);
  return m;
}

// Compares the document with tests/testdata/windows/<name>; SILO_UPDATE_GOLDEN=1 rewrites it.
void ExpectGolden(const schema::ComputeSystem& doc, const std::string& name) {
  absl::StatusOr<std::string> got = schema::ToJsonString(doc, 2);
  ASSERT_TRUE(got.ok()) << got.status();
  const std::string text = *got + "\n";
  const std::string path = silo::testing::SourceDir() + "/tests/testdata/windows/" + name;
  const char* update = std::getenv("SILO_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    ASSERT_TRUE(AtomicWriteFile(path, text).ok()) << path;
    return;
  }
  absl::StatusOr<std::string> want = ReadFile(path);
  ASSERT_TRUE(want.ok()) << want.status() << " (run with SILO_UPDATE_GOLDEN=1 to create it)";
  EXPECT_EQ(text, *want) << "golden " << path << " differs; review, then SILO_UPDATE_GOLDEN=1";
}

TEST(ContainerDocumentTest, PlainContainerGolden) {
  absl::StatusOr<schema::ComputeSystem> doc = BuildContainerDocument(PlainInput());
  ASSERT_TRUE(doc.ok()) << doc.status();
  ExpectGolden(*doc, "plain_container.json");
}

TEST(ContainerDocumentTest, CpuMaximumAndMemoryGolden) {
  ContainerSpecInput in = PlainInput();
  in.resources.set_cpu_maximum(2500);
  in.resources.set_memory_limit_in_bytes(512LL * 1024 * 1024 + 1);  // rounds up to 513 MiB
  absl::StatusOr<schema::ComputeSystem> doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ExpectGolden(*doc, "cpu_maximum_memory.json");
}

TEST(ContainerDocumentTest, MountsGolden) {
  ContainerSpecInput in = PlainInput();
  in.mounts.push_back(MakeMount("C:\\var\\lib\\kubelet\\pods\\p1\\volumes\\cfg", "C:\\cfg", true));
  in.mounts.push_back(MakeMount("C:\\data", "c:/data", false));
  in.mounts.push_back(MakeMount("\\\\.\\pipe\\docker_engine", "\\\\.\\pipe\\docker_engine", false));
  absl::StatusOr<schema::ComputeSystem> doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ExpectGolden(*doc, "mounts.json");
}

TEST(ContainerDocumentTest, LayerOrderIsKept) {
  absl::StatusOr<schema::ComputeSystem> doc = BuildContainerDocument(PlainInput());
  ASSERT_TRUE(doc.ok());
  const auto& layers = doc->container->storage->layers;
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].path, "C:\\ProgramData\\silo\\layers\\12");  // nearest parent first
  EXPECT_EQ(layers[1].path, "C:\\ProgramData\\silo\\layers\\3");   // base last
}

TEST(ContainerDocumentTest, CpuPrecedenceCountThenMaximumThenShares) {
  ContainerSpecInput in = PlainInput();
  in.resources.set_cpu_count(4);
  in.resources.set_cpu_maximum(5000);
  in.resources.set_cpu_shares(300);
  auto doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->container->processor->count, 4);
  EXPECT_EQ(doc->container->processor->maximum, 0);
  EXPECT_EQ(doc->container->processor->weight, 0);

  in.resources.set_cpu_count(0);
  doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->container->processor->maximum, 5000);
  EXPECT_EQ(doc->container->processor->weight, 0);

  in.resources.set_cpu_maximum(0);
  doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->container->processor->weight, 300);
  EXPECT_EQ(doc->container->processor->count, 0);

  in.resources.set_cpu_shares(0);
  doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok());
  EXPECT_FALSE(doc->container->processor.has_value());
}

TEST(ContainerDocumentTest, CpuValuesAreClamped) {
  ContainerSpecInput in = PlainInput();
  in.host_cpu_count = 2;
  in.resources.set_cpu_count(16);
  auto doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->container->processor->count, 2);

  in.resources.set_cpu_count(0);
  in.resources.set_cpu_maximum(20000);
  doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->container->processor->maximum, 10000);

  in.resources.set_cpu_maximum(0);
  in.resources.set_cpu_shares(65535);
  doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->container->processor->weight, 10000);
}

TEST(ContainerDocumentTest, MemoryRoundsUpToWholeMiB) {
  ContainerSpecInput in = PlainInput();
  in.resources.set_memory_limit_in_bytes(1024 * 1024);
  auto doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->container->memory->size_in_mb, 1u);
  in.resources.set_memory_limit_in_bytes(1);
  doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->container->memory->size_in_mb, 1u);
  in.resources.set_memory_limit_in_bytes(0);
  doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok());
  EXPECT_FALSE(doc->container->memory.has_value());
}

TEST(ContainerDocumentTest, ScratchPathGetsTrailingBackslash) {
  ContainerSpecInput in = PlainInput();
  in.scratch_volume_path = "\\\\?\\Volume{4c1b1ff0-8a3f-4c1a-9d9a-1234567890ab}";
  auto doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->container->storage->path, kScratch);
}

TEST(ContainerDocumentTest, HostPathResolverIsAppliedToDirectoriesOnly) {
  ContainerSpecInput in = PlainInput();
  in.mounts.push_back(MakeMount("C:\\link", "C:\\d", false));
  in.mounts.push_back(MakeMount("\\\\.\\pipe\\p", "\\\\.\\pipe\\q", false));
  in.resolve_host_path = [](const std::string& p) -> absl::StatusOr<std::string> {
    return p + "-target";
  };
  auto doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->container->mapped_directories.at(0).host_path, "C:\\link-target");
  EXPECT_EQ(doc->container->mapped_pipes.at(0).host_path, "\\\\.\\pipe\\p");
  EXPECT_EQ(doc->container->mapped_pipes.at(0).container_pipe_name, "q");

  in.resolve_host_path = [](const std::string& p) -> absl::StatusOr<std::string> {
    return absl::NotFoundError("no such file");
  };
  doc = BuildContainerDocument(in);
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(doc.status().message(), HasSubstr("C:\\link"));
}

TEST(ContainerDocumentTest, RegistryAndTerminationOptions) {
  ContainerSpecInput in = PlainInput();
  in.wait_to_kill_service_timeout_ms = std::nullopt;
  in.terminate_on_last_handle_closed = true;
  in.network_namespace.clear();
  auto doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok());
  EXPECT_FALSE(doc->container->registry_changes.has_value());
  EXPECT_FALSE(doc->container->networking.has_value());
  EXPECT_TRUE(doc->should_terminate_on_last_handle_closed);
  EXPECT_FALSE(BuildContainerDocument(PlainInput())->should_terminate_on_last_handle_closed)
      << "containers outlive silod's handle by default";
}

struct BadCase {
  const char* what;
  void (*mutate)(ContainerSpecInput&);
};

TEST(ContainerDocumentTest, InvalidInputsAreRejected) {
  const BadCase cases[] = {
      {"no layers", [](ContainerSpecInput& in) { in.parent_layers.clear(); }},
      {"layer id", [](ContainerSpecInput& in) { in.parent_layers[0].id = "12"; }},
      {"layer path", [](ContainerSpecInput& in) { in.parent_layers[1].path = "layers\\3"; }},
      {"scratch", [](ContainerSpecInput& in) { in.scratch_volume_path = "C:\\scratch"; }},
      {"namespace", [](ContainerSpecInput& in) { in.network_namespace = "not-a-guid"; }},
      {"relative container path",
       [](ContainerSpecInput& in) { in.mounts.push_back(MakeMount("C:\\a", "data", false)); }},
      {"empty container path",
       [](ContainerSpecInput& in) { in.mounts.push_back(MakeMount("C:\\a", "", false)); }},
      {"rooted without drive",
       [](ContainerSpecInput& in) { in.mounts.push_back(MakeMount("C:\\a", "\\data", false)); }},
      {"relative host path",
       [](ContainerSpecInput& in) { in.mounts.push_back(MakeMount("a", "C:\\a", false)); }},
      {"pipe to directory",
       [](ContainerSpecInput& in) {
         in.mounts.push_back(MakeMount("\\\\.\\pipe\\x", "C:\\x", false));
       }},
      {"empty pipe name",
       [](ContainerSpecInput& in) {
         in.mounts.push_back(MakeMount("\\\\.\\pipe\\x", "\\\\.\\pipe\\", false));
       }},
      {"negative memory",
       [](ContainerSpecInput& in) { in.resources.set_memory_limit_in_bytes(-1); }},
      {"negative cpu", [](ContainerSpecInput& in) { in.resources.set_cpu_maximum(-5); }},
  };
  for (const BadCase& c : cases) {
    ContainerSpecInput in = PlainInput();
    c.mutate(in);
    auto doc = BuildContainerDocument(in);
    EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_THAT(doc.status().message(), HasSubstr("c0ffee")) << c.what;
  }
}

// CPU affinity has no field in the Argon document: refused, naming the
// field, rather than dropped.
TEST(ContainerDocumentTest, CpuAffinityIsRefusedNotDropped) {
  ContainerSpecInput in = PlainInput();
  auto* affinity = in.resources.add_affinity_cpus();
  affinity->set_cpu_group(0);
  affinity->set_cpu_mask(0x3);
  auto doc = BuildContainerDocument(in);
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kUnimplemented) << doc.status();
  EXPECT_THAT(doc.status().message(), HasSubstr("resources.affinity_cpus"));
  EXPECT_THAT(doc.status().message(), HasSubstr("c0ffee"));
}

// The scratch size is a scratch-creation option, not a document field: the
// document is the plain one, and a negative size is refused.
TEST(ContainerDocumentTest, RootfsSizeSizesTheScratchNotTheDocument) {
  ContainerSpecInput in = PlainInput();
  in.resources.set_rootfs_size_in_bytes(40LL << 30);
  EXPECT_EQ(*ScratchSizeBytes(in.resources), 40ULL << 30);
  absl::StatusOr<schema::ComputeSystem> doc = BuildContainerDocument(in);
  ASSERT_TRUE(doc.ok()) << doc.status();
  ExpectGolden(*doc, "plain_container.json");
  EXPECT_EQ(*ScratchSizeBytes(::runtime::v1::WindowsContainerResources()), 0u);

  in.resources.set_rootfs_size_in_bytes(-1);
  EXPECT_EQ(ScratchSizeBytes(in.resources).status().code(), absl::StatusCode::kInvalidArgument);
  auto bad = BuildContainerDocument(in);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument) << bad.status();
  EXPECT_THAT(bad.status().message(), HasSubstr("resources.rootfs_size_in_bytes"));
}

TEST(ProcessParametersTest, NonTtyProcess) {
  ProcessInput in;
  in.args = {"C:\\app\\server.exe", "--name", "a b"};
  in.env = {{"PATH", "C:\\Windows"}, {"EMPTY", ""}, {"X", "1"}, {"X", "2"}};
  in.working_directory = "C:\\app";
  in.user = "ContainerUser";
  in.open_stdin = true;
  in.console_height = 24;
  in.console_width = 80;
  auto p = BuildProcessParameters(in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(nlohmann::json(*p), nlohmann::json::parse(R"({
    "CommandLine": "C:\\app\\server.exe --name \"a b\"",
    "User": "ContainerUser",
    "WorkingDirectory": "C:\\app",
    "Environment": {"PATH": "C:\\Windows", "X": "2"},
    "CreateStdInPipe": true,
    "CreateStdOutPipe": true,
    "CreateStdErrPipe": true
  })"));
}

TEST(ProcessParametersTest, TtyProcess) {
  ProcessInput in;
  in.args = {"cmd.exe"};
  in.env = {{"A", "1"}, {"A", ""}};
  in.tty = true;
  in.console_height = 30;
  in.console_width = 120;
  auto p = BuildProcessParameters(in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(nlohmann::json(*p), nlohmann::json::parse(R"({
    "CommandLine": "cmd.exe",
    "EmulateConsole": true,
    "CreateStdOutPipe": true,
    "ConsoleSize": [30, 120]
  })"));
}

TEST(ProcessParametersTest, RejectsBadInput) {
  ProcessInput in;
  EXPECT_EQ(BuildProcessParameters(in).status().code(), absl::StatusCode::kInvalidArgument);
  in.args = {"a.exe"};
  in.env = {{"A=B", "1"}};
  EXPECT_EQ(BuildProcessParameters(in).status().code(), absl::StatusCode::kInvalidArgument);
  in.env = {{"", "1"}};
  EXPECT_EQ(BuildProcessParameters(in).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ProcessParametersTest, ArgsEscapedCommandLineIsPassedRaw) {
  ProcessInput in;
  in.args = {"cmd /S /C echo hi", "extra arg"};
  in.args_escaped = true;
  auto p = BuildProcessParameters(in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->command_line, R"(cmd /S /C echo hi "extra arg")");
  in.args_escaped = false;  // the same argv from the CRI: one program name, quoted
  p = BuildProcessParameters(in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->command_line, R"("cmd /S /C echo hi" "extra arg")");
}

TEST(ResourceUpdateTest, MemoryThenProcessorModifyRequestsGolden) {
  ::runtime::v1::WindowsContainerResources r;
  r.set_memory_limit_in_bytes(256 * 1024 * 1024 + 1);  // rounds up, as at creation
  r.set_cpu_maximum(2500);
  auto docs = BuildResourceUpdateRequests(r, 8);
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_THAT(*docs, ::testing::ElementsAre(
                         R"({"RequestType":"Update","ResourcePath":"Container/Memory/SizeInMB","Settings":257})",
                         R"({"RequestType":"Update","ResourcePath":"Container/Processor","Settings":{"Maximum":2500}})"));

  ::runtime::v1::WindowsContainerResources count;
  count.set_cpu_count(64);  // clamped to the host
  docs = BuildResourceUpdateRequests(count, 8);
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_THAT(*docs, ::testing::ElementsAre(
                         R"({"RequestType":"Update","ResourcePath":"Container/Processor","Settings":{"Count":8}})"));

  ::runtime::v1::WindowsContainerResources shares;
  shares.set_cpu_shares(20000);  // clamped to 10000
  docs = BuildResourceUpdateRequests(shares, 8);
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_THAT(*docs, ::testing::ElementsAre(
                         R"({"RequestType":"Update","ResourcePath":"Container/Processor","Settings":{"Weight":10000}})"));

  docs = BuildResourceUpdateRequests({}, 8);
  ASSERT_TRUE(docs.ok());
  EXPECT_TRUE(docs->empty());
}

TEST(ResourceUpdateTest, WhatCannotChangeLiveIsRefusedByName) {
  ::runtime::v1::WindowsContainerResources two_cpu;
  two_cpu.set_cpu_count(2);
  two_cpu.set_cpu_shares(100);
  auto docs = BuildResourceUpdateRequests(two_cpu, 8);
  EXPECT_TRUE(absl::IsInvalidArgument(docs.status())) << docs.status();
  EXPECT_THAT(docs.status().message(), HasSubstr("exclusive"));

  ::runtime::v1::WindowsContainerResources negative;
  negative.set_memory_limit_in_bytes(-1);
  EXPECT_TRUE(absl::IsInvalidArgument(BuildResourceUpdateRequests(negative, 8).status()));

  ::runtime::v1::WindowsContainerResources rootfs;
  rootfs.set_rootfs_size_in_bytes(1 << 30);
  docs = BuildResourceUpdateRequests(rootfs, 8);
  EXPECT_TRUE(absl::IsUnimplemented(docs.status())) << docs.status();
  EXPECT_THAT(docs.status().message(), HasSubstr("rootfs_size_in_bytes"));

  ::runtime::v1::WindowsContainerResources affinity;
  affinity.add_affinity_cpus()->set_cpu_group(0);
  docs = BuildResourceUpdateRequests(affinity, 8);
  EXPECT_TRUE(absl::IsUnimplemented(docs.status())) << docs.status();
  EXPECT_THAT(docs.status().message(), HasSubstr("affinity_cpus"));
}

}  // namespace
}  // namespace silo::runtime::windows
