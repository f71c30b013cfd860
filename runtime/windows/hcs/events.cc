#include "runtime/windows/hcs/events.h"

#include <cstdint>
#include <unordered_map>

#include "runtime/base/windows/wide.h"
#include "runtime/windows/hresult_codes.h"

namespace silo::runtime::windows::hcs {
namespace {

struct Registry {
  std::mutex mu;
  uintptr_t next = 1;  // 0 is never handed out: a null context means "none"
  std::unordered_map<uintptr_t, std::shared_ptr<EventSink>> sinks;
};

Registry& GetRegistry() {
  static Registry* registry = new Registry();  // never destroyed: HCS may call late
  return *registry;
}

}  // namespace

void EventSink::Post(HcsEventRecord event) {
  std::vector<std::function<void()>> fire;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A repeat adds nothing: waiters get the first, listeners fired on it.
    // (An exit the status query found, then HCS's own event.)
    if (FindLocked(event.type) != nullptr) return;
    for (auto it = listeners_.begin(); it != listeners_.end();) {
      if (it->second.type == event.type || event.type == kHcsEventServiceDisconnect) {
        fire.push_back(std::move(it->second.fn));
        it = listeners_.erase(it);
      } else {
        ++it;
      }
    }
    events_.push_back(std::move(event));
  }
  cv_.notify_all();
  for (auto& fn : fire) fn();
}

uint64_t EventSink::AddListener(uint32_t type, std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (FindLocked(type) == nullptr && FindLocked(kHcsEventServiceDisconnect) == nullptr) {
      const uint64_t id = next_listener_++;
      listeners_[id] = Listener{type, std::move(fn)};
      return id;
    }
  }
  fn();  // it has happened already
  return 0;
}

void EventSink::RemoveListener(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  listeners_.erase(id);
}

const HcsEventRecord* EventSink::FindLocked(uint32_t type) const {
  for (const HcsEventRecord& e : events_) {
    if (e.type == type) return &e;
  }
  return nullptr;
}

bool EventSink::Has(uint32_t type) {
  std::lock_guard<std::mutex> lock(mu_);
  return FindLocked(type) != nullptr;
}

win32::Result<HcsEventRecord> EventSink::WaitFor(uint32_t type, Deadline deadline, std::string_view what) {
  std::unique_lock<std::mutex> lock(mu_);
  const HcsEventRecord* found = nullptr;
  bool disconnected = false;
  auto ready = [&] {
    found = FindLocked(type);
    disconnected = FindLocked(kHcsEventServiceDisconnect) != nullptr;
    return found != nullptr || disconnected;
  };
  if (deadline == kNoDeadline) {
    cv_.wait(lock, ready);
  } else {
    cv_.wait_until(lock, deadline, ready);
  }
  if (found != nullptr) return *found;
  if (disconnected) {
    return win32::HrStatus(codes::kHcsEServiceDisconnect, std::string(what) + ": lost the compute service");
  }
  return win32::HrStatus(codes::kHcsEOperationTimeout, std::string(what) + ": deadline passed");
}

void* RegisterEventSink(std::shared_ptr<EventSink> sink) {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  const uintptr_t id = r.next++;
  r.sinks.emplace(id, std::move(sink));
  return reinterpret_cast<void*>(id);
}

void UnregisterEventSink(void* context) {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.sinks.erase(reinterpret_cast<uintptr_t>(context));
}

void DispatchHcsEvent(HcsEvent* event, void* context) {
  if (event == nullptr) return;
  std::shared_ptr<EventSink> sink;
  {
    Registry& r = GetRegistry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.sinks.find(reinterpret_cast<uintptr_t>(context));
    if (it == r.sinks.end()) return;
    sink = it->second;
  }
  sink->Post(HcsEventRecord{event->type, win32::WideToUtf8(event->event_data)});
}

}  // namespace silo::runtime::windows::hcs
