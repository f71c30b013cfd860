#include "runtime/container/image_user.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/base/file_util.h"
#include "runtime/store/temp_dir_for_test.h"

namespace silo::runtime::container {
namespace {

using ::testing::ElementsAre;

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment\n"
    "\n"
    "+nisuser::::::\n"
    "broken line without colons\n"
    "bad:x:notanumber:1::/:/bin/sh\n"
    "app:x:1000:1001:App:/home/app:/bin/sh\n"
    "web:x:33:33::/var/www:/usr/sbin/nologin\r\n";
constexpr char kGroup[] =
    "root:x:0:\n"
    "appgrp:x:1001:\n"
    "audio:x:29:app,web\n"
    "video:x:44: web , app \n"
    "www:x:33:\n"
    "junk:x:nan:app\n";

UserDb Db() {
  UserDb db;
  db.users = ParsePasswd(kPasswd);
  db.groups = ParseGroup(kGroup);
  return db;
}

TEST(ImageUserTest, ParsesPasswdAndGroupSkippingJunk) {
  auto users = ParsePasswd(kPasswd);
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users[1].name, "app");
  EXPECT_EQ(users[1].uid, 1000u);
  EXPECT_EQ(users[1].gid, 1001u);
  EXPECT_EQ(users[2].name, "web");  // CRLF line
  auto groups = ParseGroup(kGroup);
  ASSERT_EQ(groups.size(), 5u);
  EXPECT_THAT(groups[2].members, ElementsAre("app", "web"));
  EXPECT_THAT(groups[3].members, ElementsAre("web", "app"));
}

TEST(ImageUserTest, ImageUserByNameWithGroupsFromEtcGroup) {
  ::runtime::v1::ContainerConfig cri;
  ImageConfig image;
  image.user = "app";
  auto user = ResolveUser(cri, image, Db());
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 1000u);
  EXPECT_EQ(user->gid, 1001u);
  EXPECT_THAT(user->additional_gids, ElementsAre(1001u, 29u, 44u));

  image.user = "app:www";
  user = ResolveUser(cri, image, Db());
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->gid, 33u);
  EXPECT_THAT(user->additional_gids, ElementsAre(33u, 29u, 44u));

  image.user = "33:7";  // numeric uid finds its name for the groups
  user = ResolveUser(cri, image, Db());
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 33u);
  EXPECT_EQ(user->gid, 7u);
  EXPECT_THAT(user->additional_gids, ElementsAre(7u, 29u, 44u));

  image.user = "4242";  // a uid without an entry: gid 0, no groups
  user = ResolveUser(cri, image, Db());
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 4242u);
  EXPECT_EQ(user->gid, 0u);
  EXPECT_THAT(user->additional_gids, ElementsAre(0u));
}

TEST(ImageUserTest, MissingNamesAreInvalidArgumentNamingThem) {
  ::runtime::v1::ContainerConfig cri;
  ImageConfig image;
  image.user = "nobody";
  auto user = ResolveUser(cri, image, Db());
  EXPECT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(user.status().message()), ::testing::HasSubstr("\"nobody\""));
  image.user = "app:nogroup";
  user = ResolveUser(cri, image, Db());
  EXPECT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(user.status().message()), ::testing::HasSubstr("\"nogroup\""));
  image.user = "app";
  EXPECT_EQ(ResolveUser(cri, image, UserDb{}).status().code(), absl::StatusCode::kInvalidArgument);
  image.user = ":5";
  EXPECT_EQ(ResolveUser(cri, image, Db()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ImageUserTest, CriRunAsUserAndUsernameWinOverTheImage) {
  ImageConfig image;
  image.user = "app";
  ::runtime::v1::ContainerConfig cri;
  auto* sc = cri.mutable_linux()->mutable_security_context();
  sc->set_run_as_username("web");
  auto user = ResolveUser(cri, image, Db());
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 33u);
  EXPECT_EQ(user->gid, 33u);
  sc->mutable_run_as_user()->set_value(1000);
  sc->mutable_run_as_group()->set_value(5);
  user = ResolveUser(cri, image, Db());
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 1000u);
  EXPECT_EQ(user->gid, 5u);
  EXPECT_THAT(user->additional_gids, ElementsAre(5u, 29u, 44u));
  sc->clear_run_as_user();
  sc->set_run_as_username("ghost");
  EXPECT_EQ(ResolveUser(cri, image, Db()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ImageUserTest, RunAsGroupWithoutAUserIsInvalidArgumentNamingBothFields) {
  ImageConfig image;
  image.user = "app";  // the image's user does not count: the CRI pairs the two fields
  ::runtime::v1::ContainerConfig cri;
  cri.mutable_linux()->mutable_security_context()->mutable_run_as_group()->set_value(5);
  absl::Status s = ResolveUser(cri, image, Db()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), ::testing::AllOf(::testing::HasSubstr("run_as_group"),
                                                         ::testing::HasSubstr("run_as_user")));
}

TEST(ImageUserTest, NoUserIsRootWithRootsGroups) {
  auto user = ResolveUser(::runtime::v1::ContainerConfig(), ImageConfig(), Db());
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->uid, 0u);
  EXPECT_EQ(user->gid, 0u);
  EXPECT_THAT(user->additional_gids, ElementsAre(0u));
}

class LoadUserDbTest : public ::testing::Test {
 protected:
  std::string Layer(const std::string& name) {
    std::string dir = tmp_.path() + "/" + name;
    EXPECT_TRUE(MakeDirs(dir + "/etc").ok());
    return dir;
  }
  store::TempDirForTest tmp_;
};

TEST_F(LoadUserDbTest, TopmostLayerWins) {
  std::string bottom = Layer("l0"), middle = Layer("l1"), top = Layer("l2");
  ASSERT_TRUE(AtomicWriteFile(bottom + "/etc/passwd", "old:x:1:1::/:/bin/sh\n").ok());
  ASSERT_TRUE(AtomicWriteFile(bottom + "/etc/group", "g:x:9:old\n").ok());
  ASSERT_TRUE(AtomicWriteFile(middle + "/etc/passwd", "new:x:2:2::/:/bin/sh\n").ok());
  auto db = LoadUserDb({bottom, middle, top});
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_EQ(db->users.size(), 1u);
  EXPECT_EQ(db->users[0].name, "new");
  ASSERT_EQ(db->groups.size(), 1u);  // only the bottom layer has a group file
  EXPECT_EQ(db->groups[0].gid, 9u);
  auto none = LoadUserDb({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->users.empty());
}

TEST_F(LoadUserDbTest, WhiteoutAndOpaqueDirHideLowerFiles) {
  if (::geteuid() != 0) GTEST_SKIP() << "whiteouts need mknod (root)";
  std::string bottom = Layer("l0"), top = Layer("l1");
  ASSERT_TRUE(AtomicWriteFile(bottom + "/etc/passwd", "old:x:1:1::/:/bin/sh\n").ok());
  ASSERT_TRUE(AtomicWriteFile(bottom + "/etc/group", "g:x:9:old\n").ok());
  ASSERT_EQ(::mknod((top + "/etc/passwd").c_str(), S_IFCHR | 0600, makedev(0, 0)), 0);
  auto db = LoadUserDb({bottom, top});
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE(db->users.empty());
  EXPECT_EQ(db->groups.size(), 1u);
  if (::lsetxattr((top + "/etc").c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
    GTEST_SKIP() << "no trusted xattrs on this filesystem";
  }
  db = LoadUserDb({bottom, top});
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE(db->groups.empty());
}

// A Windows image names an account only Windows can resolve: it is passed
// through (no /etc/passwd), and the CRI's run_as_username overrides it.
TEST(ImageUserTest, WindowsImageUserIsTheAccountUnlessRunAsUsernameIsSet) {
  auto image = ParseImageConfig(R"({"os":"windows","config":{"User":"ContainerUser"}})");
  ASSERT_TRUE(image.ok()) << image.status();
  ::runtime::v1::ContainerConfig config;
  CreateSpec spec;
  absl::Status s = SetSpecUser(config, *image, &spec);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(spec.username, "ContainerUser");

  config.mutable_windows()->mutable_security_context()->set_run_as_username("ContainerAdministrator");
  ASSERT_TRUE(SetSpecUser(config, *image, &spec).ok());
  EXPECT_EQ(spec.username, "ContainerAdministrator");

  ImageConfig no_user;
  no_user.os = "windows";
  EXPECT_EQ(WindowsUsername(::runtime::v1::ContainerConfig(), no_user), "") << "the image's default account";
}

}  // namespace
}  // namespace silo::runtime::container
