#pragma once
// FakeRuntime: the portable core (stores, sandbox, image and container
// managers) over in-memory handlers and pod network, for tests that run as
// any user. The image manager is real and pulls one small image from a real
// local registry (Debian's docker-registry), started once per test program.
//
// Restart() rebuilds the managers over the same database, registry and
// hosts: what a silod restart looks like to containers that keep running.

#include <memory>
#include <string>
#include <vector>

#include "cri/api/cri.h"
#include "image/fake/fake_layer_store.h"
#include "image/image_manager.h"
#include "network/fake/fake_pod_network.h"
#include "runtime/container/container_manager.h"
#include "runtime/events/event_bus.h"
#include "runtime/fake/fake_handler.h"
#include "runtime/handler/registry.h"
#include "runtime/sandbox/sandbox_manager.h"
#include "runtime/store/container_store.h"
#include "runtime/store/metadata_db.h"
#include "runtime/store/sandbox_store.h"

namespace silo::runtime::fake {

class FakeRuntime {
 public:
  // Handlers as in the config: (name, type) pairs and the default's name;
  // every type is a fake one unless registered by `extra_types` first.
  struct Options {
    std::vector<handler::HandlerSpec> handlers = {{"", "fake", {}}};
    std::string default_handler;
    std::function<void(handler::HandlerRegistry&)> extra_types;
    // Fake types registered although no configured handler has them (a
    // type whose handlers all left the config).
    std::vector<std::string> unconfigured_fake_types;
  };

  static absl::StatusOr<std::unique_ptr<FakeRuntime>> Start(Options options);
  ~FakeRuntime();

  // New managers and handler registry over the same database and hosts,
  // recovered; with `options`, from a changed handler config.
  absl::Status Restart();
  absl::Status Restart(Options options);

  sandbox::SandboxManager& sandboxes() { return *sandboxes_; }
  container::ContainerManager& containers() { return *containers_; }
  image::ImageManager& images() { return *images_; }
  // Containers' rootfs (over the real snapshots of the pulled image).
  image::fake::FakeLayerStore& layers() { return *layers_; }
  handler::HandlerRegistry& handlers() { return *handlers_; }
  network::fake::FakePodNetwork& network() { return network_; }
  store::SandboxStore& sandbox_store() { return *sandbox_store_; }
  store::ContainerStore& container_store() { return *container_store_; }
  // What the managers publish (rebuilt by Restart).
  events::EventBus& events() { return *events_; }
  // The fake handler named `name` ("" = the default).
  FakeHandler& handler(const std::string& name, const std::string& type = "") { return FakeFor(*handlers_, name, type); }

  // The pulled image, by the reference the CRI requests name.
  const std::string& image_ref() const { return image_ref_; }
  // A valid pod and container request.
  static ::runtime::v1::PodSandboxConfig Pod(const std::string& name);
  ::runtime::v1::ContainerConfig Container(const std::string& name) const;

 private:
  FakeRuntime() = default;
  absl::Status Build();
  void StopManagers();

  Options options_;
  std::string dir_;
  std::string image_ref_;
  network::fake::FakePodNetwork network_;
  FakeMachine machine_;  // the hosts: they outlive managers and registries
  std::unique_ptr<handler::HandlerRegistry> handlers_;
  std::unique_ptr<store::MetadataDb> db_;
  std::unique_ptr<events::EventBus> events_;
  std::unique_ptr<store::SandboxStore> sandbox_store_;
  std::unique_ptr<sandbox::SandboxManager> sandboxes_;
  std::unique_ptr<image::ImageManager> images_;
  std::unique_ptr<image::fake::FakeLayerStore> layers_;  // kept across restarts, as the disk is
  std::unique_ptr<store::ContainerStore> container_store_;
  std::unique_ptr<container::ContainerManager> containers_;
};

}  // namespace silo::runtime::fake
