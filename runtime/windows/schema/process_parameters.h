#pragma once
// HCS schema v2: the document passed to HcsCreateProcess. Mirrors hcsshim
// internal/hcs/schema2/process_parameters.go; plain data, `omitempty` rules.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace silo::runtime::windows::schema {

struct ProcessParameters {
  std::string command_line;       // "CommandLine": MSVCRT-quoted argv
  std::string user;               // "User", e.g. ContainerUser
  std::string working_directory;  // "WorkingDirectory"
  std::map<std::string, std::string> environment;  // "Environment"
  bool emulate_console = false;       // "EmulateConsole": the TTY flag
  bool create_std_in_pipe = false;    // "CreateStdInPipe"
  bool create_std_out_pipe = false;   // "CreateStdOutPipe"
  bool create_std_err_pipe = false;   // "CreateStdErrPipe" (ignored with a console)
  std::vector<uint16_t> console_size;  // "ConsoleSize": [height, width]
};

}  // namespace silo::runtime::windows::schema
