#include "runtime/shim/exec_session.h"

#include <fcntl.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::shim {
namespace {

using nlohmann::json;

TEST(BuildExecProcessJsonTest, KeepsContainerIdentityAndAppliesRequest) {
  std::string config = R"({"ociVersion":"1.0.2","process":{"terminal":true,"user":{"uid":1000,"gid":1000},
    "args":["/bin/server"],"env":["PATH=/bin","A=1"],"cwd":"/app","capabilities":{"bounding":["CAP_KILL"]},
    "noNewPrivileges":true}})";
  Request r;
  r.op = Op::kExec;
  r.args = {"/bin/sh", "-c", "id"};
  r.env = {"B=2"};
  auto out = BuildExecProcessJson(config, r);
  ASSERT_TRUE(out.ok()) << out.status();
  json p = json::parse(*out);
  EXPECT_EQ(p["args"], json::parse(R"(["/bin/sh","-c","id"])"));
  EXPECT_EQ(p["env"], json::parse(R"(["PATH=/bin","A=1","B=2"])"));
  EXPECT_EQ(p["cwd"], "/app");
  EXPECT_EQ(p["terminal"], false);
  EXPECT_EQ(p["user"]["uid"], 1000);
  EXPECT_EQ(p["capabilities"]["bounding"], json::parse(R"(["CAP_KILL"])"));
  r.cwd = "/tmp";
  p = json::parse(*BuildExecProcessJson(config, r));
  EXPECT_EQ(p["cwd"], "/tmp");
  p = json::parse(*BuildExecProcessJson(R"({"process":{"args":["x"]}})", r));
  EXPECT_EQ(p["env"], json::parse(R"(["B=2"])"));
}

TEST(BuildExecProcessJsonTest, BadConfigIsInvalidArgument) {
  Request r;
  r.args = {"x"};
  for (const char* bad : {"", "{", "{}", R"({"process":3})", "[1]"}) {
    EXPECT_EQ(BuildExecProcessJson(bad, r).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ExecSessionTest, DrainCapsOutputAndClosesAtEof) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
  ExecSession e;
  e.out_fd = p[0];
  EXPECT_FALSE(e.drained());
  std::string chunk(64 * 1024, 'x');
  size_t written = 0;
  // Push more than the cap through the pipe, draining as it fills.
  while (written < kMaxExecOutput + chunk.size()) {
    ssize_t n = ::write(p[1], chunk.data(), chunk.size());
    if (n > 0) written += static_cast<size_t>(n);
    e.Drain(e.out_fd);
    ASSERT_GE(e.out_fd, 0);
  }
  ::close(p[1]);
  e.Drain(e.out_fd);
  EXPECT_EQ(e.out_fd, -1);
  EXPECT_TRUE(e.drained());
  EXPECT_EQ(e.out.size(), kMaxExecOutput);
}

}  // namespace
}  // namespace silo::runtime::shim
