#pragma once
// The HostProcess calls across processes (see remote_hcs.h): the ProcessApi
// table a silod on the fake host uses. get_last_error answers the calling
// thread's last remote call; the host tracks the handles (jobs, tokens,
// pipes, processes) each client holds and closes them when it dies, as
// Windows does, so a job whose last handle was the dead silod's goes.
// What only silo-shim.exe calls (it creates the processes, their
// environment blocks) is refused: on the fake host the shims run in the
// host's process on FakeProcessApi::api_for.
//
// Adding an entry to ProcessApi: give it a line in RemoteProcessApi() and in
// ServeProcesses() (remote_processes.cc). Scalars, handles, `const wchar_t*`,
// `T*` of scalars or of a struct marked kPlainData go through the generic
// codec (UseRemote / ServeWithLastError); an entry that opens a handle names
// how it is closed (ReturnsHandle, OpensHandle, ClosesHandle). Buffers with
// a size, strings written into a caller's buffer and structs holding
// pointers need a hand-written pair, as read_file has; an entry silod must
// never call through the host gets UseRefused. The tables test fails while
// an entry is left null.

#include "cri/daemon/windows/fake_host/remote_entry.h"
#include "runtime/windows/hostprocess/process_api.h"

namespace silo::cri::fake_host {

const runtime::windows::hostprocess::ProcessApi& RemoteProcessApi();
void ServeProcesses(HostEntries& entries, const runtime::windows::hostprocess::ProcessApi& api);

}  // namespace silo::cri::fake_host
