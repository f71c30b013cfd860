#include "runtime/windows/shim/shim_pipe_server_win32.h"

#include <algorithm>

#include "runtime/windows/shim/pipe_frames_win32.h"

namespace silo::runtime::windows::shim {
namespace {

namespace wire = runtime::shim;
constexpr DWORD kPipeBuffer = 64 * 1024;

}  // namespace

win32::Result<std::unique_ptr<ShimPipeServer>> ShimPipeServer::Start(std::wstring pipe_name, Handler handler,
                                                                     std::wstring sddl) {
  std::unique_ptr<ShimPipeServer> s(new ShimPipeServer(std::move(pipe_name), std::move(handler)));
  auto security = win32::PipeSecurity::FromSddl(sddl);
  if (!security.ok()) return security.status();
  s->security_ = std::move(*security);
  s->stop_event_ = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (s->stop_event_ == nullptr) return win32::LastErrorStatus("CreateEvent");
  auto first = win32::CreateLocalPipeInstance(s->name_, s->security_, /*first=*/true, kPipeBuffer);
  if (!first.ok()) return first.status();
  s->acceptor_ = std::thread([p = s.get(), h = *first] { p->AcceptLoop(h); });
  return s;
}

void ShimPipeServer::AcceptLoop(HANDLE instance) {
  for (;;) {
    const win32::PipeConnect outcome = win32::WaitForPipeClient(instance, stop_event_);
    if (outcome == win32::PipeConnect::kStopped) {
      CloseHandle(instance);
      return;
    }
    if (outcome == win32::PipeConnect::kFailed) {
      CloseHandle(instance);
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) {
        CloseHandle(instance);
        return;
      }
      live_.push_back(instance);
      workers_.emplace_back([this, instance] { Serve(instance); });
    }
    auto next = win32::CreateLocalPipeInstance(name_, security_, /*first=*/false, kPipeBuffer);
    if (!next.ok()) return;  // out of handles: no more clients
    instance = *next;
  }
}

void ShimPipeServer::Serve(HANDLE pipe) {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) break;
    }
    auto frame = ReadPipeFrame(pipe, wire::kMaxFrameSize);
    if (!frame.ok()) break;  // disconnected, cancelled or oversized: drop the connection
    wire::Request request;
    std::string error;
    wire::Response response;
    if (wire::DecodeRequestJson(*frame, &request, &error)) {
      response = handler_(request);
    } else {
      response.code = wire::kCodeInvalidArgument;
      response.message = error;
    }
    if (!WritePipeFrame(pipe, wire::EncodeResponse(response), wire::kMaxResponseFrameSize).ok()) break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find(live_.begin(), live_.end(), pipe);
  if (it != live_.end()) live_.erase(it);
  DisconnectNamedPipe(pipe);
  CloseHandle(pipe);
}

void ShimPipeServer::Stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    for (HANDLE h : live_) CancelIoEx(h, nullptr);
  }
  if (stop_event_ != nullptr) SetEvent(stop_event_);
  if (acceptor_.joinable()) acceptor_.join();
  // A cancel that lands before a worker's read starts is lost: repeat until
  // every connection has ended (a handler in progress is waited for).
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (live_.empty()) {
        workers.swap(workers_);
        break;
      }
      for (HANDLE h : live_) CancelIoEx(h, nullptr);
    }
    Sleep(5);
  }
  for (auto& w : workers) w.join();
  if (stop_event_ != nullptr) CloseHandle(stop_event_);
  stop_event_ = nullptr;
}

ShimPipeServer::~ShimPipeServer() { Stop(); }

}  // namespace silo::runtime::windows::shim
