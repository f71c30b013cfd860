#include "image/registry/testing/test_http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "runtime/base/mutex.h"

namespace silo::image::registry::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct TestHttpServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
};

absl::StatusOr<std::unique_ptr<TestHttpServer>> TestHttpServer::Start(Handler handler) {
  std::unique_ptr<TestHttpServer> s(new TestHttpServer());
  s->impl_ = std::make_unique<Impl>();
  s->handler_ = std::move(handler);
  boost::system::error_code ec;
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  s->impl_->acceptor.open(ep.protocol(), ec);
  if (!ec) s->impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) s->impl_->acceptor.bind(ep, ec);
  if (!ec) s->impl_->acceptor.listen(64, ec);
  if (ec) return absl::InternalError(absl::StrCat("test http server: ", ec.message()));
  s->port_ = s->impl_->acceptor.local_endpoint().port();
  s->acceptor_thread_ = std::thread([p = s.get()] { p->AcceptLoop(); });
  return s;
}

std::string TestHttpServer::host() const { return absl::StrCat("127.0.0.1:", port_); }
std::string TestHttpServer::base_url() const { return absl::StrCat("http://", host()); }

void TestHttpServer::AcceptLoop() {
  for (;;) {
    auto sock = std::make_shared<tcp::socket>(impl_->io);
    boost::system::error_code ec;
    impl_->acceptor.accept(*sock, ec);
    silo::MutexLock lock(&mu_);
    if (stopping_) return;
    if (ec) continue;
    sockets_.push_back(sock);
    conn_threads_.emplace_back([this, sock] { Serve(sock); });
  }
}

void TestHttpServer::Serve(std::shared_ptr<void> opaque) {
  auto& sock = *static_cast<tcp::socket*>(opaque.get());
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(sock, buffer, req, ec);
    if (ec) return;
    TestRequest treq;
    treq.method = std::string(req.method_string());
    treq.target = std::string(req.target());
    for (const auto& f : req) {
      treq.headers[absl::AsciiStrToLower(std::string(f.name_string()))] = std::string(f.value());
    }
    treq.body = req.body();
    TestResponse tres = handler_(treq);
    http::response<http::string_body> res{static_cast<http::status>(tres.status), req.version()};
    for (const auto& [k, v] : tres.headers) res.insert(k, v);
    res.body() = std::move(tres.body);
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    if (tres.stall_after) {
      http::response_serializer<http::string_body> sr{res};
      http::write_header(sock, sr, ec);
      const std::string& body = res.body();
      asio::write(sock, asio::buffer(body.data(), std::min(*tres.stall_after, body.size())), ec);
      silo::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&stopping_));
      return;
    }
    http::write(sock, res, ec);
    if (ec || !req.keep_alive()) return;
  }
}

TestHttpServer::~TestHttpServer() {
  {
    silo::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // Wake the blocking accept with a connection of our own.
  {
    boost::system::error_code ec;
    tcp::socket poke(impl_->io);
    poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
  }
  acceptor_thread_.join();
  std::vector<std::thread> threads;
  {
    silo::MutexLock lock(&mu_);
    for (auto& s : sockets_) {
      boost::system::error_code ec;
      static_cast<tcp::socket*>(s.get())->shutdown(tcp::socket::shutdown_both, ec);
    }
    threads.swap(conn_threads_);
  }
  for (auto& t : threads) t.join();
}

}  // namespace silo::image::registry::testing
