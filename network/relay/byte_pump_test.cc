#include "network/relay/byte_pump.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace silo::network::relay {
namespace {

// A pair of connected unix stream sockets; closes what is still open.
struct Pair {
  Pair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0) << strerror(errno); }
  ~Pair() {
    for (int f : fd) {
      if (f >= 0) close(f);
    }
  }
  void Close(int i) {
    close(fd[i]);
    fd[i] = -1;
  }
  int fd[2] = {-1, -1};
};

// client <-> pump side a ... pump side b <-> server
struct Relay {
  Relay() = default;
  int client() { return c.fd[0]; }
  int a() { return c.fd[1]; }
  int b() { return s.fd[0]; }
  int server() { return s.fd[1]; }
  std::future<PumpStats> Start(PumpOptions options = {}) {
    return std::async(std::launch::async, [this, options] { return PumpFds(a(), b(), options); });
  }
  Pair c;
  Pair s;
};

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& ch : out) ch = static_cast<char>(rng());
  return out;
}

bool WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t w = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(w);
  }
  return true;
}

// Reads until EOF; *err gets errno when a read fails (0 otherwise).
std::string ReadAll(int fd, int* err = nullptr) {
  std::string out;
  char buf[32 * 1024];
  if (err != nullptr) *err = 0;
  while (true) {
    const ssize_t r = read(fd, buf, sizeof(buf));
    if (r > 0) {
      out.append(buf, static_cast<size_t>(r));
    } else if (r == 0) {
      return out;
    } else if (errno != EINTR) {
      if (err != nullptr) *err = errno;
      return out;
    }
  }
}

// Full duplex: both peers write and read at the same time.
void RunDuplex(size_t up_size, size_t down_size, PumpOptions options, uint32_t seed) {
  Relay relay;
  const std::string up = RandomBytes(up_size, seed);
  const std::string down = RandomBytes(down_size, seed + 1);
  std::future<PumpStats> pump = relay.Start(options);
  std::thread client_writer([&] {
    EXPECT_TRUE(WriteAll(relay.client(), up));
    shutdown(relay.client(), SHUT_WR);
  });
  std::thread server_writer([&] {
    EXPECT_TRUE(WriteAll(relay.server(), down));
    shutdown(relay.server(), SHUT_WR);
  });
  std::future<std::string> server_got =
      std::async(std::launch::async, [&] { return ReadAll(relay.server()); });
  const std::string client_got = ReadAll(relay.client());
  client_writer.join();
  server_writer.join();
  EXPECT_TRUE(server_got.get() == up) << "client->server stream differs";
  EXPECT_TRUE(client_got == down) << "server->client stream differs";
  PumpStats stats = pump.get();
  EXPECT_TRUE(stats.status.ok()) << stats.status;
  EXPECT_EQ(stats.a_to_b, up_size);
  EXPECT_EQ(stats.b_to_a, down_size);
}

TEST(BytePumpTest, LargeRandomStreamsBothWaysAreByteExact) {
  RunDuplex(16 << 20, 12 << 20, {}, 1);
}

TEST(BytePumpTest, TinyBufferStillByteExact) {
  PumpOptions options;
  options.buffer_size = 1000;  // not a divisor of anything the kernel uses
  RunDuplex(3 << 20, (2 << 20) + 17, options, 7);
}

TEST(BytePumpTest, EmptyStreams) { RunDuplex(0, 0, {}, 3); }

TEST(BytePumpTest, HalfClosePropagatesAndOtherDirectionKeepsFlowing) {
  Relay relay;
  std::future<PumpStats> pump = relay.Start();
  ASSERT_TRUE(WriteAll(relay.client(), "request"));
  ASSERT_EQ(shutdown(relay.client(), SHUT_WR), 0);
  // The server sees EOF only if the pump forwarded the half-close.
  EXPECT_EQ(ReadAll(relay.server()), "request");
  // ...and can still answer afterwards.
  ASSERT_TRUE(WriteAll(relay.server(), "response"));
  relay.s.Close(1);
  EXPECT_EQ(ReadAll(relay.client()), "response");
  PumpStats stats = pump.get();
  EXPECT_TRUE(stats.status.ok()) << stats.status;
  EXPECT_EQ(stats.a_to_b, 7u);
  EXPECT_EQ(stats.b_to_a, 8u);
}

TEST(BytePumpTest, ServerHalfCloseFirst) {
  Relay relay;
  std::future<PumpStats> pump = relay.Start();
  ASSERT_TRUE(WriteAll(relay.server(), "banner"));
  ASSERT_EQ(shutdown(relay.server(), SHUT_WR), 0);
  EXPECT_EQ(ReadAll(relay.client()), "banner");
  ASSERT_TRUE(WriteAll(relay.client(), "late reply"));
  relay.c.Close(0);
  EXPECT_EQ(ReadAll(relay.server()), "late reply");
  EXPECT_TRUE(pump.get().status.ok());
}

TEST(BytePumpTest, PeerResetEndsPumpAndReleasesTheOtherPeer) {
  Relay relay;
  std::future<PumpStats> pump = relay.Start();
  ASSERT_TRUE(WriteAll(relay.server(), std::string(4096, 'x')));
  // Wait until the bytes reached the client, then close it without reading:
  // unread data makes the close a reset (ECONNRESET) for the pump.
  pollfd p{relay.client(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1);
  relay.c.Close(0);
  PumpStats stats = pump.get();
  EXPECT_EQ(stats.status.code(), absl::StatusCode::kUnavailable) << stats.status;
  EXPECT_NE(std::string(stats.status.message()).find("side a"), std::string::npos) << stats.status;
  // The server is not left hanging: it sees the end of the stream now.
  int err = -1;
  EXPECT_EQ(ReadAll(relay.server(), &err), "");
  EXPECT_EQ(err, 0);
}

TEST(BytePumpTest, ClientVanishingAfterItsRequestEndsCleanly) {
  Relay relay;
  std::future<PumpStats> pump = relay.Start();
  ASSERT_TRUE(WriteAll(relay.client(), "fire and forget"));
  relay.c.Close(0);  // full close, nothing unread: not a reset
  EXPECT_EQ(ReadAll(relay.server()), "fire and forget");
  PumpStats stats = pump.get();
  EXPECT_TRUE(stats.status.ok()) << stats.status;
  // Nobody is left to read: the server's writes fail instead of piling up.
  bool failed = false;
  for (int i = 0; i < 64 && !failed; ++i) failed = !WriteAll(relay.server(), std::string(64 * 1024, 'y'));
  EXPECT_TRUE(failed);
}

TEST(BytePumpTest, CancelStopsAnIdlePump) {
  Relay relay;
  Pair cancel;
  PumpOptions options;
  options.cancel_fd = cancel.fd[0];
  std::future<PumpStats> pump = relay.Start(options);
  ASSERT_TRUE(WriteAll(relay.client(), "hello"));
  char buf[5];
  ASSERT_EQ(read(relay.server(), buf, 5), 5);
  ASSERT_TRUE(WriteAll(cancel.fd[1], "x"));
  PumpStats stats = pump.get();
  EXPECT_EQ(stats.status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(stats.a_to_b, 5u);
  EXPECT_EQ(ReadAll(relay.client()), "");
  EXPECT_EQ(ReadAll(relay.server()), "");
}

TEST(BytePumpTest, InvalidDescriptorIsAnError) {
  Pair p;
  PumpStats stats = PumpFds(p.fd[0], 1 << 20);
  EXPECT_FALSE(stats.status.ok());
}

TEST(BytePumpTest, HundredConcurrentPumps) {
  constexpr int kPumps = 100;
  constexpr size_t kSize = 256 * 1024;
  std::vector<std::unique_ptr<Relay>> relays;
  std::vector<std::future<PumpStats>> pumps;
  std::vector<std::thread> peers;
  std::vector<std::string> client_got(kPumps), server_got(kPumps);
  for (int i = 0; i < kPumps; ++i) {
    relays.push_back(std::make_unique<Relay>());
    pumps.push_back(relays[i]->Start());
  }
  for (int i = 0; i < kPumps; ++i) {
    Relay* r = relays[i].get();
    // Request/response: the client sends and half-closes, the server reads to
    // EOF, answers and closes, the client reads the answer to EOF.
    peers.emplace_back([r, i, &client_got] {
      EXPECT_TRUE(WriteAll(r->client(), RandomBytes(kSize, 100 + i)));
      shutdown(r->client(), SHUT_WR);
      client_got[i] = ReadAll(r->client());
    });
    peers.emplace_back([r, i, &server_got] {
      server_got[i] = ReadAll(r->server());
      EXPECT_TRUE(WriteAll(r->server(), RandomBytes(kSize, 1000 + i)));
      shutdown(r->server(), SHUT_WR);
    });
  }
  for (std::thread& t : peers) t.join();
  for (int i = 0; i < kPumps; ++i) {
    PumpStats stats = pumps[i].get();
    EXPECT_TRUE(stats.status.ok()) << i << ": " << stats.status;
    EXPECT_TRUE(server_got[i] == RandomBytes(kSize, 100 + i)) << "pump " << i;
    EXPECT_TRUE(client_got[i] == RandomBytes(kSize, 1000 + i)) << "pump " << i;
  }
}

}  // namespace
}  // namespace silo::network::relay
