#pragma once
// Reads one GetContainerEvents stream on its own thread and keeps every
// event, so tests can wait for the events of one object (bounded waits, no
// sleeps). Thread-safe; the destructor cancels the stream and joins.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cri/api/cri_grpc.h"
#include "grpcpp/grpcpp.h"

namespace silo::testing {

class EventStream {
 public:
  explicit EventStream(::runtime::v1::RuntimeService::Stub* stub) {
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(300));
    reader_ = stub->GetContainerEvents(&ctx_, ::runtime::v1::GetEventsRequest());
    thread_ = std::thread([this] {
      ::runtime::v1::ContainerEventResponse e;
      while (reader_->Read(&e)) {
        std::lock_guard<std::mutex> guard(mu_);
        events_.push_back(e);
        cv_.notify_all();
      }
      grpc::Status s = reader_->Finish();
      std::lock_guard<std::mutex> guard(mu_);
      finished_ = s;
      cv_.notify_all();
    });
  }
  ~EventStream() {
    ctx_.TryCancel();
    thread_.join();
  }
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Events whose container_id is `id`, once at least `count` arrived, the
  // stream ended or `timeout` passed.
  std::vector<::runtime::v1::ContainerEventResponse> WaitFor(const std::string& id, size_t count,
                                                            std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    std::vector<::runtime::v1::ContainerEventResponse> out;
    cv_.wait_for(lock, timeout, [&] {
      out.clear();
      for (const auto& e : events_) {
        if (e.container_id() == id) out.push_back(e);
      }
      return out.size() >= count || finished_.has_value();
    });
    return out;
  }

  std::optional<grpc::Status> finished() {
    std::lock_guard<std::mutex> guard(mu_);
    return finished_;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<::runtime::v1::ContainerEventResponse>> reader_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<::runtime::v1::ContainerEventResponse> events_;  // guarded by mu_
  std::optional<grpc::Status> finished_;                       // guarded by mu_
};

}  // namespace silo::testing
