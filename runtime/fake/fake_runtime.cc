#include "runtime/fake/fake_runtime.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "image/registry/testing/local_registry.h"
#include "image/registry/testing/oci_layout.h"
#include "runtime/base/status_macros.h"

namespace silo::runtime::fake {
namespace {

using image::registry::testing::LocalRegistry;
using image::registry::testing::OciLayout;

// One registry with one image for the whole test program: starting
// docker-registry costs more than most tests.
struct SharedRegistry {
  std::unique_ptr<LocalRegistry> registry;
  std::string ref;
};

// The shared registry, once started: its process is stopped when the test
// process exits (the shared state is never destroyed, so it would outlive
// every test binary that used it).
SharedRegistry* g_started = nullptr;

void StopSharedRegistry() {
  if (g_started != nullptr) g_started->registry.reset();
}

absl::StatusOr<const SharedRegistry*> Registry() {
  static absl::StatusOr<SharedRegistry>* shared = [] {
    auto* out = new absl::StatusOr<SharedRegistry>(absl::UnknownError("not started"));
    absl::StatusOr<std::unique_ptr<LocalRegistry>> reg = LocalRegistry::Start();
    if (!reg.ok()) {
      *out = reg.status();
      return out;
    }
    char tmpl[] = "/tmp/silo-fakert-layout-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      *out = absl::InternalError("mkdtemp for the image layout");
      return out;
    }
    OciLayout layout(tmpl);
    image::registry::testing::TestImage image;
    image.layers = {{{"bin/app", "#!/bin/sh\necho app\n"}}};
    absl::StatusOr<image::registry::testing::BuiltImage> built = layout.AddImage(image);
    absl::Status s = built.ok() ? layout.Tag(built->manifest, "v1") : built.status();
    if (s.ok()) s = (*reg)->Push(tmpl, "v1", "app");
    std::filesystem::remove_all(tmpl);
    if (!s.ok()) {
      *out = s;
      return out;
    }
    SharedRegistry r;
    r.ref = absl::StrCat((*reg)->host(), "/app:v1");
    r.registry = std::move(*reg);
    *out = std::move(r);
    g_started = &**out;
    std::atexit(StopSharedRegistry);
    return out;
  }();
  if (!shared->ok()) return shared->status();
  return &**shared;
}

}  // namespace

absl::StatusOr<std::unique_ptr<FakeRuntime>> FakeRuntime::Start(Options options) {
  SILO_ASSIGN_OR_RETURN(const SharedRegistry* registry, Registry());
  std::unique_ptr<FakeRuntime> rt(new FakeRuntime);
  rt->options_ = std::move(options);
  char tmpl[] = "/tmp/silo-fakert-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp /tmp/silo-fakert-XXXXXX");
  rt->dir_ = tmpl;
  SILO_ASSIGN_OR_RETURN(rt->db_, store::MetadataDb::Open(rt->dir_ + "/root"));
  SILO_RETURN_IF_ERROR(rt->Build());
  SILO_ASSIGN_OR_RETURN(std::string id, rt->images_->Pull(registry->ref));
  (void)id;
  rt->image_ref_ = registry->ref;
  return rt;
}

FakeRuntime::~FakeRuntime() {
  StopManagers();
  events_.reset();
  db_.reset();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

void FakeRuntime::StopManagers() {
  // Users before what they use, as silod's Backends are destroyed.
  containers_.reset();
  container_store_.reset();
  images_.reset();
  sandboxes_.reset();
  sandbox_store_.reset();
  if (events_) events_->Close();
}

absl::Status FakeRuntime::Build() {
  StopManagers();
  handlers_ = std::make_unique<handler::HandlerRegistry>();
  if (options_.extra_types) options_.extra_types(*handlers_);
  std::vector<std::string> known = handlers_->Types();
  std::vector<std::string> types = options_.unconfigured_fake_types;
  for (const auto& spec : options_.handlers) types.push_back(spec.type);
  for (const auto& type : types) {
    if (std::find(known.begin(), known.end(), type) != known.end()) continue;
    RegisterFakeType(*handlers_, type, &machine_);
    known.push_back(type);
  }
  SILO_RETURN_IF_ERROR(handlers_->Configure(options_.handlers, options_.default_handler));
  events_ = std::make_unique<events::EventBus>();
  sandbox_store_ = std::make_unique<store::SandboxStore>(db_.get());
  sandbox::SandboxManagerOptions so;
  so.files_dir = dir_ + "/root/sandboxes";
  so.host_resolv_conf = "/dev/null";
  so.node_hostname = "fake-node";
  sandboxes_ = std::make_unique<sandbox::SandboxManager>(so, sandbox_store_.get(), handlers_.get(), &network_,
                                                         events_.get());
  SILO_RETURN_IF_ERROR(sandboxes_->Recover());
  SILO_ASSIGN_OR_RETURN(const SharedRegistry* registry, Registry());
  image::ImageManagerOptions io;
  io.root = dir_ + "/root/images";
  io.registry.insecure_hosts = {registry->registry->host()};
  io.platform = image::registry::Platform{"linux", "amd64", "", "", {}};
  SILO_ASSIGN_OR_RETURN(images_, image::ImageManager::Open(io, db_.get()));
  container_store_ = std::make_unique<store::ContainerStore>(db_.get());
  if (!layers_) {
    layers_ = std::make_unique<image::fake::FakeLayerStore>(
        [this](const std::string& chain) { return images_->SnapshotDir(chain); });
  }
  containers_ = std::make_unique<container::ContainerManager>(container_store_.get(), sandboxes_.get(), images_.get(),
                                                              layers_.get(), handlers_.get(), events_.get());
  return containers_->Recover();
}

absl::Status FakeRuntime::Restart() { return Build(); }

absl::Status FakeRuntime::Restart(Options options) {
  options_ = std::move(options);
  return Build();
}

::runtime::v1::PodSandboxConfig FakeRuntime::Pod(const std::string& name) {
  ::runtime::v1::PodSandboxConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_namespace_("default");
  c.mutable_metadata()->set_uid("uid-" + name);
  return c;
}

::runtime::v1::ContainerConfig FakeRuntime::Container(const std::string& name) const {
  ::runtime::v1::ContainerConfig c;
  c.mutable_metadata()->set_name(name);
  c.mutable_image()->set_image(image_ref_);
  return c;
}

}  // namespace silo::runtime::fake
