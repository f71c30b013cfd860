#pragma once
// The one static HCS event callback and the per-object sinks it feeds,
// after hcsshim's notification.go: the context HCS hands back is an integer
// id looked up in a registry, never a live pointer, so an event racing with
// Close finds nothing instead of freed memory. The callback runs on an HCS
// thread; it only copies the event into the sink and wakes waiters, never
// blocks on HCS.
//
// Thread safety: everything here is safe to call from any thread.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <condition_variable>
#include <string>
#include <vector>

#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/operation.h"
#include "runtime/base/windows/result.h"

namespace silo::runtime::windows::hcs {

struct HcsEventRecord {
  uint32_t type = 0;
  std::string data;  // UTF-8 JSON, empty when HCS sent none
};

// Collects the events of one system or process handle.
class EventSink {
 public:
  // Records the event and wakes its waiters and listeners; a second event
  // of a type already recorded is dropped.
  void Post(HcsEventRecord event);

  // Blocks until an event of `type` arrives (returns it; the first one
  // wins and later waits return the same), the service disconnects
  // (HCS_E_SERVICE_DISCONNECT) or the deadline passes (HCS_E_OPERATION_TIMEOUT).
  // `what` names the waiter in errors.
  win32::Result<HcsEventRecord> WaitFor(uint32_t type, Deadline deadline, std::string_view what);
  // Non-blocking: whether an event of `type` has arrived.
  bool Has(uint32_t type);

  // Calls `fn` once when an event of `type` or a service disconnect has
  // arrived: at once (on this thread) if one already has, else on the thread
  // that posts it (HCS's: `fn` must not block). Returns an id for
  // RemoveListener; after RemoveListener returns `fn` is not called again.
  uint64_t AddListener(uint32_t type, std::function<void()> fn);
  void RemoveListener(uint64_t id);

 private:
  struct Listener {
    uint32_t type = 0;
    std::function<void()> fn;
  };
  const HcsEventRecord* FindLocked(uint32_t type) const;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HcsEventRecord> events_;  // guarded by mu_
  std::map<uint64_t, Listener> listeners_;  // guarded by mu_
  uint64_t next_listener_ = 1;              // guarded by mu_
};

// Registers `sink`, returning the context value to pass to
// HcsSet{ComputeSystem,Process}Callback.
void* RegisterEventSink(std::shared_ptr<EventSink> sink);
// Forgets the context; later events for it are dropped. Idempotent.
void UnregisterEventSink(void* context);

// The HCS_EVENT_CALLBACK registered on every handle.
void DispatchHcsEvent(HcsEvent* event, void* context);

}  // namespace silo::runtime::windows::hcs
