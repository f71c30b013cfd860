#include "cri/daemon/windows/fake_host/last_error.h"

namespace silo::cri::fake_host {

namespace {
thread_local uint32_t t_remote_last_error = 0;
}  // namespace

void LastErrorEpilogue::Receive(WireReader& r) { t_remote_last_error = r.Get<uint32_t>(); }

uint32_t RemoteLastError() { return t_remote_last_error; }

}  // namespace silo::cri::fake_host
