#include "network/cni/invoker.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "runtime/base/file_util.h"

namespace silo::network::cni {
namespace {

using nlohmann::json;

// Script plugins record what they were given (stdin and CNI_* environment)
// in log/<seq>-<name>-<command>.{json,env} and print bin/<name>.result on ADD.
constexpr char kRecorder[] = R"(#!/bin/sh
log=${0%/bin/*}/log
n=$(($(cat "$log/seq" 2>/dev/null || echo 0) + 1))
echo $n > "$log/seq"
name=${0##*/}
cat > "$log/$n-$name-$CNI_COMMAND.json"
env | grep '^CNI_' | sort > "$log/$n-$name-$CNI_COMMAND.env"
if [ -e "$0.fail" ]; then cat "$0.fail"; exit 1; fi
if [ "$CNI_COMMAND" = ADD ]; then cat "$0.result"; fi
)";

class InvokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-cniinv-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(MakeDirs(dir_ + "/bin").ok());
    ASSERT_TRUE(MakeDirs(dir_ + "/log").ok());
    AddPlugin("first", R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/p"}],
                          "ips":[{"interface":0,"address":"10.1.0.2/24","gateway":"10.1.0.1"}]})");
    AddPlugin("second", R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/p"}],
                           "ips":[{"interface":0,"address":"10.1.0.2/24","gateway":"10.1.0.1"}],
                           "dns":{"nameservers":["10.1.0.53"]}})");
    net_.name = "pods";
    net_.cni_version = "1.0.0";
    net_.plugins = {
        json{{"type", "first"}, {"capabilities", {{"portMappings", true}}}, {"runtimeConfig", {{"stale", 1}}}},
        json{{"type", "second"}, {"capabilities", {{"bandwidth", true}, {"mac", false}}}, {"extra", "kept"}}};
    net_.raw = {{"cniVersion", "1.0.0"}, {"name", "pods"}, {"plugins", net_.plugins}};
    rt_.container_id = "abc123";
    rt_.netns = "/run/netns/p";
    rt_.ifname = "eth0";
    rt_.args = {{"K8S_POD_NAME", "web"}};
    rt_.capability_args = {{"portMappings", json::array({{{"hostPort", 8080}, {"containerPort", 80}}})},
                           {"bandwidth", {{"ingressRate", 1000}}},
                           {"mac", "aa:bb:cc:dd:ee:ff"},
                           {"dns", {{"servers", {"1.1.1.1"}}}}};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void AddPlugin(const std::string& name, const std::string& result) {
    ASSERT_TRUE(AtomicWriteFile(dir_ + "/bin/" + name, kRecorder, 0755).ok());
    ASSERT_TRUE(AtomicWriteFile(dir_ + "/bin/" + name + ".result", result).ok());
  }
  json Logged(int seq, const std::string& name, const std::string& command) {
    auto text = ReadFile(absl::StrCat(dir_, "/log/", seq, "-", name, "-", command, ".json"));
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? json::parse(*text) : json();
  }
  std::string LoggedEnv(int seq, const std::string& name, const std::string& command) {
    auto text = ReadFile(absl::StrCat(dir_, "/log/", seq, "-", name, "-", command, ".env"));
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? *text : "";
  }
  Invoker MakeInvoker(absl::Duration timeout = absl::Seconds(20)) {
    return Invoker({{dir_ + "/bin"}, dir_ + "/cache", timeout}, NewPluginExec());
  }
  std::string CacheFile() { return dir_ + "/cache/results/pods-abc123-eth0"; }

  std::string dir_;
  NetworkConfigList net_;
  RuntimeConf rt_;
};

TEST_F(InvokerTest, AddChainsPrevResultAndInjectsDeclaredCapabilitiesOnly) {
  Invoker inv = MakeInvoker();
  auto r = inv.Add(net_, rt_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(PrimaryIPv4(*r), "10.1.0.2");
  EXPECT_EQ(r->dns.nameservers, std::vector<std::string>{"10.1.0.53"});

  json first = Logged(1, "first", "ADD");
  EXPECT_EQ(first["name"], "pods");
  EXPECT_EQ(first["cniVersion"], "1.0.0");
  EXPECT_FALSE(first.contains("prevResult"));
  EXPECT_EQ(first["runtimeConfig"], json({{"portMappings", rt_.capability_args["portMappings"]}}));

  json second = Logged(2, "second", "ADD");
  EXPECT_EQ(second["prevResult"]["ips"][0]["address"], "10.1.0.2/24");
  EXPECT_FALSE(second["prevResult"].contains("dns"));  // first's result, not second's
  EXPECT_EQ(second["runtimeConfig"], json({{"bandwidth", {{"ingressRate", 1000}}}}));  // not mac: false
  EXPECT_EQ(second["extra"], "kept");

  EXPECT_EQ(LoggedEnv(1, "first", "ADD"),
            absl::StrCat("CNI_ARGS=K8S_POD_NAME=web\nCNI_COMMAND=ADD\nCNI_CONTAINERID=abc123\nCNI_IFNAME=eth0\n",
                         "CNI_NETNS=/run/netns/p\nCNI_PATH=", dir_, "/bin\n"));

  auto cached = inv.CachedResult("pods", rt_);
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_EQ(cached->raw, r->raw);
  auto entry = json::parse(*ReadFile(CacheFile()));
  EXPECT_EQ(entry["kind"], "cniCacheV1");
  EXPECT_EQ(entry["config"]["name"], "pods");
}

TEST_F(InvokerTest, CheckRunsInOrderWithCachedResult) {
  Invoker inv = MakeInvoker();
  EXPECT_EQ(inv.Check(net_, rt_).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(inv.Add(net_, rt_).ok());
  ASSERT_TRUE(inv.Check(net_, rt_).ok());
  EXPECT_EQ(Logged(3, "first", "CHECK")["prevResult"]["dns"]["nameservers"][0], "10.1.0.53");
  EXPECT_EQ(Logged(4, "second", "CHECK")["prevResult"]["dns"]["nameservers"][0], "10.1.0.53");

  net_.cni_version = "0.3.1";
  EXPECT_EQ(inv.Check(net_, rt_).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(InvokerTest, DelRunsInReverseWithCachedResultAndIsIdempotent) {
  Invoker inv = MakeInvoker();
  ASSERT_TRUE(inv.Add(net_, rt_).ok());
  ASSERT_TRUE(std::filesystem::exists(CacheFile()));
  ASSERT_TRUE(inv.Del(net_, rt_).ok());
  EXPECT_EQ(Logged(3, "second", "DEL")["prevResult"]["dns"]["nameservers"][0], "10.1.0.53");
  EXPECT_EQ(Logged(4, "first", "DEL")["prevResult"]["dns"]["nameservers"][0], "10.1.0.53");
  EXPECT_FALSE(std::filesystem::exists(CacheFile()));
  EXPECT_EQ(inv.CachedResult("pods", rt_).status().code(), absl::StatusCode::kNotFound);

  // Second DEL: no cache, plugins still run, without prevResult.
  ASSERT_TRUE(inv.Del(net_, rt_).ok());
  EXPECT_FALSE(Logged(5, "second", "DEL").contains("prevResult"));
  EXPECT_FALSE(Logged(6, "first", "DEL").contains("prevResult"));
}

TEST_F(InvokerTest, FailedDelKeepsCacheForRetry) {
  Invoker inv = MakeInvoker();
  ASSERT_TRUE(inv.Add(net_, rt_).ok());
  ASSERT_TRUE(AtomicWriteFile(dir_ + "/bin/first.fail", R"({"code":11,"msg":"busy"})").ok());
  absl::Status s = inv.Del(net_, rt_);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_TRUE(std::filesystem::exists(CacheFile()));
}

TEST_F(InvokerTest, FailedAddCachesNothingAndNamesThePlugin) {
  ASSERT_TRUE(AtomicWriteFile(dir_ + "/bin/second.fail",
                              R"({"cniVersion":"1.0.0","code":7,"msg":"bridge cni0 has wrong type","details":"veth"})")
                  .ok());
  Invoker inv = MakeInvoker();
  auto r = inv.Add(net_, rt_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("CNI plugin \"second\" ADD"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("bridge cni0 has wrong type: veth"), std::string::npos) << r.status();
  EXPECT_FALSE(std::filesystem::exists(CacheFile()));
}

TEST_F(InvokerTest, MissingPluginIsNotFound) {
  net_.plugins.push_back(json{{"type", "portmap"}});
  Invoker inv = MakeInvoker();
  auto r = inv.Add(net_, rt_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("\"portmap\" not found"), std::string::npos) << r.status();
}

TEST_F(InvokerTest, HungPluginIsKilledAtTimeout) {
  ASSERT_TRUE(AtomicWriteFile(dir_ + "/bin/second", "#!/bin/sh\nexec sleep 1000\n", 0755).ok());
  Invoker inv = MakeInvoker(absl::Milliseconds(300));
  auto r = inv.Add(net_, rt_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("CNI plugin \"second\" ADD"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("did not finish within 300ms"), std::string::npos) << r.status();
}

TEST_F(InvokerTest, NamesThatCouldEscapeTheCacheDirAreRejected) {
  Invoker inv = MakeInvoker();
  rt_.container_id = "../../etc";
  EXPECT_EQ(inv.Add(net_, rt_).status().code(), absl::StatusCode::kInvalidArgument);
  rt_.container_id = "abc";
  rt_.ifname = "a/b";
  EXPECT_EQ(inv.Del(net_, rt_).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(InvokerTest, NonResultOutputFailsAdd) {
  ASSERT_TRUE(AtomicWriteFile(dir_ + "/bin/second.result", "not json").ok());
  Invoker inv = MakeInvoker();
  auto r = inv.Add(net_, rt_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("printed no JSON result"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace silo::network::cni
