#pragma once
// InProcessShimPort: the ShimPort of the Linux tests. Each launched shim is
// the real monitor (ContainerMonitor + ServeMonitorRequest, what
// silo-shim.exe runs) inside the test process, but as its own simulated
// process of the fake HCS (FakeHcs::api_for): the handles it opens are its
// own, so silod's code cannot use them, and killing it (KillShim) closes
// them as Windows would, ending its ShouldTerminateOnLastHandleClosed
// system. A shim exits after it has served `shutdown`, as the exe does.
// At most FakeHcs::kMaxHolders - 1 shims live at once. Thread-safe.

#include <map>
#include <utility>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runtime/windows/fake/fake_hcs.h"
#include "runtime/windows/hostprocess/fake/fake_process_api.h"
#include "runtime/windows/shim/shim_port.h"

namespace silo::runtime::windows::shim {

class ContainerMonitor;

class InProcessShimPort final : public ShimPort {
 public:
  explicit InProcessShimPort(fake::FakeHcs& fake, hostprocess::fake::FakeProcessApi* processes = nullptr);
  // The remaining shims exit (their handles close); in-flight calls must
  // have returned.
  ~InProcessShimPort() override;
  InProcessShimPort(const InProcessShimPort&) = delete;
  InProcessShimPort& operator=(const InProcessShimPort&) = delete;

  win32::HrStatus Launch(const ShimLaunch& launch, Deadline deadline) override;
  win32::Result<runtime::shim::Response> Call(const std::string& id, const runtime::shim::Request& request,
                                              Deadline deadline) override;
  // Calls in process: the deadlines are only recorded (last_deadlines).
  win32::Result<runtime::shim::Response> CallWithAnswerDeadline(const std::string& id,
                                                                const runtime::shim::Request& request,
                                                                Deadline send_deadline,
                                                                Deadline answer_deadline) override;
  // The session runs on a thread of the shim over an in-memory connection.
  win32::Result<ShimSession> OpenSession(const std::string& id, const runtime::shim::Request& request,
                                         Deadline deadline) override;

  // SIGKILL of the container's shim: its handles are closed by the "OS"
  // (FakeHcs::ReapHolder) and it writes nothing more. False when none runs.
  bool KillShim(const std::string& id);
  int live_shims() const;
  int launches() const;
  // The send and answer deadlines of the last CallWithAnswerDeadline.
  std::pair<Deadline, Deadline> last_deadlines() const;
  // The simulated process of the container's shim; 0 when none runs.
  int holder_of(const std::string& id) const;

 private:
  struct Shim;
  void FreeHolder(bool hostprocess, int holder);
  win32::HrStatus LaunchHostProcess(const ShimLaunch& launch, const std::shared_ptr<Shim>& shim);
  std::shared_ptr<Shim> Find(const std::string& id);  // null when none runs

  fake::FakeHcs& fake_;
  hostprocess::fake::FakeProcessApi* const processes_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Shim>> shims_;  // guarded by mu_
  std::set<int> busy_holders_;                          // guarded by mu_: until a shim's monitor is gone
  std::set<int> busy_process_holders_;                  // guarded by mu_: the same, of HostProcess shims
  int launches_ = 0;                                    // guarded by mu_
  std::pair<Deadline, Deadline> last_deadlines_;        // guarded by mu_
  // Session threads; each ends once silod's end of its connection closes.
  std::vector<std::thread> sessions_;  // guarded by mu_
};

}  // namespace silo::runtime::windows::shim
