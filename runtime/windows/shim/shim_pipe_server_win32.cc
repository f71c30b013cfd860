#include "runtime/windows/shim/shim_pipe_server_win32.h"

#include <algorithm>

#include "runtime/windows/shim/pipe_duplex_win32.h"
#include "runtime/windows/shim/pipe_frames_win32.h"

namespace silo::runtime::windows::shim {
namespace {

namespace wire = runtime::shim;
constexpr DWORD kPipeBuffer = 64 * 1024;
// How long Stop lets a connection finish answering its request.
constexpr ULONGLONG kAnswerGraceMs = 5000;

}  // namespace

win32::Result<std::unique_ptr<ShimPipeServer>> ShimPipeServer::Start(std::wstring pipe_name, Handler handler,
                                                                     std::wstring sddl, SessionHandler sessions) {
  std::unique_ptr<ShimPipeServer> s(
      new ShimPipeServer(std::move(pipe_name), std::move(handler), std::move(sessions)));
  s->stop_event_ = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (s->stop_event_ == nullptr) return win32::LastErrorStatus("CreateEvent");
  // The listener holds the name for the monitor's whole life (a dormant
  // first instance), so no other user can serve silod's requests.
  auto listener = win32::PipeListener::Create(s->name_, sddl, kPipeBuffer);
  if (!listener.ok()) return listener.status();
  s->listener_ = std::move(*listener);
  s->acceptor_ = std::thread([p = s.get()] { p->AcceptLoop(); });
  return s;
}

void ShimPipeServer::AcceptLoop() {
  for (;;) {
    auto accepted = listener_->Accept(stop_event_);
    if (!accepted.ok() || *accepted == nullptr) return;  // stopped, or out of handles: no more clients
    HANDLE instance = *accepted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) {
        DisconnectNamedPipe(instance);
        CloseHandle(instance);
        return;
      }
      live_.push_back(instance);
      const uint64_t id = next_worker_++;
      workers_.emplace(id, std::thread([this, instance, id] { Serve(instance, id); }));
    }
    ReapWorkers();
  }
}

void ShimPipeServer::ReapWorkers() {
  std::vector<std::thread> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (uint64_t id : finished_) {
      auto it = workers_.find(id);
      if (it == workers_.end()) continue;
      done.push_back(std::move(it->second));
      workers_.erase(it);
    }
    finished_.clear();
  }
  for (std::thread& t : done) t.join();  // each has returned or is returning
}

size_t ShimPipeServer::worker_threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return workers_.size();
}

void ShimPipeServer::Serve(HANDLE pipe, uint64_t id) {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) break;
    }
    auto frame = ReadPipeFrame(pipe, wire::kMaxFrameSize);
    if (!frame.ok()) break;  // disconnected, cancelled or oversized: drop the connection
    {
      // Answering: Stop lets the response out (the answer to `shutdown`
      // itself must reach silod) unless the handler outlasts its grace.
      std::lock_guard<std::mutex> lock(mu_);
      answering_.insert(pipe);
    }
    wire::Request request;
    std::string error;
    wire::Response response;
    const bool decoded = wire::DecodeRequestJson(*frame, &request, &error);
    if (decoded && sessions_ && IsSessionRequest(request)) {
      SessionStart start = sessions_(request);
      (void)WritePipeFrame(pipe, wire::EncodeResponse(start.response), wire::kMaxResponseFrameSize);
      {
        std::lock_guard<std::mutex> lock(mu_);
        answering_.erase(pipe);
      }
      if (start.run) {
        std::unique_ptr<Duplex> conn = NewPipeDuplex(pipe, /*close_on_destroy=*/false);
        start.run(*conn);
      }
      break;  // a session's connection ends with it
    }
    if (decoded) {
      response = handler_(request);
    } else {
      response.code = wire::kCodeInvalidArgument;
      response.message = error;
    }
    const bool written = WritePipeFrame(pipe, wire::EncodeResponse(response), wire::kMaxResponseFrameSize).ok();
    {
      std::lock_guard<std::mutex> lock(mu_);
      answering_.erase(pipe);
    }
    if (!written) break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find(live_.begin(), live_.end(), pipe);
  if (it != live_.end()) live_.erase(it);
  // Close without DisconnectNamedPipe: a disconnect discards what the client
  // has not read yet, such as the answer to `shutdown` when Stop ends this
  // connection right after writing it; after a close the client still reads it.
  CloseHandle(pipe);
  finished_.push_back(id);  // its last step under mu_: the acceptor joins it
}

void ShimPipeServer::Stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    for (HANDLE h : live_) {
      if (answering_.count(h) == 0) CancelIoEx(h, nullptr);
    }
  }
  if (stop_event_ != nullptr) SetEvent(stop_event_);
  if (acceptor_.joinable()) acceptor_.join();
  listener_.reset();  // frees the name: the monitor is going away
  // A cancel that lands before a worker's read starts is lost: repeat until
  // every connection has ended. A connection answering a request is spared
  // for kAnswerGrace, so its response is written; then it is cancelled too.
  const ULONGLONG spare_until = GetTickCount64() + kAnswerGraceMs;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (live_.empty()) {
        for (auto& [id, t] : workers_) workers.push_back(std::move(t));
        workers_.clear();
        finished_.clear();
        break;
      }
      const bool spare = GetTickCount64() < spare_until;
      for (HANDLE h : live_) {
        if (!spare || answering_.count(h) == 0) CancelIoEx(h, nullptr);
      }
    }
    Sleep(5);
  }
  for (auto& w : workers) w.join();
  if (stop_event_ != nullptr) CloseHandle(stop_event_);
  stop_event_ = nullptr;
}

ShimPipeServer::~ShimPipeServer() { Stop(); }

}  // namespace silo::runtime::windows::shim
