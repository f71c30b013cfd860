#include "image/reference.h"

#include <ostream>
#include <string>

#include "gtest/gtest.h"

namespace silo::image {
namespace {

const std::string kHex = "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
const std::string kFff = std::string(64, 'f');

struct ValidCase {
  std::string input;
  std::string domain;
  std::string path;
  std::string tag;
  std::string digest;     // empty: none
  std::string canonical;  // String()
  std::string familiar;   // Familiar()
};

void PrintTo(const ValidCase& c, std::ostream* os) { *os << c.input; }

class ValidReferenceTest : public testing::TestWithParam<ValidCase> {};

TEST_P(ValidReferenceTest, ParsesAndNormalises) {
  const ValidCase& c = GetParam();
  auto ref = ParseReference(c.input);
  ASSERT_TRUE(ref.ok()) << c.input << ": " << ref.status();
  EXPECT_EQ(ref->domain, c.domain);
  EXPECT_EQ(ref->path, c.path);
  EXPECT_EQ(ref->tag, c.tag);
  EXPECT_EQ(ref->digest.has_value() ? ref->digest->String() : "", c.digest);
  EXPECT_EQ(ref->String(), c.canonical);
  EXPECT_EQ(ref->Familiar(), c.familiar);
  // Normalisation is idempotent: both printed forms parse back to the same value.
  auto again = ParseReference(ref->String());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *ref);
  auto from_familiar = ParseReference(ref->Familiar());
  ASSERT_TRUE(from_familiar.ok()) << from_familiar.status();
  EXPECT_EQ(*from_familiar, *ref);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ValidReferenceTest,
    testing::Values(
        // Docker Hub familiar names.
        ValidCase{"busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
                  "busybox:latest"},
        ValidCase{"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "docker.io/library/busybox:1.36",
                  "busybox:1.36"},
        ValidCase{"user/app", "docker.io", "user/app", "latest", "", "docker.io/user/app:latest",
                  "user/app:latest"},
        ValidCase{"library/ubuntu", "docker.io", "library/ubuntu", "latest", "",
                  "docker.io/library/ubuntu:latest", "ubuntu:latest"},
        ValidCase{"docker.io/ubuntu", "docker.io", "library/ubuntu", "latest", "",
                  "docker.io/library/ubuntu:latest", "ubuntu:latest"},
        ValidCase{"index.docker.io/fooo/bar", "docker.io", "fooo/bar", "latest", "", "docker.io/fooo/bar:latest",
                  "fooo/bar:latest"},
        ValidCase{"index.docker.io/debian", "docker.io", "library/debian", "latest", "",
                  "docker.io/library/debian:latest", "debian:latest"},
        ValidCase{"docker.io/library/foo/bar", "docker.io", "library/foo/bar", "latest", "",
                  "docker.io/library/foo/bar:latest", "library/foo/bar:latest"},
        ValidCase{"other/library", "docker.io", "other/library", "latest", "", "docker.io/other/library:latest",
                  "other/library:latest"},
        ValidCase{"ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base", "latest", "",
                  "docker.io/library/ubuntu-12.04-base:latest", "ubuntu-12.04-base:latest"},
        ValidCase{"test_com/foo", "docker.io", "test_com/foo", "latest", "", "docker.io/test_com/foo:latest",
                  "test_com/foo:latest"},
        // A 63-hex name is a plain repository; only exactly 64 hex is an id.
        ValidCase{kHex.substr(0, 63), "docker.io", "library/" + kHex.substr(0, 63), "latest", "",
                  "docker.io/library/" + kHex.substr(0, 63) + ":latest", kHex.substr(0, 63) + ":latest"},
        ValidCase{"docker.io/" + kHex, "docker.io", "library/" + kHex, "latest", "",
                  "docker.io/library/" + kHex + ":latest", kHex + ":latest"},
        // Names without a '/' are Docker Hub names even when they look like hosts.
        ValidCase{"192.168.1.1", "docker.io", "library/192.168.1.1", "latest", "",
                  "docker.io/library/192.168.1.1:latest", "192.168.1.1:latest"},
        ValidCase{"test.com:5000", "docker.io", "library/test.com", "5000", "", "docker.io/library/test.com:5000",
                  "test.com:5000"},
        ValidCase{"foo_bar.com:8080", "docker.io", "library/foo_bar.com", "8080", "",
                  "docker.io/library/foo_bar.com:8080", "foo_bar.com:8080"},
        ValidCase{"foo/foo_bar.com:8080", "docker.io", "foo/foo_bar.com", "8080", "",
                  "docker.io/foo/foo_bar.com:8080", "foo/foo_bar.com:8080"},
        // Separators.
        ValidCase{"docker---rules/docker", "docker.io", "docker---rules/docker", "latest", "",
                  "docker.io/docker---rules/docker:latest", "docker---rules/docker:latest"},
        ValidCase{"dock__er/docker", "docker.io", "dock__er/docker", "latest", "",
                  "docker.io/dock__er/docker:latest", "dock__er/docker:latest"},
        ValidCase{"d/docker", "docker.io", "d/docker", "latest", "", "docker.io/d/docker:latest",
                  "d/docker:latest"},
        // Other registries.
        ValidCase{"localhost/x", "localhost", "x", "latest", "", "localhost/x:latest", "localhost/x:latest"},
        ValidCase{"localhost:5000/a/b:v1", "localhost:5000", "a/b", "v1", "", "localhost:5000/a/b:v1",
                  "localhost:5000/a/b:v1"},
        ValidCase{"127.0.0.1:8000/private/moonbase", "127.0.0.1:8000", "private/moonbase", "latest", "",
                  "127.0.0.1:8000/private/moonbase:latest", "127.0.0.1:8000/private/moonbase:latest"},
        ValidCase{"example.com/privatebase", "example.com", "privatebase", "latest", "",
                  "example.com/privatebase:latest", "example.com/privatebase:latest"},
        ValidCase{"test:5000/repo:tag", "test:5000", "repo", "tag", "", "test:5000/repo:tag",
                  "test:5000/repo:tag"},
        ValidCase{"test-com:8080/foo", "test-com:8080", "foo", "latest", "", "test-com:8080/foo:latest",
                  "test-com:8080/foo:latest"},
        ValidCase{"xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo", "latest", "",
                  "xn--n3h.com:18080/foo:latest", "xn--n3h.com:18080/foo:latest"},
        ValidCase{"sub-dom1.foo.com/bar/baz/quux:some-long-tag", "sub-dom1.foo.com", "bar/baz/quux",
                  "some-long-tag", "", "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
                  "sub-dom1.foo.com/bar/baz/quux:some-long-tag"},
        ValidCase{"b.gcr.io/test.example.com/my-app:test.example.com", "b.gcr.io", "test.example.com/my-app",
                  "test.example.com", "", "b.gcr.io/test.example.com/my-app:test.example.com",
                  "b.gcr.io/test.example.com/my-app:test.example.com"},
        ValidCase{"registry.k8s.io/pause:3.9", "registry.k8s.io", "pause", "3.9", "", "registry.k8s.io/pause:3.9",
                  "registry.k8s.io/pause:3.9"},
        // An uppercase first component is a domain, not a (forbidden) namespace.
        ValidCase{"Foo/bar", "Foo", "bar", "latest", "", "Foo/bar:latest", "Foo/bar:latest"},
        // IPv6 registries.
        ValidCase{"[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000", "repo", "tag", "",
                  "[2001:db8::1]:5000/repo:tag", "[2001:db8::1]:5000/repo:tag"},
        ValidCase{"[::1]:5000/repo", "[::1]:5000", "repo", "latest", "", "[::1]:5000/repo:latest",
                  "[::1]:5000/repo:latest"},
        ValidCase{"[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000", "library/debian",
                  "latest", "", "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest",
                  "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest"},
        // Tags keep their case.
        ValidCase{"lowercase:Uppercase", "docker.io", "library/lowercase", "Uppercase", "",
                  "docker.io/library/lowercase:Uppercase", "lowercase:Uppercase"},
        ValidCase{"a:_x", "docker.io", "library/a", "_x", "", "docker.io/library/a:_x", "a:_x"},
        // Digests: no default tag; tag and digest both kept.
        ValidCase{"redis@sha256:" + kHex, "docker.io", "library/redis", "", "sha256:" + kHex,
                  "docker.io/library/redis@sha256:" + kHex, "redis@sha256:" + kHex},
        ValidCase{"busybox:latest@sha256:" + kHex, "docker.io", "library/busybox", "latest", "sha256:" + kHex,
                  "docker.io/library/busybox:latest@sha256:" + kHex, "busybox:latest@sha256:" + kHex},
        ValidCase{"test:5000/repo:tag@sha256:" + kFff, "test:5000", "repo", "tag", "sha256:" + kFff,
                  "test:5000/repo:tag@sha256:" + kFff, "test:5000/repo:tag@sha256:" + kFff},
        ValidCase{"xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + std::string(128, 'f'), "xn--7o8h.com", "myimage",
                  "xn--7o8h.com", "sha512:" + std::string(128, 'f'),
                  "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + std::string(128, 'f'),
                  "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + std::string(128, 'f')}));

struct InvalidCase {
  std::string input;
  std::string problem;  // substring of the error message
};

void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.input; }

class InvalidReferenceTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidReferenceTest, RejectsWithReason) {
  const InvalidCase& c = GetParam();
  auto ref = ParseReference(c.input);
  ASSERT_FALSE(ref.ok()) << c.input << " parsed as " << ref->String();
  EXPECT_EQ(ref.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(ref.status().message()).find(c.problem), std::string::npos)
      << c.input << " -> " << ref.status();
}

INSTANTIATE_TEST_SUITE_P(
    Table, InvalidReferenceTest,
    testing::Values(
        InvalidCase{"", "empty"},
        InvalidCase{":justtag", "missing repository name"},
        InvalidCase{"@sha256:" + kFff, "missing repository name"},
        InvalidCase{"busybox:", "empty tag"},
        InvalidCase{"busybox@", "empty digest"},
        InvalidCase{"busybox:-x", "invalid tag"},
        InvalidCase{"busybox:.x", "invalid tag"},
        InvalidCase{"busybox:a+b", "invalid tag"},
        InvalidCase{"busybox:" + std::string(129, 'a'), "invalid tag"},
        InvalidCase{"repo@sha256:" + std::string(34, 'f'), "needs 64"},
        InvalidCase{"validname@invaliddigest:" + kFff, "unsupported algorithm"},
        InvalidCase{"repo@sha256:" + std::string(64, 'F'), "not lowercase hex"},
        InvalidCase{"Uppercase:tag", "must be lowercase"},
        InvalidCase{"docker/Docker", "must be lowercase"},
        InvalidCase{"docker.io/docker/Docker", "must be lowercase"},
        InvalidCase{"test:5000/Uppercase/lowercase:tag", "must be lowercase"},
        InvalidCase{kHex, "image id"},
        InvalidCase{"-docker", "path component"},
        InvalidCase{"-docker/docker", "path component"},
        InvalidCase{"docker-/docker", "must not end with a separator"},
        InvalidCase{"-docker-/docker", "path component"},
        InvalidCase{"____/____", "path component"},
        InvalidCase{"_docker/_docker", "path component"},
        InvalidCase{"dock..er/docker", "invalid label"},
        InvalidCase{"dock_.er/docker", "invalid label"},
        InvalidCase{"dock-.er/docker", "invalid label"},
        InvalidCase{"dock___er/docker", "path component"},
        InvalidCase{"docker/dock..er", "path component"},
        InvalidCase{"docker/dock_.er", "path component"},
        InvalidCase{"docker/dock-", "must not end with a separator"},
        InvalidCase{"docker/", "empty path component"},
        InvalidCase{"docker///docker", "empty path component"},
        InvalidCase{"docker.io/docker///docker", "empty path component"},
        InvalidCase{"aa/asdf$$^/aa", "contains '$'"},
        InvalidCase{"-docker.io/docker/docker", "invalid label"},
        InvalidCase{"exa_mple.com/x", "invalid label"},
        InvalidCase{"https://github.com/docker/docker", "empty port"},
        InvalidCase{"fc00::1:5000/debian", "non-numeric port"},
        InvalidCase{"localhost:/x", "empty port"},
        InvalidCase{"[fc00::1]", "invalid tag"},
        InvalidCase{"[fc00::1]:5000", "path component"},
        InvalidCase{"[2001:db8::1]:tag", "path component"},
        InvalidCase{"[fe80::1%eth0]:5000/debian", "IPv6"},
        InvalidCase{"[2001:db8:3:4::192.0.2.33]:5000/debian", "IPv6"},
        InvalidCase{"[]:5000/x", "empty IPv6"},
        InvalidCase{"[::1]x/repo", "after ']'"},
        InvalidCase{"a b", "contains ' '"},
        InvalidCase{"this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_"
                    "namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_"
                    "lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_"
                    "255/docker",
                    "longer than 255"}));

TEST(ReferenceTest, NameLengthLimitCountsTheNormalisedName) {
  // "localhost/" is 10 characters, so 245 more reach the limit exactly.
  std::string at_limit = "localhost/" + std::string(245, 'a');
  auto ok = ParseReference(at_limit);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->Repository().size(), kMaxNameLength);
  EXPECT_FALSE(ParseReference(at_limit + "a").ok());
  // Docker Hub names are measured after "docker.io/library/" is added.
  EXPECT_TRUE(ParseReference(std::string(255 - 18, 'a')).ok());
  EXPECT_FALSE(ParseReference(std::string(255 - 17, 'a')).ok());
  // A long tag does not count towards the name.
  EXPECT_TRUE(ParseReference(at_limit + ":" + std::string(128, 't')).ok());
}

TEST(ReferenceTest, RegistryHost) {
  EXPECT_EQ(ParseReference("busybox")->RegistryHost(), "registry-1.docker.io");
  EXPECT_EQ(ParseReference("index.docker.io/a/b")->RegistryHost(), "registry-1.docker.io");
  EXPECT_EQ(ParseReference("localhost:5000/a")->RegistryHost(), "localhost:5000");
  EXPECT_EQ(ParseReference("registry.k8s.io/pause:3.9")->RegistryHost(), "registry.k8s.io");
}

TEST(ReferenceTest, RepositoryAndFamiliarName) {
  auto ref = ParseReference("docker.io/library/busybox:1@sha256:" + kHex);
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(ref->Repository(), "docker.io/library/busybox");
  EXPECT_EQ(ref->FamiliarName(), "busybox");
  auto nested = ParseReference("quay.io/a/b/c");
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(nested->FamiliarName(), "quay.io/a/b/c");
}

TEST(ReferenceTest, EquivalentSpellingsNormaliseToOneValue) {
  const std::string spellings[] = {"ubuntu", "ubuntu:latest", "library/ubuntu", "docker.io/ubuntu",
                                   "docker.io/library/ubuntu:latest", "index.docker.io/library/ubuntu",
                                   "index.docker.io/ubuntu:latest"};
  for (const std::string& s : spellings) {
    auto ref = ParseReference(s);
    ASSERT_TRUE(ref.ok()) << s << ": " << ref.status();
    EXPECT_EQ(ref->String(), "docker.io/library/ubuntu:latest") << s;
  }
}

TEST(ReferenceTest, ValidTags) {
  EXPECT_TRUE(IsValidTag("v1.0-rc_1"));
  EXPECT_TRUE(IsValidTag(std::string(128, 'a')));
  EXPECT_FALSE(IsValidTag(std::string(129, 'a')));
  EXPECT_FALSE(IsValidTag(""));
  EXPECT_FALSE(IsValidTag("-a"));
  EXPECT_FALSE(IsValidTag("a/b"));
  EXPECT_FALSE(IsValidTag("a:b"));
}

}  // namespace
}  // namespace silo::image
