// The rules for silod's private folders, against a strict in-memory volume:
// creation needs the parent, a folder is created with its descriptor or not
// at all, and Resecure refuses what the real one refuses.

#include "runtime/base/windows/private_dir.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace silo::win32 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kUser[] = "S-1-5-21-3623811015-3361044348-30300820-1013";

class FakeVolume final : public PrivateDirOs {
 public:
  struct Entry {
    bool directory = true;
    bool reparse_point = false;
    std::string owner;
    bool secured = false;  // carries kPrivateDirSddl's owner and DACL
    bool inherited_only = false;  // its DACL only what it inherits (ResetToInherited)
    int links = 1;                // names of a file (hard links)
  };

  FakeVolume() { entries_["c:"] = Entry{true, false, kTrustedInstallerSidText, false}; }

  void Add(const std::string& path, Entry e) {
    entries_[Key(path)] = std::move(e);
    spelled_[Key(path)] = path;
  }
  const Entry* Find(const std::string& path) const {
    auto it = entries_.find(Key(path));
    return it == entries_.end() ? nullptr : &it->second;
  }
  // Runs once, just before the CreateSecured of `path` (another process racing).
  void BeforeCreate(const std::string& path, std::function<void()> f) { before_create_[Key(path)] = std::move(f); }

  uint32_t Inspect(const std::string& path, DirFacts* facts) override {
    calls_.push_back("inspect " + path);
    *facts = DirFacts{};
    const Entry* e = Find(path);
    if (e == nullptr) return 0;
    *facts = DirFacts{true, e->directory, e->reparse_point, e->owner, e->secured};
    return 0;
  }
  uint32_t CreateSecured(const std::string& path) override {
    calls_.push_back("create " + path);
    if (auto hook = before_create_.find(Key(path)); hook != before_create_.end()) {
      auto f = std::move(hook->second);
      before_create_.erase(hook);
      f();
    }
    if (Find(path) != nullptr) return 183;
    const std::string parent = path.substr(0, path.rfind('\\'));
    const Entry* p = Find(parent);
    if (p == nullptr || !p->directory) return 3;  // ERROR_PATH_NOT_FOUND
    Add(path, Entry{true, false, kAdministratorsSidText, true});
    return 0;
  }
  uint32_t Resecure(const std::string& path) override {
    calls_.push_back("resecure " + path);
    auto it = entries_.find(Key(path));
    if (it == entries_.end()) return 2;
    if (it->second.reparse_point) return 4395;
    if (!it->second.directory) return 267;
    it->second.owner = kAdministratorsSidText;
    it->second.secured = true;
    return 0;
  }

  uint32_t ListChildren(const std::string& path, std::vector<std::string>* names) override {
    calls_.push_back("list " + path);
    names->clear();
    const Entry* e = Find(path);
    if (e == nullptr) return 2;
    if (!e->directory) return 267;
    const std::string prefix = Key(path) + "\\";
    for (const auto& [key, entry] : entries_) {
      if (key.rfind(prefix, 0) == 0 && key.find('\\', prefix.size()) == std::string::npos) {
        names->push_back(spelled_[key].substr(prefix.size()));
      }
    }
    return 0;
  }
  uint32_t ResetToInherited(const std::string& path, bool* descend) override {
    calls_.push_back("reset " + path);
    *descend = false;
    auto it = entries_.find(Key(path));
    if (it == entries_.end()) return 2;
    if (!it->second.directory && it->second.links > 1) return kErrorHardLinked;  // never touched
    it->second.owner = kAdministratorsSidText;
    it->second.secured = false;
    it->second.inherited_only = true;
    *descend = it->second.directory && !it->second.reparse_point;
    return 0;
  }

  std::string ProcessUserSid() override { return me_; }

  std::vector<std::string> calls_;
  std::string me_ = kLocalSystemSidText;  // silod as a service

 private:
  static std::string Key(std::string p) {
    for (char& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return p;
  }
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> spelled_;  // key -> the path as given
  std::map<std::string, std::function<void()>> before_create_;
};

class PrivateDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_.Add("C:\\ProgramData", {true, false, kLocalSystemSidText, false});
  }
  FakeVolume fs_;
};

TEST(FolderLevelsTest, SplitsBelowTheVolumeRootAndRefusesWhatIsNotALocalFullPath) {
  auto levels = FolderLevels("C:/ProgramData//silo\\root\\");
  ASSERT_TRUE(levels.ok());
  EXPECT_THAT(*levels, ElementsAre("C:\\ProgramData", "C:\\ProgramData\\silo", "C:\\ProgramData\\silo\\root"));
  EXPECT_THAT(*FolderLevels("\\\\?\\D:\\x"), ElementsAre("D:\\x"));
  for (const char* bad : {"silo\\root", "\\\\server\\share\\silo", "C:silo", "C:\\", "C:\\a\\..\\b", ""}) {
    EXPECT_FALSE(FolderLevels(bad).ok()) << bad;
  }
}

TEST(SharedDataDirTest, IsTheCommonParentOnlyWhenItIsDeepEnoughToBeSilods) {
  EXPECT_EQ(SharedDataDir({"C:\\ProgramData\\silo\\root", "C:\\ProgramData\\silo\\state",
                           "C:\\ProgramData\\silo\\logs"}),
            "C:\\ProgramData\\silo");
  EXPECT_EQ(SharedDataDir({"C:\\ProgramData\\silo-a", "C:\\ProgramData\\silo-b"}), "");
  EXPECT_EQ(SharedDataDir({"C:\\silo\\root", "D:\\silo\\state"}), "");
  EXPECT_EQ(SharedDataDir({"C:\\ProgramData\\silo\\root", "", "c:\\programdata\\SILO\\logs"}),
            "C:\\ProgramData\\silo");
}

TEST_F(PrivateDirTest, MissingFoldersAreCreatedAlreadySecuredNeverSecuredAfterwards) {
  HrStatus s = SecureSiloFolders(fs_, "C:\\ProgramData\\silo\\root", "C:\\ProgramData\\silo\\state",
                                 "C:\\ProgramData\\silo\\logs");
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (const char* dir : {"C:\\ProgramData\\silo", "C:\\ProgramData\\silo\\root", "C:\\ProgramData\\silo\\state",
                          "C:\\ProgramData\\silo\\logs"}) {
    ASSERT_NE(fs_.Find(dir), nullptr) << dir;
    EXPECT_TRUE(fs_.Find(dir)->secured) << dir;
    EXPECT_EQ(fs_.Find(dir)->owner, kAdministratorsSidText);
  }
  // Created with their descriptor: no after-the-fact ACL on any of them, and
  // C:\ProgramData, not silod's, untouched.
  for (const std::string& call : fs_.calls_) EXPECT_EQ(call.rfind("resecure", 0), std::string::npos) << call;
  EXPECT_FALSE(fs_.Find("C:\\ProgramData")->secured);
}

TEST_F(PrivateDirTest, ASecondStartReSecuresItsOwnFolders) {
  ASSERT_TRUE(SecureSiloFolders(fs_, "C:\\ProgramData\\silo\\root", "C:\\ProgramData\\silo\\state", "").ok());
  fs_.calls_.clear();
  ASSERT_TRUE(SecureSiloFolders(fs_, "C:\\ProgramData\\silo\\root", "C:\\ProgramData\\silo\\state", "").ok());
  EXPECT_THAT(fs_.calls_, ::testing::Contains("resecure C:\\ProgramData\\silo"));
  EXPECT_THAT(fs_.calls_, ::testing::Contains("resecure C:\\ProgramData\\silo\\root"));
  EXPECT_THAT(fs_.calls_, ::testing::Not(::testing::Contains("resecure C:\\ProgramData")));
  // Its own folders had silod's DACL all along: nothing below needs a reset.
  EXPECT_THAT(fs_.calls_, ::testing::Not(::testing::Contains(HasSubstr("list "))));
}

TEST_F(PrivateDirTest, AnAdoptedFolderHasEverythingBelowItResetToWhatItInherits) {
  fs_.Add("C:\\ProgramData\\silo", {true, false, kAdministratorsSidText, false});  // an installer's
  fs_.Add("C:\\ProgramData\\silo\\old.log", {false, false, kUser, false});
  fs_.Add("C:\\ProgramData\\silo\\root", {true, false, kLocalSystemSidText, false});
  fs_.Add("C:\\ProgramData\\silo\\root\\layers", {true, false, kUser, false});
  fs_.Add("C:\\ProgramData\\silo\\root\\layers\\l1", {false, false, kUser, false});
  fs_.Add("C:\\ProgramData\\silo\\cache", {true, /*reparse_point=*/true, kUser, false});
  fs_.Add("C:\\ProgramData\\silo\\cache\\elsewhere", {false, false, kUser, false});  // where it points
  ASSERT_TRUE(SecureSiloFolders(fs_, "C:\\ProgramData\\silo\\root", "C:\\ProgramData\\silo\\state", "").ok());
  for (const char* path : {"C:\\ProgramData\\silo\\old.log", "C:\\ProgramData\\silo\\root\\layers",
                           "C:\\ProgramData\\silo\\root\\layers\\l1", "C:\\ProgramData\\silo\\cache"}) {
    EXPECT_TRUE(fs_.Find(path)->inherited_only) << path;
    EXPECT_EQ(fs_.Find(path)->owner, kAdministratorsSidText) << path;
  }
  EXPECT_TRUE(fs_.Find("C:\\ProgramData\\silo\\root")->secured);
  // The junction itself is reset, never followed.
  EXPECT_FALSE(fs_.Find("C:\\ProgramData\\silo\\cache\\elsewhere")->inherited_only);
  EXPECT_EQ(fs_.Find("C:\\ProgramData\\silo\\cache\\elsewhere")->owner, kUser);
  EXPECT_THAT(fs_.calls_, ::testing::Not(::testing::Contains("list C:\\ProgramData\\silo\\cache")));
}

// A hard link's other name may be any file on the volume: silod refuses to
// start rather than change that file's security.
TEST_F(PrivateDirTest, AHardLinkedFileInAnAdoptedFolderIsRefusedAndLeftAlone) {
  fs_.Add("C:\\ProgramData\\silo", {true, false, kAdministratorsSidText, false});
  FakeVolume::Entry linked{false, false, kUser, false};
  linked.links = 2;
  fs_.Add("C:\\ProgramData\\silo\\hosts", linked);
  HrStatus s = SecureSiloFolders(fs_, "C:\\ProgramData\\silo\\root", "C:\\ProgramData\\silo\\state", "");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("hard link"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("C:\\ProgramData\\silo\\hosts"), std::string::npos) << s.ToString();
  EXPECT_EQ(fs_.Find("C:\\ProgramData\\silo\\hosts")->owner, kUser);
  EXPECT_FALSE(fs_.Find("C:\\ProgramData\\silo\\hosts")->inherited_only);
}

TEST_F(PrivateDirTest, AFolderAnAdministratorMadeIsTakenAndSecured) {
  fs_.Add("C:\\ProgramData\\silo", {true, false, kAdministratorsSidText, false});  // install.ps1
  fs_.Add("C:\\ProgramData\\silo\\root", {true, false, kLocalSystemSidText, false});
  ASSERT_TRUE(SecureSiloFolders(fs_, "C:\\ProgramData\\silo\\root", "C:\\ProgramData\\silo\\state", "").ok());
  EXPECT_TRUE(fs_.Find("C:\\ProgramData\\silo")->secured);
  EXPECT_TRUE(fs_.Find("C:\\ProgramData\\silo\\root")->secured);
}

TEST_F(PrivateDirTest, AFolderAUserMadeFirstIsRefusedAtAnyLevel) {
  for (const char* premade : {"C:\\ProgramData\\silo", "C:\\ProgramData\\silo\\state"}) {
    FakeVolume fs;
    fs.Add("C:\\ProgramData", {true, false, kLocalSystemSidText, false});
    if (std::string(premade) != "C:\\ProgramData\\silo") {
      fs.Add("C:\\ProgramData\\silo", {true, false, kAdministratorsSidText, true});
    }
    fs.Add(premade, {true, false, kUser, false});
    HrStatus s = SecureSiloFolders(fs, "C:\\ProgramData\\silo\\root", "C:\\ProgramData\\silo\\state", "");
    ASSERT_FALSE(s.ok()) << premade;
    EXPECT_THAT(s.message(), HasSubstr(std::string(premade) + " exists and is owned by " + kUser));
    EXPECT_EQ(s.hr(), 0x8007051Bu);  // ERROR_INVALID_OWNER
    EXPECT_FALSE(fs.Find(premade)->secured) << "never re-owned";
  }
}

TEST_F(PrivateDirTest, AJunctionIsRefusedAtEveryLevelSilodOwns) {
  for (const char* junction : {"C:\\ProgramData\\silo", "C:\\ProgramData\\silo\\root", "C:\\ProgramData\\silo\\logs"}) {
    FakeVolume fs;
    fs.Add("C:\\ProgramData", {true, false, kLocalSystemSidText, false});
    if (std::string(junction) != "C:\\ProgramData\\silo") {
      fs.Add("C:\\ProgramData\\silo", {true, false, kAdministratorsSidText, true});
    }
    fs.Add(junction, {true, /*reparse_point=*/true, kAdministratorsSidText, false});
    HrStatus s = SecureSiloFolders(fs, "C:\\ProgramData\\silo\\root", "C:\\ProgramData\\silo\\state",
                                   "C:\\ProgramData\\silo\\logs");
    ASSERT_FALSE(s.ok()) << junction;
    EXPECT_THAT(s.message(), HasSubstr(std::string(junction) + " is a junction or symbolic link"));
    EXPECT_FALSE(fs.Find(junction)->secured);
  }
}

TEST_F(PrivateDirTest, AFolderMadeBetweenTheLookAndTheCreateIsJudgedNotTrusted) {
  fs_.BeforeCreate("C:\\ProgramData\\silo", [this] {
    fs_.Add("C:\\ProgramData\\silo", {true, false, kUser, false});
  });
  HrStatus s = SecurePrivateDir(fs_, "C:\\ProgramData\\silo\\root", "C:\\ProgramData\\silo", "root dir");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("owned by " + std::string(kUser)));
  EXPECT_EQ(fs_.Find("C:\\ProgramData\\silo\\root"), nullptr);
}

TEST_F(PrivateDirTest, AParentOwnedByAUserIsRefusedThoughSilodLeavesItsAclAlone) {
  fs_.Add("C:\\Users", {true, false, kTrustedInstallerSidText, false});
  fs_.Add("C:\\Users\\bob", {true, false, kUser, false});
  HrStatus s = SecureSiloFolders(fs_, "C:\\Users\\bob\\silo-root", "", "");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("parent folder C:\\Users\\bob is owned by"));
  // Parents owned by TrustedInstaller or SYSTEM are fine and keep their ACL.
  ASSERT_TRUE(SecureSiloFolders(fs_, "C:\\Users\\silo-root", "", "").ok());
  EXPECT_FALSE(fs_.Find("C:\\Users")->secured);
  EXPECT_TRUE(fs_.Find("C:\\Users\\silo-root")->secured);
}

// An administrator running silod from a console owns what they made; that
// is no stranger's folder.
TEST_F(PrivateDirTest, FoldersOfTheUserSilodRunsAsAreTrusted) {
  const std::string admin = "S-1-5-21-1-2-3-500";
  fs_.me_ = admin;
  fs_.Add("C:\\Users", {true, false, kTrustedInstallerSidText, false});
  fs_.Add("C:\\Users\\admin", {true, false, admin, false});
  fs_.Add("C:\\Users\\admin\\silo", {true, false, admin, false});
  ASSERT_TRUE(SecureSiloFolders(fs_, "C:\\Users\\admin\\silo\\root", "C:\\Users\\admin\\silo\\state", "").ok());
  EXPECT_TRUE(fs_.Find("C:\\Users\\admin\\silo")->secured);
  EXPECT_EQ(fs_.Find("C:\\Users\\admin\\silo")->owner, kAdministratorsSidText);
  EXPECT_FALSE(fs_.Find("C:\\Users\\admin")->secured) << "a parent keeps its ACL";
  fs_.Add("C:\\Users\\admin\\silo\\logs", {true, false, kUser, false});
  EXPECT_FALSE(SecureSiloFolders(fs_, "C:\\Users\\admin\\silo\\root", "", "C:\\Users\\admin\\silo\\logs").ok());
}

TEST_F(PrivateDirTest, AFileWhereAFolderBelongsIsRefused) {
  fs_.Add("C:\\ProgramData\\silo", {/*directory=*/false, false, kAdministratorsSidText, false});
  HrStatus s = SecureSiloFolders(fs_, "C:\\ProgramData\\silo\\root", "", "");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("is not a folder"));
}

}  // namespace
}  // namespace silo::win32
