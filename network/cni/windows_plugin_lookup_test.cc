#include "network/cni/windows_plugin_lookup.h"

#include <set>

#include "gtest/gtest.h"

namespace silo::network::cni {
namespace {

// A bin dir listing: is_file accepts exactly these paths and records what
// was asked, in order.
struct Files {
  std::set<std::string> present;
  std::vector<std::string> asked;
  std::function<bool(const std::string&)> IsFile() {
    return [this](const std::string& path) {
      asked.push_back(path);
      return present.count(path) > 0;
    };
  }
};

TEST(WindowsPluginLookup, FindsTheExeForAnExtensionlessType) {
  Files f{{R"(C:\cni\bin\win-bridge.exe)"}, {}};
  auto path = FindWindowsPluginBinary({R"(C:\cni\bin)"}, "win-bridge", f.IsFile());
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, R"(C:\cni\bin\win-bridge.exe)");
  EXPECT_EQ(f.asked, (std::vector<std::string>{R"(C:\cni\bin\win-bridge.exe)"})) << "the .exe is tried first";
}

TEST(WindowsPluginLookup, ExeWinsOverTheBareNameInTheSameDir) {
  Files f{{R"(C:\cni\bin\bridge)", R"(C:\cni\bin\bridge.exe)"}, {}};
  auto path = FindWindowsPluginBinary({R"(C:\cni\bin)"}, "bridge", f.IsFile());
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, R"(C:\cni\bin\bridge.exe)");
}

TEST(WindowsPluginLookup, BareNameIsFoundWhenThereIsNoExe) {
  Files f{{R"(C:\cni\bin\bridge)"}, {}};
  auto path = FindWindowsPluginBinary({R"(C:\cni\bin)"}, "bridge", f.IsFile());
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, R"(C:\cni\bin\bridge)");
  EXPECT_EQ(f.asked, (std::vector<std::string>{R"(C:\cni\bin\bridge.exe)", R"(C:\cni\bin\bridge)"}));
}

TEST(WindowsPluginLookup, DirsAreSearchedInOrder) {
  Files f{{R"(D:\second\nat)", R"(D:\second\nat.exe)", R"(C:\first\nat.exe)"}, {}};
  auto path = FindWindowsPluginBinary({R"(C:\first\)", R"(D:\second)"}, "nat", f.IsFile());
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path, R"(C:\first\nat.exe)") << "the first dir wins, with no doubled separator";
  Files g{{R"(D:\second\nat)", R"(D:\second\nat.exe)"}, {}};
  EXPECT_EQ(*FindWindowsPluginBinary({R"(C:\first)", R"(D:\second)"}, "nat", g.IsFile()), R"(D:\second\nat.exe)");
}

TEST(WindowsPluginLookup, ADirWrittenWithSlashesIsJoinedWithASlash) {
  Files f{{"C:/cni/bin/win-bridge.exe", "/opt/cni/bin/nat.exe"}, {}};
  EXPECT_EQ(*FindWindowsPluginBinary({"C:/cni/bin"}, "win-bridge", f.IsFile()), "C:/cni/bin/win-bridge.exe");
  EXPECT_EQ(*FindWindowsPluginBinary({"/opt/cni/bin"}, "nat", f.IsFile()), "/opt/cni/bin/nat.exe");
  Files mixed{{R"(C:\cni/bin\nat.exe)"}, {}};
  EXPECT_EQ(*FindWindowsPluginBinary({R"(C:\cni/bin)"}, "nat", mixed.IsFile()), R"(C:\cni/bin\nat.exe)")
      << "a dir with a backslash keeps the Windows separator";
}

TEST(WindowsPluginLookup, TypeWithExeIsNotExtendedTwice) {
  Files f{{}, {}};
  auto path = FindWindowsPluginBinary({R"(C:\b)"}, "sdnbridge.EXE", f.IsFile());
  EXPECT_EQ(path.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(f.asked, (std::vector<std::string>{R"(C:\b\sdnbridge.EXE)"}));
}

TEST(WindowsPluginLookup, MissingPluginNamesTheDirsSearched) {
  Files f{{}, {}};
  auto path = FindWindowsPluginBinary({R"(C:\a)", R"(C:\b)"}, "flannel", f.IsFile());
  EXPECT_EQ(path.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(path.status().message().find(R"(C:\a, C:\b)"), std::string::npos) << path.status();
  EXPECT_NE(path.status().message().find("flannel.exe"), std::string::npos) << path.status();
}

TEST(WindowsPluginLookup, RefusesNamesThatAreNotPlainFileNames) {
  for (const std::string bad :
       {"", ".", "..", R"(..\cmd)", "../cmd", R"(sub\win-bridge)", "sub/win-bridge", "C:evil", R"(C:\Windows\cmd)",
        "nat:stream", "a..b", R"(\\server\share\x)", "wild*", "pipe|x"}) {
    Files f{{}, {}};
    auto path = FindWindowsPluginBinary({R"(C:\cni\bin)"}, bad, f.IsFile());
    EXPECT_EQ(path.status().code(), absl::StatusCode::kInvalidArgument) << "\"" << bad << "\"";
    EXPECT_TRUE(f.asked.empty()) << "\"" << bad << "\" must not reach the file system";
  }
}

TEST(WindowsPluginLookup, RefusesDosDeviceNames) {
  for (const std::string device : {"CON", "con", "PRN", "AUX", "NUL", "nul.exe", "NUL.txt", "COM1", "com9", "LPT1",
                                   "lpt9.exe", "CONIN$", "conout$", "NUL ", "CON."}) {
    EXPECT_EQ(CheckWindowsPluginName(device).code(), absl::StatusCode::kInvalidArgument) << "\"" << device << "\"";
  }
  for (const std::string fine : {"console", "nulls", "COM0", "COM10", "LPT", "com1x", "auxiliary", "win-overlay"}) {
    EXPECT_TRUE(CheckWindowsPluginName(fine).ok()) << "\"" << fine << "\"";
  }
}

}  // namespace
}  // namespace silo::network::cni
