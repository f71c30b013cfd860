#include "cri/daemon/windows/fake_host/remote_layers.h"

#include <vector>

namespace silo::cri::fake_host {

using image::layers::wcifs::DriverInfo;
using image::layers::wcifs::FileBasicInfo;
using image::layers::wcifs::Guid;
using image::layers::wcifs::LayerApi;
using image::layers::wcifs::LayerDescriptor;

template <>
inline constexpr bool kPlainData<Guid> = true;
template <>
inline constexpr bool kPlainData<FileBasicInfo> = true;

// The driver info: its flavour and home folder.
template <>
struct ArgCodec<const DriverInfo*> {
  struct Slot {
    bool present = false;
    DriverInfo info{};
    std::optional<std::wstring> home;
  };
  static void Send(WireWriter& w, const DriverInfo* v) {
    w.Put<uint8_t>(v != nullptr);
    if (v == nullptr) return;
    w.Put(v->flavour);
    w.PutWide(v->home_dir);
  }
  static void Receive(WireReader&, const DriverInfo*) {}
  static Slot Read(WireReader& r) {
    Slot s;
    s.present = r.Get<uint8_t>() != 0;
    if (!s.present) return s;
    s.info.flavour = r.Get<int32_t>();
    s.home = r.GetWide();
    return s;
  }
  static const DriverInfo* Pass(Slot& s) {
    if (!s.present) return nullptr;
    s.info.home_dir = s.home ? s.home->c_str() : nullptr;
    return &s.info;
  }
  template <class Api>
  static void Reply(WireWriter&, Slot&, const Api&) {}
};

namespace {

constexpr Table kLayerTable = Table::kLayers;

using DriverCodec = ArgCodec<const DriverInfo*>;
using StringCodec = ArgCodec<const wchar_t*>;

// Parent layer descriptors: an array and its count.
void PutDescriptors(WireWriter& w, const LayerDescriptor* parents, uint32_t count) {
  w.Put<uint32_t>(parents == nullptr ? 0 : count);
  for (uint32_t i = 0; parents != nullptr && i < count; ++i) {
    w.Put(parents[i].layer_id);
    w.Put(parents[i].flags);
    w.PutWide(parents[i].path);
  }
}

struct Descriptors {
  std::vector<std::optional<std::wstring>> paths;
  std::vector<LayerDescriptor> array;
  const LayerDescriptor* data() const { return array.empty() ? nullptr : array.data(); }
  uint32_t count() const { return static_cast<uint32_t>(array.size()); }
};

Descriptors ReadDescriptors(WireReader& r) {
  Descriptors d;
  const uint32_t n = r.Get<uint32_t>();
  if (n > 4096) RefuseCall("too many parent layers");
  d.array.resize(n);
  d.paths.resize(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    d.array[i].layer_id = r.Get<Guid>();
    d.array[i].flags = r.Get<uint32_t>();
    d.paths[i] = r.GetWide();
  }
  for (uint32_t i = 0; i < n; ++i) d.array[i].path = d.paths[i] ? d.paths[i]->c_str() : nullptr;
  return d;
}

uint32_t Answer(const WireWriter& w) { return FakeHostClient::Get().Call(w).Get<uint32_t>(); }

uint32_t ImportLayer(const DriverInfo* info, const wchar_t* id, const wchar_t* source, const LayerDescriptor* parents,
                     uint32_t count) {
  WireWriter w = RequestFor<kLayerTable, &LayerApi::import_layer>();
  DriverCodec::Send(w, info);
  w.PutWide(id);
  w.PutWide(source);
  PutDescriptors(w, parents, count);
  return Answer(w);
}

uint32_t PrepareLayer(const DriverInfo* info, const wchar_t* id, const LayerDescriptor* parents, uint32_t count) {
  WireWriter w = RequestFor<kLayerTable, &LayerApi::prepare_layer>();
  DriverCodec::Send(w, info);
  w.PutWide(id);
  PutDescriptors(w, parents, count);
  return Answer(w);
}

uint32_t CreateSandboxLayer(const DriverInfo* info, const wchar_t* id, const wchar_t* parent,
                            const LayerDescriptor* parents, uint32_t count) {
  WireWriter w = RequestFor<kLayerTable, &LayerApi::create_sandbox_layer>();
  DriverCodec::Send(w, info);
  w.PutWide(id);
  w.PutWide(parent);
  PutDescriptors(w, parents, count);
  return Answer(w);
}

// *length in and out; the buffer's content out when given.
uint32_t GetLayerMountPath(const DriverInfo* info, const wchar_t* id, uint64_t* length, wchar_t* buffer) {
  if (length == nullptr) RefuseCall("GetLayerMountPath without a length");
  WireWriter w = RequestFor<kLayerTable, &LayerApi::get_layer_mount_path>();
  DriverCodec::Send(w, info);
  w.PutWide(id);
  w.Put(*length);
  w.Put<uint8_t>(buffer != nullptr);
  WireReader r = FakeHostClient::Get().Call(w);
  const uint32_t hr = r.Get<uint32_t>();
  const uint64_t out_length = r.Get<uint64_t>();
  std::optional<std::wstring> path = r.GetWide();
  if (buffer != nullptr && path && path->size() < *length) std::wmemcpy(buffer, path->c_str(), path->size() + 1);
  *length = out_length;
  return hr;
}

uint32_t EnableThreadPrivileges(const wchar_t* const* names, uint32_t count) {
  WireWriter w = RequestFor<kLayerTable, &LayerApi::enable_thread_privileges>();
  w.Put<uint32_t>(names == nullptr ? 0 : count);
  for (uint32_t i = 0; names != nullptr && i < count; ++i) w.PutWide(names[i]);
  return Answer(w);
}

uint32_t BackupWriteRelative(const wchar_t* root, const wchar_t* rel, const FileBasicInfo* info, const uint8_t* stream,
                             uint64_t stream_size, bool process_security) {
  WireWriter w = RequestFor<kLayerTable, &LayerApi::backup_write_relative>();
  w.PutWide(root);
  w.PutWide(rel);
  ArgCodec<const FileBasicInfo*>::Send(w, info);
  w.Put<uint8_t>(stream != nullptr);
  w.PutBytes(stream, stream == nullptr ? 0 : stream_size);
  w.Put(process_security);
  return Answer(w);
}

template <auto M>
HostEntry& LayerEntry(HostEntries& entries) {
  return entries[{kLayerTable, EntryId<M>()}];
}

void ServeHandWritten(HostEntries& entries, const LayerApi& api) {
  LayerEntry<&LayerApi::import_layer>(entries) = [&api](ClientProcess&, WireReader& r, WireWriter& w) {
    DriverCodec::Slot info = DriverCodec::Read(r);
    StringCodec::Slot id = StringCodec::Read(r);
    StringCodec::Slot source = StringCodec::Read(r);
    Descriptors parents = ReadDescriptors(r);
    w.Put(api.import_layer(DriverCodec::Pass(info), StringCodec::Pass(id), StringCodec::Pass(source), parents.data(),
                           parents.count()));
  };
  LayerEntry<&LayerApi::prepare_layer>(entries) = [&api](ClientProcess&, WireReader& r, WireWriter& w) {
    DriverCodec::Slot info = DriverCodec::Read(r);
    StringCodec::Slot id = StringCodec::Read(r);
    Descriptors parents = ReadDescriptors(r);
    w.Put(api.prepare_layer(DriverCodec::Pass(info), StringCodec::Pass(id), parents.data(), parents.count()));
  };
  LayerEntry<&LayerApi::create_sandbox_layer>(entries) = [&api](ClientProcess&, WireReader& r, WireWriter& w) {
    DriverCodec::Slot info = DriverCodec::Read(r);
    StringCodec::Slot id = StringCodec::Read(r);
    StringCodec::Slot parent = StringCodec::Read(r);
    Descriptors parents = ReadDescriptors(r);
    w.Put(api.create_sandbox_layer(DriverCodec::Pass(info), StringCodec::Pass(id), StringCodec::Pass(parent),
                                   parents.data(), parents.count()));
  };
  LayerEntry<&LayerApi::get_layer_mount_path>(entries) = [&api](ClientProcess&, WireReader& r, WireWriter& w) {
    DriverCodec::Slot info = DriverCodec::Read(r);
    StringCodec::Slot id = StringCodec::Read(r);
    uint64_t length = r.Get<uint64_t>();
    const bool has_buffer = r.Get<uint8_t>() != 0;
    if (!r.ok() || length > (1u << 20)) RefuseCall("GetLayerMountPath: a bad length");
    std::vector<wchar_t> buffer(has_buffer ? length + 1 : 0, L'\0');
    const uint32_t hr = api.get_layer_mount_path(DriverCodec::Pass(info), StringCodec::Pass(id), &length,
                                                 has_buffer ? buffer.data() : nullptr);
    w.Put(hr);
    w.Put(length);
    w.PutWide(has_buffer && hr == 0 ? buffer.data() : nullptr);
  };
  LayerEntry<&LayerApi::enable_thread_privileges>(entries) = [&api](ClientProcess&, WireReader& r,
                                                                         WireWriter& w) {
    const uint32_t n = r.Get<uint32_t>();
    if (n > 64) RefuseCall("too many privileges");
    std::vector<std::optional<std::wstring>> names(n);
    for (auto& name : names) name = r.GetWide();
    std::vector<const wchar_t*> pointers;
    for (const auto& name : names) pointers.push_back(name ? name->c_str() : nullptr);
    w.Put(api.enable_thread_privileges(pointers.empty() ? nullptr : pointers.data(), n));
  };
  LayerEntry<&LayerApi::backup_write_relative>(entries) = [&api](ClientProcess&, WireReader& r, WireWriter& w) {
    StringCodec::Slot root = StringCodec::Read(r);
    StringCodec::Slot rel = StringCodec::Read(r);
    auto info = ArgCodec<const FileBasicInfo*>::Read(r);
    const bool has_stream = r.Get<uint8_t>() != 0;
    const std::string stream = r.GetString();
    const bool process_security = r.Get<bool>();
    w.Put(api.backup_write_relative(
        StringCodec::Pass(root), StringCodec::Pass(rel), ArgCodec<const FileBasicInfo*>::Pass(info),
        has_stream ? reinterpret_cast<const uint8_t*>(stream.data()) : nullptr, stream.size(), process_security));
  };
}

}  // namespace

const LayerApi& RemoteLayerApi() {
  static const LayerApi table = [] {
    LayerApi t{};
    t.import_layer = &ImportLayer;
    UseRemote<kLayerTable, &LayerApi::activate_layer>(t);
    t.prepare_layer = &PrepareLayer;
    UseRemote<kLayerTable, &LayerApi::unprepare_layer>(t);
    UseRemote<kLayerTable, &LayerApi::deactivate_layer>(t);
    t.get_layer_mount_path = &GetLayerMountPath;
    UseRemote<kLayerTable, &LayerApi::destroy_layer>(t);
    UseRemote<kLayerTable, &LayerApi::expand_sandbox_size>(t);
    UseRemote<kLayerTable, &LayerApi::name_to_guid>(t);
    UseRemote<kLayerTable, &LayerApi::process_base_image>(t);
    UseRemote<kLayerTable, &LayerApi::process_utility_image>(t);
    t.create_sandbox_layer = &CreateSandboxLayer;
    UseRemote<kLayerTable, &LayerApi::hcs_import_layer>(t);
    UseRemote<kLayerTable, &LayerApi::hcs_setup_base_os_layer>(t);
    UseRemote<kLayerTable, &LayerApi::hcs_initialize_writable_layer>(t);
    UseRemote<kLayerTable, &LayerApi::hcs_attach_layer_storage_filter>(t);
    UseRemote<kLayerTable, &LayerApi::hcs_detach_layer_storage_filter>(t);
    UseRemote<kLayerTable, &LayerApi::hcs_destroy_layer>(t);
    t.enable_thread_privileges = &EnableThreadPrivileges;
    UseRemote<kLayerTable, &LayerApi::revert_to_self>(t);
    t.backup_write_relative = &BackupWriteRelative;
    UseRemote<kLayerTable, &LayerApi::set_file_basic_info_relative>(t);
    UseRemote<kLayerTable, &LayerApi::mkdir_relative>(t);
    UseRemote<kLayerTable, &LayerApi::lstat_relative>(t);
    UseRemote<kLayerTable, &LayerApi::remove_all_relative>(t);
    UseRemote<kLayerTable, &LayerApi::link_relative>(t);
    return t;
  }();
  return table;
}

void ServeLayers(HostEntries& entries, const LayerApi& api) {
  ServeHandWritten(entries, api);
  Serve<kLayerTable, &LayerApi::activate_layer>(entries, api);
  Serve<kLayerTable, &LayerApi::unprepare_layer>(entries, api);
  Serve<kLayerTable, &LayerApi::deactivate_layer>(entries, api);
  Serve<kLayerTable, &LayerApi::destroy_layer>(entries, api);
  Serve<kLayerTable, &LayerApi::expand_sandbox_size>(entries, api);
  Serve<kLayerTable, &LayerApi::name_to_guid>(entries, api);
  Serve<kLayerTable, &LayerApi::process_base_image>(entries, api);
  Serve<kLayerTable, &LayerApi::process_utility_image>(entries, api);
  Serve<kLayerTable, &LayerApi::hcs_import_layer>(entries, api);
  Serve<kLayerTable, &LayerApi::hcs_setup_base_os_layer>(entries, api);
  Serve<kLayerTable, &LayerApi::hcs_initialize_writable_layer>(entries, api);
  Serve<kLayerTable, &LayerApi::hcs_attach_layer_storage_filter>(entries, api);
  Serve<kLayerTable, &LayerApi::hcs_detach_layer_storage_filter>(entries, api);
  Serve<kLayerTable, &LayerApi::hcs_destroy_layer>(entries, api);
  Serve<kLayerTable, &LayerApi::revert_to_self>(entries, api);
  Serve<kLayerTable, &LayerApi::set_file_basic_info_relative>(entries, api);
  Serve<kLayerTable, &LayerApi::mkdir_relative>(entries, api);
  Serve<kLayerTable, &LayerApi::lstat_relative>(entries, api);
  Serve<kLayerTable, &LayerApi::remove_all_relative>(entries, api);
  Serve<kLayerTable, &LayerApi::link_relative>(entries, api);
}

}  // namespace silo::cri::fake_host
