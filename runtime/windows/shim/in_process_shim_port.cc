#include "runtime/windows/shim/in_process_shim_port.h"

#include <atomic>

#include "runtime/windows/hostprocess/hostprocess_monitor.h"
#include "runtime/windows/hostprocess/hostprocess_monitor_requests.h"
#include "runtime/windows/hostprocess/hostprocess_sessions.h"
#include "runtime/windows/shim/container_monitor.h"
#include "runtime/windows/shim/memory_duplex.h"
#include "runtime/windows/shim/monitor_requests.h"
#include "runtime/windows/shim/monitor_sessions.h"
#include "runtime/windows/shim/shim_files.h"

namespace silo::runtime::windows::shim {

using win32::HrStatus;

struct InProcessShimPort::Shim {
  Shim(InProcessShimPort* p, bool hp, int h) : port(p), hostprocess(hp), holder(h) {}
  // The shim's process is gone once nothing runs its code any more.
  ~Shim() {
    monitor.reset();
    hostprocess_monitor.reset();
    port->FreeHolder(hostprocess, holder);
  }
  InProcessShimPort* const port;
  const bool hostprocess;  // a simulated process of the FakeProcessApi, else of the FakeHcs
  const int holder;
  std::unique_ptr<ContainerMonitor> monitor;
  std::unique_ptr<hostprocess::HostProcessMonitor> hostprocess_monitor;
  std::atomic<bool> killed{false};
  std::atomic<bool> shutdown{false};
};

InProcessShimPort::InProcessShimPort(fake::FakeHcs& fake, hostprocess::fake::FakeProcessApi* processes)
    : fake_(fake), processes_(processes) {}

InProcessShimPort::~InProcessShimPort() {
  std::map<std::string, std::shared_ptr<Shim>> shims;
  std::vector<std::thread> sessions;
  {
    std::lock_guard<std::mutex> lock(mu_);
    shims.swap(shims_);
    sessions.swap(sessions_);
  }
  for (std::thread& t : sessions) t.join();  // silod's ends are closed by now
  shims.clear();
}

std::shared_ptr<InProcessShimPort::Shim> InProcessShimPort::Find(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = shims_.find(id);
  return it == shims_.end() ? nullptr : it->second;
}

void InProcessShimPort::FreeHolder(bool hostprocess, int holder) {
  std::lock_guard<std::mutex> lock(mu_);
  (hostprocess ? busy_process_holders_ : busy_holders_).erase(holder);
}

HrStatus InProcessShimPort::Launch(const ShimLaunch& launch, Deadline deadline) {
  const bool hostprocess = !launch.hostprocess_path.empty();
  if (hostprocess && processes_ == nullptr) {
    return HrStatus(0x80004001, "this shim port has no HostProcess API table");  // E_NOTIMPL
  }
  int holder = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++launches_;
    // The pipe's first instance claims its name: a second shim cannot serve it.
    if (shims_.count(launch.id) != 0) return HrStatus(kHrShimAlreadyRunning, "a shim already serves " + launch.id);
    std::set<int>& busy = hostprocess ? busy_process_holders_ : busy_holders_;
    const int max = hostprocess ? hostprocess::fake::FakeProcessApi::kMaxHolders : fake::FakeHcs::kMaxHolders;
    for (int h = 1; h < max && holder == 0; ++h) {
      if (busy.count(h) == 0) holder = h;
    }
    if (holder == 0) return HrStatus(0x8007000E, "no simulated process left for another shim");  // E_OUTOFMEMORY
    busy.insert(holder);
  }
  auto shim = std::make_shared<Shim>(this, hostprocess, holder);
  if (hostprocess) return LaunchHostProcess(launch, shim);
  MonitorOptions options;
  options.id = launch.id;
  options.log_path = launch.log_path;
  options.exit_path = launch.exit_path;
  options.open_stdin = launch.open_stdin;
  auto document = ReadSmallFile(launch.document_path);
  auto process = ReadSmallFile(launch.process_path);
  if (!document.ok()) return document.status();  // the shim exits with 1; ~Shim frees the holder
  if (!process.ok()) return process.status();
  options.document_json = *document;
  options.process_json = *process;
  auto monitor = ContainerMonitor::Create(fake_.api_for(holder), fake_.stdio_io_for(holder), std::move(options),
                                          deadline);
  if (!monitor.ok()) return monitor.status();
  shim->monitor = std::move(*monitor);
  std::lock_guard<std::mutex> lock(mu_);
  shims_[launch.id] = std::move(shim);
  return HrStatus::Ok();
}

HrStatus InProcessShimPort::LaunchHostProcess(const ShimLaunch& launch, const std::shared_ptr<Shim>& shim) {
  auto text = ReadSmallFile(launch.hostprocess_path);
  if (!text.ok()) return text.status();  // the shim exits with 1; ~Shim frees the holder
  auto decoded = hostprocess::DecodeHostProcessLaunch(*text);
  if (!decoded.ok()) return HrStatus(0x80070057, std::string(decoded.status().message()));  // E_INVALIDARG
  hostprocess::HostProcessMonitorOptions options;
  options.launch = *std::move(decoded);
  options.log_path = launch.log_path;
  options.exit_path = launch.exit_path;
  auto monitor = hostprocess::HostProcessMonitor::Create(processes_->api_for(shim->holder), std::move(options));
  if (!monitor.ok()) {
    // The exe reports why on its diagnostics and exits with 1.
    const bool exists = monitor.status().code() == absl::StatusCode::kAlreadyExists;
    return HrStatus(exists ? kHrShimAlreadyRunning : 0x80004005, std::string(monitor.status().message()));
  }
  shim->hostprocess_monitor = std::move(*monitor);
  std::lock_guard<std::mutex> lock(mu_);
  shims_[launch.id] = shim;
  return HrStatus::Ok();
}

win32::Result<runtime::shim::Response> InProcessShimPort::Call(const std::string& id,
                                                               const runtime::shim::Request& request, Deadline) {
  std::shared_ptr<Shim> shim = Find(id);
  if (shim == nullptr) return HrStatus(kHrShimGone, "no shim serves container " + id);
  std::atomic<bool> shutdown{false};
  runtime::shim::Response response =
      shim->hostprocess ? hostprocess::ServeHostProcessRequest(*shim->hostprocess_monitor, request, &shutdown)
                        : ServeMonitorRequest(*shim->monitor, request, &shutdown);
  // A shim killed meanwhile never answered: the client saw the pipe break.
  if (shim->killed) return HrStatus(kHrShimPipeBroken, "shim of container " + id + " closed the pipe");
  if (shutdown) {
    // The exe exits after answering shutdown.
    std::lock_guard<std::mutex> lock(mu_);
    auto it = shims_.find(id);
    if (it != shims_.end() && it->second == shim) shims_.erase(it);
  }
  return response;
}

win32::Result<runtime::shim::Response> InProcessShimPort::CallWithAnswerDeadline(
    const std::string& id, const runtime::shim::Request& request, Deadline send_deadline, Deadline answer_deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_deadlines_ = {send_deadline, answer_deadline};
  }
  return Call(id, request, answer_deadline);
}

std::pair<ShimPort::Deadline, ShimPort::Deadline> InProcessShimPort::last_deadlines() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_deadlines_;
}

win32::Result<ShimSession> InProcessShimPort::OpenSession(const std::string& id,
                                                          const runtime::shim::Request& request, Deadline) {
  std::shared_ptr<Shim> shim = Find(id);
  if (shim == nullptr) return HrStatus(kHrShimGone, "no shim serves container " + id);
  if (!IsSessionRequest(request)) {
    return HrStatus(0x80070057, std::string("shim op ") + runtime::shim::OpName(request.op) + " opens no session");
  }
  ShimSession session;
  SessionStart start = shim->hostprocess ? hostprocess::StartHostProcessSession(*shim->hostprocess_monitor, request)
                                         : StartMonitorSession(*shim->monitor, request);
  session.response = start.response;
  if (!start.run) return session;
  auto [ours, theirs] = MemoryDuplexPair();
  session.conn = std::move(ours);
  std::shared_ptr<Duplex> shim_end(std::move(theirs));
  std::lock_guard<std::mutex> lock(mu_);
  // The thread keeps its shim (and so its monitor) alive until the session ends.
  sessions_.emplace_back([shim, shim_end, run = std::move(start.run)] { run(*shim_end); });
  return session;
}

bool InProcessShimPort::KillShim(const std::string& id) {
  std::shared_ptr<Shim> shim;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = shims_.find(id);
    if (it == shims_.end()) return false;
    shim = std::move(it->second);
    shims_.erase(it);
  }
  shim->killed = true;
  if (shim->hostprocess) processes_->ReapHolder(shim->holder);
  else fake_.ReapHolder(shim->holder);
  return true;
}

int InProcessShimPort::live_shims() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(shims_.size());
}

int InProcessShimPort::launches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return launches_;
}

int InProcessShimPort::holder_of(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = shims_.find(id);
  return it == shims_.end() ? 0 : it->second->holder;
}

}  // namespace silo::runtime::windows::shim
