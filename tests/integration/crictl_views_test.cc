// What `crictl inspect`, `inspectp`, `inspecti`, `stats`, `statsp`, `events`
// and `imagefsinfo` show: the verbose info keys operators know from
// containerd, with the types crictl and jq users rely on, and real values.
#include <thread>

#include "absl/strings/match.h"
#include "nlohmann/json.hpp"
#include "tests/support/quickstart_pod.h"

namespace silo::testing {
namespace {

using CrictlViewsTest = QuickStartPodTest;

nlohmann::json InfoJson(const google::protobuf::Map<std::string, std::string>& info) {
  auto it = info.find("info");
  EXPECT_NE(it, info.end()) << "no info[\"info\"]";
  if (it == info.end()) return nullptr;
  nlohmann::json doc = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(doc.is_object()) << it->second;
  return doc;
}

TEST_F(CrictlViewsTest, InspectViewsCarryContainerdKeysAndStatsEventsAndFsInfoHaveRealValues) {
  // Events from before the pod exists, as `crictl events` would see them.
  grpc::ClientContext events_ctx;
  auto events = rt_->GetContainerEvents(&events_ctx, {});

  const auto pod = PodConfig();
  const auto container = ContainerConfig();
  Pull(container.image().image());
  const std::string pod_id = RunPod(pod);
  ASSERT_FALSE(pod_id.empty());
  const std::string id = CreateAndStart(pod_id, pod, container);
  ASSERT_FALSE(id.empty());

  {  // crictl inspect
    grpc::ClientContext ctx;
    ::runtime::v1::ContainerStatusRequest req;
    req.set_container_id(id);
    req.set_verbose(true);
    ::runtime::v1::ContainerStatusResponse resp;
    ASSERT_TRUE(rt_->ContainerStatus(&ctx, req, &resp).ok());
    nlohmann::json info = InfoJson(resp.info());
    ASSERT_TRUE(info.is_object());
    EXPECT_EQ(info.value("sandboxID", ""), pod_id);
    ASSERT_TRUE(info["pid"].is_number_integer());
    EXPECT_GT(info["pid"].get<int64_t>(), 0);
    EXPECT_EQ(info.value("imageRef", ""), container.image().image());
    EXPECT_TRUE(info["imageID"].is_string());
    EXPECT_EQ(info.value("logPath", ""), pod.log_directory() + "/" + container.log_path());
    EXPECT_TRUE(info["runtimeHandler"].is_string());
    EXPECT_EQ(info.value("runtimeType", ""), "runc");
    ASSERT_TRUE(info["config"].is_object());
    EXPECT_EQ(info["config"]["metadata"].value("name", ""), container.metadata().name());
    // runtimeSpec: the OCI spec runc was given, with the container's command.
    const nlohmann::json& spec = info["runtimeSpec"];
    ASSERT_TRUE(spec.is_object()) << info.dump();
    EXPECT_TRUE(spec["ociVersion"].is_string());
    ASSERT_TRUE(spec["process"]["args"].is_array());
    EXPECT_EQ(spec["process"]["args"].back().get<std::string>(), container.command(2));
    EXPECT_TRUE(spec["root"]["path"].is_string());
    EXPECT_TRUE(spec["linux"]["namespaces"].is_array());
  }
  {  // crictl inspectp
    grpc::ClientContext ctx;
    ::runtime::v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(pod_id);
    req.set_verbose(true);
    ::runtime::v1::PodSandboxStatusResponse resp;
    ASSERT_TRUE(rt_->PodSandboxStatus(&ctx, req, &resp).ok());
    nlohmann::json info = InfoJson(resp.info());
    ASSERT_TRUE(info.is_object());
    EXPECT_TRUE(info["runtimeHandler"].is_string());
    EXPECT_EQ(info.value("runtimeType", ""), "runc");
    EXPECT_TRUE(info["netNamespacePath"].is_string());
    // silod's own record keys stay beside containerd's (tools read them).
    EXPECT_EQ(info["netns_path"], info["netNamespacePath"]);
    EXPECT_TRUE(info["cgroup_path"].is_string());
    EXPECT_EQ(info["netNamespaceClosed"], false);
    ASSERT_TRUE(info["config"].is_object());
    EXPECT_EQ(info["config"]["metadata"].value("name", ""), pod.metadata().name());
    // cniResult: the bridge plugin chain's result, holding the pod's address.
    const nlohmann::json& cni = info["cniResult"];
    ASSERT_TRUE(cni.is_object()) << info.dump();
    ASSERT_TRUE(cni["ips"].is_array());
    ASSERT_FALSE(cni["ips"].empty());
    EXPECT_TRUE(absl::StartsWith(cni["ips"][0].value("address", ""), resp.status().network().ip() + "/"))
        << cni.dump();
    EXPECT_TRUE(cni["interfaces"].is_array());
  }
  {  // crictl inspecti
    grpc::ClientContext ctx;
    ::runtime::v1::ImageStatusRequest req;
    req.mutable_image()->set_image(container.image().image());
    req.set_verbose(true);
    ::runtime::v1::ImageStatusResponse resp;
    ASSERT_TRUE(rt_ != nullptr);
    ASSERT_TRUE(img_->ImageStatus(&ctx, req, &resp).ok());
    nlohmann::json info = InfoJson(resp.info());
    ASSERT_TRUE(info.is_object());
    EXPECT_TRUE(absl::StartsWith(info.value("chainID", ""), "sha256:")) << info.dump();
    ASSERT_TRUE(info["imageSpec"].is_object());
    EXPECT_EQ(info["imageSpec"].value("os", ""), "linux");
    EXPECT_TRUE(info["imageSpec"]["rootfs"]["diff_ids"].is_array());
    EXPECT_TRUE(info["imageSpec"]["config"]["Cmd"].is_array());
  }
  {  // crictl stats and statsp: values the sampler read, not zeros.
    ::runtime::v1::ListContainerStatsResponse stats;
    ::runtime::v1::ListPodSandboxStatsResponse pods;
    for (int i = 0; i < 100; ++i) {
      grpc::ClientContext c1, c2;
      ASSERT_TRUE(rt_->ListContainerStats(&c1, {}, &stats).ok());
      ASSERT_TRUE(rt_->ListPodSandboxStats(&c2, {}, &pods).ok());
      if (stats.stats_size() == 1 && stats.stats(0).memory().working_set_bytes().value() > 0 &&
          stats.stats(0).cpu().usage_core_nano_seconds().value() > 0 && pods.stats_size() == 1 &&
          pods.stats(0).linux().network().interfaces_size() > 0) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(stats.stats_size(), 1);
    const auto& c = stats.stats(0);
    EXPECT_EQ(c.attributes().id(), id);
    EXPECT_EQ(c.attributes().metadata().name(), container.metadata().name());
    EXPECT_GT(c.cpu().usage_core_nano_seconds().value(), 0u);
    EXPECT_GT(c.memory().working_set_bytes().value(), 0u);
    EXPECT_GT(c.cpu().timestamp(), 0);
    ASSERT_EQ(pods.stats_size(), 1);
    const auto& p = pods.stats(0);
    EXPECT_EQ(p.attributes().id(), pod_id);
    EXPECT_GT(p.linux().cpu().usage_core_nano_seconds().value(), 0u);
    EXPECT_GT(p.linux().memory().working_set_bytes().value(), 0u);
    ASSERT_GT(p.linux().network().interfaces_size(), 0);
    EXPECT_EQ(p.linux().network().default_interface().name(), "eth0");
    EXPECT_EQ(p.linux().containers_size(), 1);
  }
  {  // crictl imagefsinfo
    grpc::ClientContext ctx;
    ::runtime::v1::ImageFsInfoResponse fs;
    ASSERT_TRUE(img_->ImageFsInfo(&ctx, {}, &fs).ok());
    ASSERT_EQ(fs.image_filesystems_size(), 1);
    EXPECT_FALSE(fs.image_filesystems(0).fs_id().mountpoint().empty());
    EXPECT_GT(fs.image_filesystems(0).used_bytes().value(), 0u);
    EXPECT_GT(fs.image_filesystems(0).inodes_used().value(), 0u);
    EXPECT_GT(fs.image_filesystems(0).timestamp(), 0);
  }

  StopAndRemovePod(pod_id);
  // crictl events: created, started, stopped and deleted, each naming the pod.
  std::vector<::runtime::v1::ContainerEventType> seen;
  ::runtime::v1::ContainerEventResponse event;
  while (seen.size() < 4 && events->Read(&event)) {
    if (event.container_id() != id) continue;
    seen.push_back(event.container_event_type());
    EXPECT_GT(event.created_at(), 0);
    EXPECT_EQ(event.pod_sandbox_status().id(), pod_id);
  }
  events_ctx.TryCancel();
  EXPECT_EQ(seen, (std::vector<::runtime::v1::ContainerEventType>{
                      ::runtime::v1::CONTAINER_CREATED_EVENT, ::runtime::v1::CONTAINER_STARTED_EVENT,
                      ::runtime::v1::CONTAINER_STOPPED_EVENT, ::runtime::v1::CONTAINER_DELETED_EVENT}));
}

}  // namespace
}  // namespace silo::testing
