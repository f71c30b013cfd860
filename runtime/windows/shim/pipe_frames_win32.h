#pragma once
// The framed protocol's frames (runtime/shim/core/protocol_codec.h) on a
// named pipe handle opened for overlapped I/O: the Windows counterpart of
// protocol.h's ReadFrame/WriteFrame on a socket. Win32 only; one reader and
// one writer per handle at a time.

#include <windows.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/base/windows/result.h"

namespace silo::runtime::windows::shim {

// \\.\pipe\silo-shim-<container id>: the monitor's control pipe.
std::wstring ShimPipeName(std::string_view container_id);

// HRESULT_FROM_WIN32(ERROR_BROKEN_PIPE): the peer closed the connection.
inline constexpr uint32_t kHrPipeClosed = 0x8007006D;
// HRESULT_FROM_WIN32(ERROR_TIMEOUT).
inline constexpr uint32_t kHrPipeTimeout = 0x800705B4;
// HRESULT_FROM_WIN32(ERROR_INVALID_DATA): a frame above the limit.
inline constexpr uint32_t kHrFrameTooLarge = 0x8007000D;

// Writes one frame. `timeout_ms` bounds each write (INFINITE: none).
win32::HrStatus WritePipeFrame(HANDLE pipe, std::string_view payload, uint32_t max_frame,
                               DWORD timeout_ms = INFINITE);
// Reads one frame; frames above `max_frame` are refused before allocation.
win32::Result<std::string> ReadPipeFrame(HANDLE pipe, uint32_t max_frame, DWORD timeout_ms = INFINITE);

}  // namespace silo::runtime::windows::shim
