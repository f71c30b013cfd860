#include "runtime/windows/hypervisor/hosted_container_document.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "runtime/windows/hypervisor/golden.h"

namespace silo::runtime::windows::hypervisor {
namespace {

constexpr char kShare1[] = "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\s1";
constexpr char kShare2[] = "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\s2";

HostedContainerInput Input() {
  HostedContainerInput in;
  in.hosting_system_id = "pod-1@vm";
  in.spec.container_id = "c1";
  in.spec.hostname = "web-0";
  in.spec.network_namespace = "0b4f5d0e-3c2a-4f57-9a61-7d1e2c3b4a59";
  in.spec.dns_search = {"svc.cluster.local", "cluster.local"};
  in.spec.resources.set_memory_limit_in_bytes(256 * 1024 * 1024);
  in.spec.resources.set_cpu_count(1);
  in.layers = {{"a1b2c3d4-0000-5000-8000-000000000012", kShare1}, {"a1b2c3d4-0000-5000-8000-000000000003", kShare2}};
  in.container_root_path = "c:\\mounts\\scsi\\m1";
  return in;
}

// hcsshim internal/uvm/create.go UtilityVM.CreateContainer (HCS-relayed):
// HostingSystemId + HostedSystem{SchemaVersion, Container}; the container's
// storage is all guest paths (internal/hcsoci/hcsdoc_wcow.go, isV2Xenon).
TEST(HostedContainerDocumentTest, DocumentMatchesGolden) {
  EXPECT_TRUE(MatchesGolden(BuildHostedContainerDocument(Input()), R"json({
    "Owner": "silo",
    "SchemaVersion": {"Major": 2, "Minor": 1},
    "HostingSystemId": "pod-1@vm",
    "HostedSystem": {
      "SchemaVersion": {"Major": 2, "Minor": 1},
      "Container": {
        "GuestOs": {"HostName": "web-0"},
        "Storage": {
          "Layers": [
            {"Id": "a1b2c3d4-0000-5000-8000-000000000012",
             "Path": "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\s1"},
            {"Id": "a1b2c3d4-0000-5000-8000-000000000003",
             "Path": "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\s2"}
          ],
          "Path": "c:\\mounts\\scsi\\m1"
        },
        "Memory": {"SizeInMB": 256},
        "Processor": {"Count": 1},
        "Networking": {"Namespace": "0b4f5d0e-3c2a-4f57-9a61-7d1e2c3b4a59",
                       "DnsSearchList": "svc.cluster.local,cluster.local"},
        "RegistryChanges": {"AddValues": [{
          "Key": {"Hive": "System", "Name": "ControlSet001\\Control"},
          "Name": "WaitToKillServiceTimeout", "Type": "String", "StringValue": "2147483647"}]}
      }
    }
  })json"));
}

TEST(HostedContainerDocumentTest, TerminateOnLastHandleClosedIsCarried) {
  HostedContainerInput in = Input();
  in.spec.terminate_on_last_handle_closed = true;
  in.spec.wait_to_kill_service_timeout_ms.reset();
  absl::StatusOr<std::string> doc = BuildHostedContainerDocument(in);
  ASSERT_TRUE(doc.ok()) << doc.status();
  const nlohmann::json j = nlohmann::json::parse(*doc);
  EXPECT_EQ(j.at("ShouldTerminateOnLastHandleClosed"), true);
  EXPECT_FALSE(j.at("HostedSystem").at("Container").contains("RegistryChanges"));
  EXPECT_FALSE(j.contains("Container"));
}

TEST(HostedContainerDocumentTest, BadInputIsRefused) {
  HostedContainerInput no_vm = Input();
  no_vm.hosting_system_id.clear();
  HostedContainerInput no_layers = Input();
  no_layers.layers.clear();
  HostedContainerInput bad_root = Input();
  bad_root.container_root_path = "m1";
  HostedContainerInput bad_layer = Input();
  bad_layer.layers[0].id = "12";
  for (const HostedContainerInput& in : {no_vm, no_layers, bad_root, bad_layer}) {
    EXPECT_EQ(BuildHostedContainerDocument(in).status().code(), absl::StatusCode::kInvalidArgument);
  }
  HostedContainerInput mount = Input();
  ::runtime::v1::Mount m;
  m.set_host_path("C:\\data");
  m.set_container_path("C:\\data");
  mount.spec.mounts.push_back(m);
  EXPECT_EQ(BuildHostedContainerDocument(mount).status().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace silo::runtime::windows::hypervisor
