#include "runtime/shim/protocol.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "runtime/shim/shim_client.h"

namespace silo::runtime::shim {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(ProtocolTest, EveryOpRoundTrips) {
  for (int i = 0; i <= static_cast<int>(Op::kStart); ++i) {
    Op op = static_cast<Op>(i);
    EXPECT_EQ(OpFromName(OpName(op)), op);
  }
  EXPECT_EQ(OpFromName("nope"), std::nullopt);
}

TEST(ProtocolTest, RequestRoundTrip) {
  Request kill;
  kill.op = Op::kKill;
  kill.signal = SIGKILL;
  kill.all = true;
  auto r = DecodeRequest(EncodeRequest(kill));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->op, Op::kKill);
  EXPECT_EQ(r->signal, SIGKILL);
  EXPECT_TRUE(r->all);

  Request exec;
  exec.op = Op::kExec;
  exec.args = {"sh", "-c", "echo \"x\"\n"};
  exec.env = {"A=1"};
  exec.cwd = "/w";
  exec.tty = true;
  exec.stdin = true;
  exec.timeout_ms = 1500;
  r = DecodeRequest(EncodeRequest(exec));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->args, exec.args);
  EXPECT_EQ(r->env, exec.env);
  EXPECT_EQ(r->cwd, "/w");
  EXPECT_TRUE(r->tty);
  EXPECT_TRUE(r->stdin);
  EXPECT_EQ(r->timeout_ms, 1500);

  Request resize;
  resize.op = Op::kResize;
  resize.width = 120;
  resize.height = 40;
  r = DecodeRequest(EncodeRequest(resize));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->width, 120u);
  EXPECT_EQ(r->height, 40u);
}

TEST(ProtocolTest, ResponseRoundTrip) {
  Response in;
  in.state = "stopped";
  in.pid = 42;
  in.exited = true;
  in.exit_code = 3;
  in.exited_at_unix_nanos = 1700000000123456789;
  in.stdout_data = std::string("bin\0ary\xff\n", 9);
  in.stderr_data = "err";
  auto out = DecodeResponse(EncodeResponse(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->state, "stopped");
  EXPECT_EQ(out->pid, 42);
  EXPECT_TRUE(out->exited);
  EXPECT_EQ(out->exit_code, 3);
  EXPECT_EQ(out->exited_at_unix_nanos, 1700000000123456789);
  EXPECT_EQ(out->stdout_data, in.stdout_data);
  EXPECT_EQ(out->stderr_data, "err");
  EXPECT_FALSE(DecodeResponse(R"({"code":0,"stdout":"@@@"})").ok());

  out = DecodeResponse(EncodeResponse(ErrorResponse(absl::NotFoundError("no container c1"))));
  ASSERT_TRUE(out.ok());
  absl::Status s = ResponseStatus(*out);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "no container c1");
}

// Shims built before the codec moved to core/ encoded exec output with
// Abseil's base64; both directions must stay byte-compatible.
TEST(ProtocolTest, CoreBase64MatchesAbseilBothWays) {
  std::mt19937 rng(7);
  for (size_t len = 0; len < 70; ++len) {
    std::string data(len, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    const std::string ours = Base64Encode(data);
    EXPECT_EQ(ours, absl::Base64Escape(data));
    std::string back;
    ASSERT_TRUE(Base64Decode(absl::Base64Escape(data), &back));
    EXPECT_EQ(back, data);
    std::string unpadded = ours;
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    ASSERT_TRUE(Base64Decode(unpadded, &back));
    EXPECT_EQ(back, data);
  }
  std::string out;
  EXPECT_FALSE(Base64Decode("a", &out));
  EXPECT_FALSE(Base64Decode("ab$=", &out));
  EXPECT_FALSE(Base64Decode("a=bc", &out));
}

TEST(ProtocolTest, WindowsExecCarriesItsProcessParameters) {
  Request in;
  in.op = Op::kExec;
  in.args = {"cmd", "/c", "ver"};
  in.process = R"({"CommandLine":"cmd /c ver"})";
  auto out = DecodeRequest(EncodeRequest(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->process, in.process);
  in.op = Op::kState;
  EXPECT_EQ(DecodeRequest(EncodeRequest(in))->process, "");
}

// A HostProcess monitor sizes an exec's pseudo console from the request.
TEST(ProtocolTest, ATtyExecCarriesTheConsolesFirstSize) {
  Request in;
  in.op = Op::kExec;
  in.stream = true;
  in.tty = true;
  in.args = {"cmd.exe"};
  in.width = 100;
  in.height = 30;
  auto out = DecodeRequest(EncodeRequest(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->width, 100u);
  EXPECT_EQ(out->height, 30u);
  in.tty = false;  // no console: no size
  out = DecodeRequest(EncodeRequest(in));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->width, 0u);
  EXPECT_EQ(out->height, 0u);
}

TEST(ProtocolTest, BadRequestsAreInvalidArgument) {
  for (const char* bad : {"", "{", "[]", "42", "{}", R"({"op":"explode"})", R"({"op":7})",
                          R"({"op":"kill"})", R"({"op":"kill","signal":0})", R"({"op":"kill","signal":"9"})",
                          R"({"op":"exec","args":[]})", R"({"op":"exec","args":[1]})",
                          "\xff\xfe garbage"}) {
    EXPECT_EQ(DecodeRequest(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(DecodeResponse(R"({"code":99})").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeResponse(R"({"message":"x"})").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ProtocolTest, RandomBytesNeverCrashDecoders) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    (void)DecodeRequest(junk);
    (void)DecodeResponse(junk);
    FrameDecoder d;
    if (d.Append(junk).ok()) {
      while (d.Next()) {
      }
    }
  }
}

TEST(FrameDecoderTest, ReassemblesSplitAndBatchedFrames) {
  std::string stream = EncodeFrame("one") + EncodeFrame("") + EncodeFrame(std::string(5000, 'z'));
  FrameDecoder d;
  std::vector<std::string> got;
  for (char c : stream) {  // worst case: one byte at a time
    ASSERT_TRUE(d.Append(absl::string_view(&c, 1)).ok());
    while (auto f = d.Next()) got.push_back(*f);
  }
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], "one");
  EXPECT_EQ(got[1], "");
  EXPECT_EQ(got[2], std::string(5000, 'z'));
  EXPECT_TRUE(d.empty());
}

TEST(FrameDecoderTest, OversizedLengthIsRejectedBeforeBuffering) {
  FrameDecoder d;
  std::string prefix = "\x00\x10\x00\x01";  // 1 MiB + 1
  prefix.assign("\x00\x10\x00\x01", 4);
  EXPECT_EQ(d.Append(prefix).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(d.Next(), std::nullopt);
  EXPECT_FALSE(d.Append("more").ok());

  FrameDecoder e;  // a bad prefix after a good frame
  ASSERT_TRUE(e.Append(EncodeFrame("ok") + std::string("\xff\xff\xff\xff", 4)).ok());
  EXPECT_EQ(e.Next(), "ok");
  EXPECT_EQ(e.Next(), std::nullopt);
  EXPECT_FALSE(e.Append("x").ok());

  FrameDecoder f;  // exactly the cap is allowed
  std::string cap = EncodeFrame(std::string(kMaxFrameSize, 'a'));
  ASSERT_TRUE(f.Append(cap).ok());
  auto payload = f.Next();
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(payload->size(), kMaxFrameSize);
}

class SocketPairTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_), 0); }
  void TearDown() override {
    for (int fd : fds_) if (fd >= 0) ::close(fd);
  }
  int fds_[2] = {-1, -1};
};

TEST_F(SocketPairTest, WriteThenReadFrames) {
  ASSERT_TRUE(WriteFrame(fds_[0], "first").ok());
  ASSERT_TRUE(WriteFrame(fds_[0], "second").ok());
  EXPECT_EQ(*ReadFrame(fds_[1]), "first");  // exact reads leave the second intact
  EXPECT_EQ(*ReadFrame(fds_[1]), "second");
  EXPECT_EQ(WriteFrame(fds_[0], std::string(kMaxFrameSize + 1, 'x'), kNoDeadline, kMaxFrameSize).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SocketPairTest, OversizedPrefixOnTheWireIsRejected) {
  ASSERT_EQ(::write(fds_[0], "\x7f\xff\xff\xff", 4), 4);
  EXPECT_EQ(ReadFrame(fds_[1]).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SocketPairTest, TruncatedFrameThenCloseIsUnavailable) {
  std::string frame = EncodeFrame("complete me");
  ASSERT_EQ(::write(fds_[0], frame.data(), 6), 6);
  ::close(fds_[0]);
  fds_[0] = -1;
  EXPECT_EQ(ReadFrame(fds_[1]).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(SocketPairTest, ReadHonoursDeadline) {
  auto start = steady_clock::now();
  EXPECT_EQ(ReadFrame(fds_[1], start + milliseconds(50)).status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(steady_clock::now() - start, milliseconds(50));
}

class ShimClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/silo-proto-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/s.sock";
  }
  void TearDown() override {
    if (server_.joinable()) server_.join();
    std::filesystem::remove_all(dir_);
  }
  int Listen() {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path_.c_str());
    EXPECT_EQ(::bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd, 4), 0);
    return fd;
  }
  std::string dir_, path_;
  std::thread server_;
};

TEST_F(ShimClientTest, CallsAnEchoingServer) {
  int lfd = Listen();
  server_ = std::thread([lfd] {
    int c = ::accept(lfd, nullptr, nullptr);
    ::close(lfd);
    while (true) {
      auto frame = ReadFrame(c);
      if (!frame.ok()) break;
      auto req = DecodeRequest(*frame);
      Response resp;
      if (!req.ok()) {
        resp = ErrorResponse(req.status());
      } else if (req->op == Op::kKill) {
        resp = ErrorResponse(absl::FailedPreconditionError("container is stopped"));
      } else {
        resp.state = "running";
        resp.pid = req->op == Op::kState ? 1234 : 0;
      }
      if (!WriteFrame(c, EncodeResponse(resp)).ok()) break;
    }
    ::close(c);
  });
  auto client = ShimClient::Connect(path_, steady_clock::now() + std::chrono::seconds(5));
  ASSERT_TRUE(client.ok()) << client.status();
  auto state = (*client)->State();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->pid, 1234);
  absl::Status kill = (*client)->Kill(SIGTERM, false);
  EXPECT_EQ(kill.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(kill.message().find("shim kill on"), absl::string_view::npos) << kill;
  client->reset();  // server sees EOF and exits
}

TEST_F(ShimClientTest, ConnectTimesOutWhenNobodyListens) {
  auto start = steady_clock::now();
  auto client = ShimClient::Connect(path_, start + milliseconds(100));
  EXPECT_EQ(client.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(steady_clock::now() - start, milliseconds(100));
}

TEST_F(ShimClientTest, ServerClosingMidCallIsUnavailable) {
  int lfd = Listen();
  server_ = std::thread([lfd] {
    int c = ::accept(lfd, nullptr, nullptr);
    ::close(lfd);
    (void)ReadFrame(c);
    ::close(c);
  });
  auto client = ShimClient::Connect(path_, steady_clock::now() + std::chrono::seconds(5));
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->Wait().status().code(), absl::StatusCode::kUnavailable);
}

// A shim from before versions existed (the shims of containers started by
// an older silod): its responses carry no version. silod reads it as v1 and
// serves it with everything v1 has, ExecSync's output included.
TEST_F(ShimClientTest, AnUnversionedShimIsServedAsVersionOne) {
  int lfd = Listen();
  std::vector<std::string> ops;
  server_ = std::thread([lfd, &ops] {
    int c = ::accept(lfd, nullptr, nullptr);
    ::close(lfd);
    while (true) {
      auto frame = ReadFrame(c);
      if (!frame.ok()) break;
      auto req = DecodeRequest(*frame);
      if (!req.ok()) break;
      ops.push_back(OpName(req->op));
      std::string answer = req->op == Op::kExec ? R"({"code":0,"exited":true,"exit_code":3,"stdout":"aGkK"})"
                                                : R"({"code":0,"state":"running","pid":77})";
      if (!WriteFrame(c, answer).ok()) break;
    }
    ::close(c);
  });
  auto old = ShimClient::Connect(path_, steady_clock::now() + std::chrono::seconds(5));
  ASSERT_TRUE(old.ok()) << old.status();
  auto state = (*old)->State();
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->version, kUnversionedShim);
  EXPECT_EQ((*old)->peer_version(), kUnversionedShim);
  EXPECT_EQ(state->pid, 77);
  auto exec = (*old)->Exec({"echo", "hi"}, {}, std::chrono::milliseconds(0));
  ASSERT_TRUE(exec.ok()) << exec.status();
  EXPECT_EQ(exec->stdout_data, "hi\n");
  EXPECT_EQ(exec->exit_code, 3);
  old->reset();
  server_.join();
  EXPECT_EQ(ops, (std::vector<std::string>{"state", "exec"}));
}

TEST(ProtocolTest, ResponsesCarryTheVersionAndOldOnesDecodeAsUnversioned) {
  Response r;
  auto back = DecodeResponse(EncodeResponse(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->version, kProtocolVersion);
  auto old = DecodeResponse(R"({"code":0})");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->version, kUnversionedShim);
  EXPECT_EQ(DecodeResponse(R"({"code":0,"version":0})").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ShimClientPathTest, TooLongPathIsInvalid) {
  EXPECT_EQ(ShimClient::Connect("/tmp/" + std::string(200, 'a'), kNoDeadline).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::runtime::shim
