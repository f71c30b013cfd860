#include "cri/grpc/instrument.h"

#include <chrono>
#include <exception>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "spdlog/spdlog.h"

namespace silo::cri {
namespace {

constexpr char kAuthConfig[] = "runtime.v1.AuthConfig";

void Scrub(google::protobuf::Message* m) {
  const auto* d = m->GetDescriptor();
  const auto* r = m->GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* f = d->field(i);
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE || f->is_map()) continue;
    if (f->message_type()->full_name() == kAuthConfig) {
      r->ClearField(m, f);
      continue;
    }
    if (f->is_repeated()) {
      for (int j = 0; j < r->FieldSize(*m, f); ++j) Scrub(r->MutableRepeatedMessage(m, f, j));
    } else if (r->HasField(*m, f)) {
      Scrub(r->MutableMessage(m, f));
    }
  }
}

spdlog::level::level_enum LevelFor(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return spdlog::level::debug;
    // Caller errors and expected answers (kubelet asks about gone containers).
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kUnimplemented:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kOutOfRange:
      return spdlog::level::info;
    default:
      return spdlog::level::err;
  }
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

std::string RequestForLog(const google::protobuf::Message& request, size_t max_len) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  Scrub(copy.get());
  std::string text = copy->ShortDebugString();
  if (text.size() > max_len) {
    text.resize(max_len);
    text += "...";
  }
  return text;
}

grpc::Status Instrument::Run(const grpc::ServerContextBase* context, const char* service, const char* rpc,
                             const google::protobuf::Message& request, const std::function<absl::Status()>& handler) {
  if (context != nullptr && admitted_ != nullptr) {
    if (const std::string peer = context->peer(); !admitted_->Admits(peer)) {
      spdlog::warn("{}/{} from {} refused: CRI calls are served only through the named pipe", service, rpc, peer);
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "CRI calls are served only through the named pipe");
    }
  }
  if (context != nullptr && context->IsCancelled()) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled before its handler ran");
  }
  if (!ready_->load(std::memory_order_acquire)) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "silod is starting; retry shortly");
  }
  in_flight_.fetch_add(1, std::memory_order_acq_rel);
  const uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("req={} {}/{} start {{{}}}", id, service, rpc, RequestForLog(request));
  }
  prometheus::Gauge* in_flight = metrics_ ? &metrics_->CriInFlight(rpc) : nullptr;
  if (in_flight) in_flight->Increment();
  const auto start = std::chrono::steady_clock::now();

  absl::Status status;
  try {
    status = handler();
  } catch (const std::exception& e) {
    // Handlers must not throw; if one does, the daemon survives and says so.
    status = absl::InternalError(absl::StrCat(rpc, ": unexpected exception: ", e.what()));
  } catch (...) {
    status = absl::InternalError(absl::StrCat(rpc, ": unexpected exception"));
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (in_flight) in_flight->Decrement();
  in_flight_.fetch_sub(1, std::memory_order_acq_rel);
  if (metrics_) metrics_->ObserveCriRequest(service, rpc, absl::StatusCodeToString(status.code()), seconds);

  spdlog::log(LevelFor(status.code()), "req={} {}/{} {} in {:.3f}ms{}{}", id, service, rpc,
              absl::StatusCodeToString(status.code()), seconds * 1e3, status.ok() ? "" : ": ",
              std::string(status.message()));
  return ToGrpcStatus(status);
}

bool Instrument::WaitIdle(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (in_flight() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace silo::cri
