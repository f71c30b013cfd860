#include "cri/daemon/windows/fake_host/client_process.h"

#include <vector>

namespace silo::cri::fake_host {

bool ClientProcess::SendEvent(const std::string& message) {
  std::lock_guard<std::mutex> lock(send_mu_);
  return SendMessage(lifeline_, message);
}

void ClientProcess::Track(Table table, void* handle, std::function<void()> close) {
  std::lock_guard<std::mutex> lock(mu_);
  handles_[{table, reinterpret_cast<uintptr_t>(handle)}] = std::move(close);
}

void ClientProcess::Untrack(Table table, void* handle) {
  std::lock_guard<std::mutex> lock(mu_);
  handles_.erase({table, reinterpret_cast<uintptr_t>(handle)});
}

int ClientProcess::tracked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(handles_.size());
}

int ClientProcess::CloseLeftHandles() {
  std::map<std::pair<Table, uintptr_t>, std::function<void()>> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    left.swap(handles_);
  }
  for (auto& [handle, close] : left) close();
  return static_cast<int>(left.size());
}

}  // namespace silo::cri::fake_host
