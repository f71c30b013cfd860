#pragma once
// Windows command lines from argv and back.
//
// A Windows process receives one command-line string; the C runtime of the
// program splits it into argv. HCS (ProcessParameters.CommandLine) takes that
// string, so CRI's argv must be joined such that the program's runtime
// recovers exactly the same argv. The rules are the MSVCRT/UCRT ones (also
// CommandLineToArgvW's for the cases we produce):
//   * arguments are separated by spaces or tabs;
//   * a double quote toggles "quoted" mode, in which spaces and tabs are data;
//   * 2n backslashes followed by a quote give n backslashes and a toggle;
//     2n+1 backslashes followed by a quote give n backslashes and a literal quote;
//   * backslashes not followed by a quote are literal;
//   * argv[0] (the program name) is special: no backslash escapes at all,
//     quotes only toggle. So argv[0] cannot contain a double quote.
// Strings are treated as bytes; UTF-8 passes through untouched (the Windows
// layer converts the whole line to UTF-16 afterwards).
//
// hcsshim escapes argv[0] like any other argument (windows.EscapeArg), which
// mangles a program path that ends in a backslash and needs quotes; we use
// the program-name rule instead. Pure functions, thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace silo::runtime::windows {

// Quotes one argument (not argv[0]) so the rules above give it back verbatim.
// Arguments without space, tab, newline, vertical tab or quote and not empty
// are returned unchanged.
std::string QuoteArgument(std::string_view arg);

// Joins argv into a command line. InvalidArgument if argv is empty or the
// program name contains a double quote (not representable) or a NUL byte;
// any NUL byte in an argument is rejected too.
absl::StatusOr<std::string> JoinCommandLine(const std::vector<std::string>& argv);

// Docker's ArgsEscaped (shell-form CMD of Windows images): argv[0] is already
// a command line, e.g. "cmd /S /C echo hi", and goes through untouched; the
// other arguments are quoted and appended (containerd's
// WithProcessCommandLineOrArgsForWindows). InvalidArgument if argv is empty,
// argv[0] is empty or all blanks, or any argument contains a NUL byte.
absl::StatusOr<std::string> JoinEscapedCommandLine(const std::vector<std::string>& argv);

// Splits a command line as the UCRT does (including the argv[0] rule, and
// `""` inside quotes as a literal quote). Inverse of JoinCommandLine.
std::vector<std::string> SplitCommandLine(std::string_view command_line);

}  // namespace silo::runtime::windows
