#include "cri/daemon/config.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cri/daemon/config_defaults.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace silo::cri {
namespace {

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : absl::StrCat(path, ".", key);
}

absl::Status Bad(const std::string& path, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("config ", path, ": ", what));
}

// Walks one YAML mapping, hands out known keys and rejects the rest.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {}

  absl::Status CheckIsMap() const {
    if (!node_ || node_.IsNull() || node_.IsMap()) return absl::OkStatus();
    return Bad(path_.empty() ? "(top level)" : path_, "must be a mapping");
  }

  // Fails on any key not in `known`.
  absl::Status CheckKeys(std::initializer_list<const char*> known) const {
    if (!node_ || !node_.IsMap()) return absl::OkStatus();
    std::set<std::string> allowed(known.begin(), known.end());
    for (const auto& kv : node_) {
      // A sequence or mapping as a key ("[x]: 1") would throw on conversion.
      if (!kv.first.IsScalar()) return Bad(path_.empty() ? "(top level)" : path_, "keys must be plain strings");
      std::string key = kv.first.as<std::string>();
      if (!allowed.count(key)) {
        return Bad(Join(path_, key), absl::StrCat("unknown key (known keys: ",
                                                  absl::StrJoin(known, ", "), ")"));
      }
    }
    return absl::OkStatus();
  }

  YAML::Node Child(const char* key) const {
    if (!node_ || !node_.IsMap()) return YAML::Node();
    return node_[key];
  }
  std::string ChildPath(const char* key) const { return Join(path_, key); }

  template <typename T>
  absl::Status Get(const char* key, T* out) const {
    YAML::Node v = Child(key);
    if (!v || v.IsNull()) return absl::OkStatus();
    if (!v.IsScalar()) return Bad(ChildPath(key), "must be a scalar value");
    try {
      *out = v.as<T>();
    } catch (const YAML::Exception&) {
      return Bad(ChildPath(key), absl::StrCat("cannot parse \"", v.Scalar(), "\" as ", TypeName<T>()));
    }
    return absl::OkStatus();
  }

  absl::Status GetList(const char* key, std::vector<std::string>* out) const {
    YAML::Node v = Child(key);
    if (!v || v.IsNull()) return absl::OkStatus();
    return ReadStringList(v, ChildPath(key), out);
  }

  static absl::Status ReadStringList(const YAML::Node& v, const std::string& path,
                                     std::vector<std::string>* out) {
    if (!v.IsSequence()) return Bad(path, "must be a list of strings");
    out->clear();
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].IsScalar()) return Bad(absl::StrCat(path, "[", i, "]"), "must be a string");
      out->push_back(v[i].Scalar());
    }
    return absl::OkStatus();
  }

 private:
  template <typename T>
  static const char* TypeName() {
    if constexpr (std::is_same_v<T, bool>) return "a boolean";
    if constexpr (std::is_integral_v<T>) return "an integer";
    return "a string";
  }

  YAML::Node node_;
  std::string path_;
};

absl::Status ParseLog(const MapReader& top, Config::Log* log) {
  MapReader r(top.Child("log"), "log");
  SILO_RETURN_IF_ERROR(r.CheckIsMap());
  SILO_RETURN_IF_ERROR(r.CheckKeys({"level", "format", "file", "max_size_mb", "max_files"}));
  SILO_RETURN_IF_ERROR(r.Get("level", &log->level));
  SILO_RETURN_IF_ERROR(r.Get("format", &log->format));
  SILO_RETURN_IF_ERROR(r.Get("file", &log->file));
  SILO_RETURN_IF_ERROR(r.Get("max_size_mb", &log->max_size_mb));
  SILO_RETURN_IF_ERROR(r.Get("max_files", &log->max_files));
  return absl::OkStatus();
}

absl::Status ParseRegistry(const MapReader& top, Config::Registry* reg) {
  MapReader r(top.Child("registry"), "registry");
  SILO_RETURN_IF_ERROR(r.CheckIsMap());
  SILO_RETURN_IF_ERROR(r.CheckKeys(
      {"mirrors", "insecure", "credentials_file", "stall_timeout_seconds", "max_download_bytes_per_sec"}));
  YAML::Node mirrors = r.Child("mirrors");
  if (mirrors && !mirrors.IsNull()) {
    if (!mirrors.IsMap()) return Bad("registry.mirrors", "must map a registry host to a list of endpoints");
    reg->mirrors.clear();
    for (const auto& kv : mirrors) {
      if (!kv.first.IsScalar()) return Bad("registry.mirrors", "keys must be registry host names");
      std::string host = kv.first.as<std::string>();
      std::string path = absl::StrCat("registry.mirrors.", host);
      std::vector<std::string> endpoints;
      SILO_RETURN_IF_ERROR(MapReader::ReadStringList(kv.second, path, &endpoints));
      reg->mirrors[host] = std::move(endpoints);
    }
  }
  SILO_RETURN_IF_ERROR(r.GetList("insecure", &reg->insecure));
  SILO_RETURN_IF_ERROR(r.Get("credentials_file", &reg->credentials_file));
  SILO_RETURN_IF_ERROR(r.Get("stall_timeout_seconds", &reg->stall_timeout_seconds));
  SILO_RETURN_IF_ERROR(r.Get("max_download_bytes_per_sec", &reg->max_download_bytes_per_sec));
  if (reg->stall_timeout_seconds < 1) return Bad("registry.stall_timeout_seconds", "must be at least 1");
  if (reg->max_download_bytes_per_sec < 0) return Bad("registry.max_download_bytes_per_sec", "must not be negative");
  return absl::OkStatus();
}

absl::Status ParseRuntime(const MapReader& top, ConfigPlatform platform, Config::Runtime* rt) {
  MapReader r(top.Child("runtime"), "runtime");
  SILO_RETURN_IF_ERROR(r.CheckIsMap());
  SILO_RETURN_IF_ERROR(r.CheckKeys({"binary", "cgroup_driver", "default_handler", "handlers"}));
  SILO_RETURN_IF_ERROR(r.Get("binary", &rt->binary));
  SILO_RETURN_IF_ERROR(r.Get("cgroup_driver", &rt->cgroup_driver));
  SILO_RETURN_IF_ERROR(r.Get("default_handler", &rt->default_handler));
  YAML::Node handlers = r.Child("handlers");
  if (handlers && !handlers.IsNull()) {
    if (!handlers.IsSequence()) return Bad("runtime.handlers", "must be a list of handlers");
    rt->handlers.clear();
    for (size_t i = 0; i < handlers.size(); ++i) {
      MapReader h(handlers[i], absl::StrCat("runtime.handlers[", i, "]"));
      if (!handlers[i].IsMap()) return Bad(absl::StrCat("runtime.handlers[", i, "]"), "must be a mapping");
      SILO_RETURN_IF_ERROR(
          h.CheckKeys({"name", "type", "recursive_read_only_mounts", "user_namespaces", "uvm_memory_mb", "uvm_processors"}));
      RuntimeHandlerConfig hc;
      hc.type = DefaultHandlerType(platform);  // a Windows file read on Linux keeps Windows' type
      SILO_RETURN_IF_ERROR(h.Get("name", &hc.name));
      SILO_RETURN_IF_ERROR(h.Get("type", &hc.type));
      SILO_RETURN_IF_ERROR(h.Get("recursive_read_only_mounts", &hc.recursive_read_only_mounts));
      SILO_RETURN_IF_ERROR(h.Get("user_namespaces", &hc.user_namespaces));
      SILO_RETURN_IF_ERROR(h.Get("uvm_memory_mb", &hc.uvm_memory_mb));
      SILO_RETURN_IF_ERROR(h.Get("uvm_processors", &hc.uvm_processors));
      rt->handlers.push_back(std::move(hc));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckEndpoint(const std::string& key, const std::string& value) {
  if (absl::StartsWith(value, "unix://")) {
    if (value.size() <= 7 || value[7] != '/') return Bad(key, "unix endpoint needs an absolute path (unix:///path)");
    return absl::OkStatus();
  }
  if (absl::StartsWith(value, "npipe://")) return absl::OkStatus();
  if (absl::StartsWith(value, "tcp://")) return absl::OkStatus();
  return Bad(key, absl::StrCat("\"", value, "\" is not an endpoint (want unix:///path, npipe://./pipe/name or tcp://host:port)"));
}

absl::Status CheckHostPort(const std::string& key, const std::string& value) {
  size_t colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) return Bad(key, absl::StrCat("\"", value, "\" is not host:port"));
  std::string port = value.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535) {
    return Bad(key, absl::StrCat("\"", value, "\" has an invalid port"));
  }
  return absl::OkStatus();
}

}  // namespace

namespace {
absl::StatusOr<Config> ParseConfigTree(const YAML::Node& root, ConfigPlatform platform);
}  // namespace

absl::StatusOr<Config> ParseConfig(const std::string& yaml_text, ConfigPlatform platform) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config is not valid YAML: ", e.what()));
  }
  // Every conversion below is checked first; this is the backstop that keeps
  // a yaml-cpp exception from ever taking silod down on a bad file.
  try {
    return ParseConfigTree(root, platform);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", e.what()));
  }
}

namespace {

absl::StatusOr<Config> ParseConfigTree(const YAML::Node& root, ConfigPlatform platform) {
  Config c = DefaultConfig(platform);
  MapReader top(root, "");
  SILO_RETURN_IF_ERROR(top.CheckIsMap());
  SILO_RETURN_IF_ERROR(top.CheckKeys(
      {"root", "state", "listen", "log", "cni", "registry", "streaming", "metrics", "stats", "sandbox", "runtime"}));
  SILO_RETURN_IF_ERROR(top.Get("root", &c.root));
  SILO_RETURN_IF_ERROR(top.Get("state", &c.state));
  SILO_RETURN_IF_ERROR(top.Get("listen", &c.listen));
  SILO_RETURN_IF_ERROR(ParseLog(top, &c.log));

  MapReader cni(top.Child("cni"), "cni");
  SILO_RETURN_IF_ERROR(cni.CheckIsMap());
  SILO_RETURN_IF_ERROR(cni.CheckKeys({"bin_dirs", "conf_dir"}));
  SILO_RETURN_IF_ERROR(cni.GetList("bin_dirs", &c.cni.bin_dirs));
  SILO_RETURN_IF_ERROR(cni.Get("conf_dir", &c.cni.conf_dir));

  SILO_RETURN_IF_ERROR(ParseRegistry(top, &c.registry));

  MapReader st(top.Child("streaming"), "streaming");
  SILO_RETURN_IF_ERROR(st.CheckIsMap());
  SILO_RETURN_IF_ERROR(st.CheckKeys({"address", "idle_timeout", "token_ttl", "tls_cert", "tls_key"}));
  SILO_RETURN_IF_ERROR(st.Get("address", &c.streaming.address));
  SILO_RETURN_IF_ERROR(st.Get("idle_timeout", &c.streaming.idle_timeout));
  SILO_RETURN_IF_ERROR(st.Get("token_ttl", &c.streaming.token_ttl));
  SILO_RETURN_IF_ERROR(st.Get("tls_cert", &c.streaming.tls_cert));
  SILO_RETURN_IF_ERROR(st.Get("tls_key", &c.streaming.tls_key));

  MapReader m(top.Child("metrics"), "metrics");
  SILO_RETURN_IF_ERROR(m.CheckIsMap());
  SILO_RETURN_IF_ERROR(m.CheckKeys({"enabled", "address"}));
  SILO_RETURN_IF_ERROR(m.Get("enabled", &c.metrics.enabled));
  SILO_RETURN_IF_ERROR(m.Get("address", &c.metrics.address));

  MapReader sts(top.Child("stats"), "stats");
  SILO_RETURN_IF_ERROR(sts.CheckIsMap());
  SILO_RETURN_IF_ERROR(sts.CheckKeys({"interval"}));
  SILO_RETURN_IF_ERROR(sts.Get("interval", &c.stats.interval));

  MapReader sb(top.Child("sandbox"), "sandbox");
  SILO_RETURN_IF_ERROR(sb.CheckIsMap());
  SILO_RETURN_IF_ERROR(sb.CheckKeys({"image", "holder"}));
  SILO_RETURN_IF_ERROR(sb.Get("image", &c.sandbox.image));
  SILO_RETURN_IF_ERROR(sb.Get("holder", &c.sandbox.holder));

  SILO_RETURN_IF_ERROR(ParseRuntime(top, platform, &c.runtime));
  SILO_RETURN_IF_ERROR(ValidateConfig(c, platform));
  return c;
}

}  // namespace

absl::StatusOr<Config> LoadConfigFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return Annotate(text.status(), "read config file");
  auto config = ParseConfig(*text);
  if (!config.ok()) return Annotate(config.status(), path);
  return config;
}

ConfigPlatform NativeConfigPlatform() {
#ifdef _WIN32
  return ConfigPlatform::kWindows;
#else
  return ConfigPlatform::kLinux;
#endif
}

namespace {

bool IsAbsolutePath(const std::string& p, ConfigPlatform platform) {
  if (platform == ConfigPlatform::kLinux) return !p.empty() && p[0] == '/';
  const auto slash = [](char c) { return c == '/' || c == '\\'; };
  if (p.size() >= 3 && absl::ascii_isalpha(static_cast<unsigned char>(p[0])) && p[1] == ':' && slash(p[2])) {
    return true;  // C:/x, C:\x
  }
  // \\?\C:\x and \\server\share\x (either slash).
  return p.size() >= 3 && slash(p[0]) && slash(p[1]) && !slash(p[2]);
}

absl::Status CheckAbsolute(const std::string& key, const std::string& value, ConfigPlatform platform) {
  if (IsAbsolutePath(value, platform)) return absl::OkStatus();
  return Bad(key, absl::StrCat("\"", value, "\" must be an absolute path",
                               platform == ConfigPlatform::kWindows ? " with a drive letter (C:/...)" : " (/...)"));
}

}  // namespace

absl::Status ValidateConfig(const Config& c, ConfigPlatform platform) {
  SILO_RETURN_IF_ERROR(CheckAbsolute("root", c.root, platform));
  SILO_RETURN_IF_ERROR(CheckAbsolute("state", c.state, platform));
  if (c.root == c.state) return Bad("state", "must differ from root (state is volatile, root is not)");
  SILO_RETURN_IF_ERROR(CheckEndpoint("listen", c.listen));

  static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (!kLevels.count(c.log.level)) {
    return Bad("log.level", absl::StrCat("unknown level \"", c.log.level, "\" (want trace, debug, info, warn, error, critical or off)"));
  }
  if (c.log.format != "text" && c.log.format != "json") {
    return Bad("log.format", absl::StrCat("unknown format \"", c.log.format, "\" (want text or json)"));
  }
  if (c.log.max_size_mb < 1) return Bad("log.max_size_mb", "must be at least 1");
  if (c.log.max_files < 1 || c.log.max_files > 1000) return Bad("log.max_files", "must be between 1 and 1000");

  if (c.cni.bin_dirs.empty()) return Bad("cni.bin_dirs", "must name at least one directory");
  for (size_t i = 0; i < c.cni.bin_dirs.size(); ++i) {
    SILO_RETURN_IF_ERROR(CheckAbsolute(absl::StrCat("cni.bin_dirs[", i, "]"), c.cni.bin_dirs[i], platform));
  }
  SILO_RETURN_IF_ERROR(CheckAbsolute("cni.conf_dir", c.cni.conf_dir, platform));

  for (const auto& [host, endpoints] : c.registry.mirrors) {
    if (host.empty()) return Bad("registry.mirrors", "registry host must not be empty");
    for (size_t i = 0; i < endpoints.size(); ++i) {
      const std::string& e = endpoints[i];
      if (!absl::StartsWith(e, "http://") && !absl::StartsWith(e, "https://")) {
        return Bad(absl::StrCat("registry.mirrors.", host, "[", i, "]"),
                   absl::StrCat("\"", e, "\" must start with http:// or https://"));
      }
    }
  }
  if ((c.streaming.tls_cert.empty()) != (c.streaming.tls_key.empty())) {
    return Bad("streaming.tls_cert", "tls_cert and tls_key must be set together");
  }
  SILO_RETURN_IF_ERROR(CheckHostPort("streaming.address", c.streaming.address));
  if (absl::Duration d; !absl::ParseDuration(c.streaming.token_ttl, &d) || d <= absl::ZeroDuration()) {
    return Bad("streaming.token_ttl",
               absl::StrCat("\"", c.streaming.token_ttl, "\" is not a positive duration (e.g. 1m, 30s)"));
  }
  if (absl::Duration d; !absl::ParseDuration(c.streaming.idle_timeout, &d) || d <= absl::ZeroDuration()) {
    return Bad("streaming.idle_timeout",
               absl::StrCat("\"", c.streaming.idle_timeout, "\" is not a positive duration (e.g. 4h, 30m)"));
  }
  if (c.metrics.enabled) SILO_RETURN_IF_ERROR(CheckHostPort("metrics.address", c.metrics.address));
  if (absl::Duration d; !absl::ParseDuration(c.stats.interval, &d) || d < absl::Milliseconds(10)) {
    return Bad("stats.interval", absl::StrCat("\"", c.stats.interval, "\" is not a duration of at least 10ms (e.g. 1s)"));
  }
  if (c.sandbox.holder != "pause" && c.sandbox.holder != "none") {
    return Bad("sandbox.holder", absl::StrCat("\"", c.sandbox.holder, "\" is not \"pause\" or \"none\""));
  }

  // Windows pods start from the pause image; Linux pods have none.
  if (platform == ConfigPlatform::kWindows && c.sandbox.image.empty()) {
    return Bad("sandbox.image", "must name the pause image Windows pods start from");
  }
  if (c.runtime.binary.empty()) return Bad("runtime.binary", "must not be empty");
  if (c.runtime.cgroup_driver != "cgroupfs" && c.runtime.cgroup_driver != "systemd") {
    return Bad("runtime.cgroup_driver", absl::StrCat("unknown driver \"", c.runtime.cgroup_driver, "\" (want cgroupfs or systemd)"));
  }
  if (c.runtime.handlers.empty()) return Bad("runtime.handlers", "must list at least one handler");
  // Which types exist is the handler registry's to say (runtime/handler):
  // silod refuses a type it does not build when it wires its handlers.
  std::set<std::string> names;
  for (size_t i = 0; i < c.runtime.handlers.size(); ++i) {
    const auto& h = c.runtime.handlers[i];
    std::string path = absl::StrCat("runtime.handlers[", i, "]");
    if (h.type.empty()) return Bad(path + ".type", "must not be empty");
    if (!names.insert(h.name).second) return Bad(path + ".name", absl::StrCat("duplicate handler \"", h.name, "\""));
  }
  if (!names.count(c.runtime.default_handler)) {
    return Bad("runtime.default_handler", absl::StrCat("\"", c.runtime.default_handler, "\" is not one of runtime.handlers"));
  }
  return absl::OkStatus();
}

std::string ConfigToYaml(const Config& c) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "root" << YAML::Value << c.root;
  out << YAML::Key << "state" << YAML::Value << c.state;
  out << YAML::Key << "listen" << YAML::Value << c.listen;
  out << YAML::Key << "log" << YAML::Value << YAML::BeginMap
      << YAML::Key << "level" << YAML::Value << c.log.level
      << YAML::Key << "format" << YAML::Value << c.log.format
      << YAML::Key << "file" << YAML::Value << c.log.file
      << YAML::Key << "max_size_mb" << YAML::Value << c.log.max_size_mb
      << YAML::Key << "max_files" << YAML::Value << c.log.max_files << YAML::EndMap;
  out << YAML::Key << "cni" << YAML::Value << YAML::BeginMap
      << YAML::Key << "bin_dirs" << YAML::Value << c.cni.bin_dirs
      << YAML::Key << "conf_dir" << YAML::Value << c.cni.conf_dir << YAML::EndMap;
  out << YAML::Key << "registry" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "mirrors" << YAML::Value << YAML::BeginMap;
  for (const auto& [host, endpoints] : c.registry.mirrors) out << YAML::Key << host << YAML::Value << endpoints;
  out << YAML::EndMap;
  out << YAML::Key << "insecure" << YAML::Value << c.registry.insecure;
  out << YAML::Key << "credentials_file" << YAML::Value << c.registry.credentials_file;
  out << YAML::Key << "stall_timeout_seconds" << YAML::Value << c.registry.stall_timeout_seconds;
  out << YAML::Key << "max_download_bytes_per_sec" << YAML::Value << c.registry.max_download_bytes_per_sec
      << YAML::EndMap;
  out << YAML::Key << "streaming" << YAML::Value << YAML::BeginMap
      << YAML::Key << "address" << YAML::Value << c.streaming.address
      << YAML::Key << "idle_timeout" << YAML::Value << c.streaming.idle_timeout
      << YAML::Key << "token_ttl" << YAML::Value << c.streaming.token_ttl
      << YAML::Key << "tls_cert" << YAML::Value << c.streaming.tls_cert
      << YAML::Key << "tls_key" << YAML::Value << c.streaming.tls_key << YAML::EndMap;
  out << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap
      << YAML::Key << "enabled" << YAML::Value << c.metrics.enabled
      << YAML::Key << "address" << YAML::Value << c.metrics.address << YAML::EndMap;
  out << YAML::Key << "stats" << YAML::Value << YAML::BeginMap
      << YAML::Key << "interval" << YAML::Value << c.stats.interval << YAML::EndMap;
  out << YAML::Key << "sandbox" << YAML::Value << YAML::BeginMap
      << YAML::Key << "image" << YAML::Value << YAML::DoubleQuoted << c.sandbox.image
      << YAML::Key << "holder" << YAML::Value << c.sandbox.holder << YAML::EndMap;
  out << YAML::Key << "runtime" << YAML::Value << YAML::BeginMap
      << YAML::Key << "binary" << YAML::Value << c.runtime.binary
      << YAML::Key << "cgroup_driver" << YAML::Value << c.runtime.cgroup_driver
      << YAML::Key << "default_handler" << YAML::Value << YAML::DoubleQuoted << c.runtime.default_handler
      << YAML::Key << "handlers" << YAML::Value << YAML::BeginSeq;
  for (const auto& h : c.runtime.handlers) {
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << h.name
        << YAML::Key << "type" << YAML::Value << h.type
        << YAML::Key << "recursive_read_only_mounts" << YAML::Value << h.recursive_read_only_mounts
        << YAML::Key << "user_namespaces" << YAML::Value << h.user_namespaces
        << YAML::Key << "uvm_memory_mb" << YAML::Value << h.uvm_memory_mb
        << YAML::Key << "uvm_processors" << YAML::Value << h.uvm_processors << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace silo::cri
