#include "runtime/windows/command_line.h"

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace silo::runtime::windows {
namespace {

bool IsSeparator(char c) { return c == ' ' || c == '\t'; }

bool NeedsQuotes(std::string_view arg) {
  return arg.empty() || arg.find_first_of(" \t\n\v") != std::string_view::npos;
}

}  // namespace

std::string QuoteArgument(std::string_view arg) {
  const bool quote = NeedsQuotes(arg);
  if (!quote && arg.find('"') == std::string_view::npos) return std::string(arg);

  std::string out;
  out.reserve(arg.size() + 8);
  if (quote) out.push_back('"');
  size_t backslashes = 0;
  for (char c : arg) {
    if (c == '\\') {
      ++backslashes;
      continue;
    }
    if (c == '"') {
      // Backslashes before a quote are escapes: double them, then escape the quote.
      out.append(backslashes * 2 + 1, '\\');
    } else {
      out.append(backslashes, '\\');
    }
    backslashes = 0;
    out.push_back(c);
  }
  // Trailing backslashes precede our closing quote, so they double too.
  out.append(quote ? backslashes * 2 : backslashes, '\\');
  if (quote) out.push_back('"');
  return out;
}

absl::StatusOr<std::string> JoinCommandLine(const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("building a command line: argv is empty");
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i].find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("building a command line: argument ", i, " contains a NUL byte"));
    }
  }
  const std::string& program = argv[0];
  if (program.find('"') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "building a command line: program name '", program, "' contains a double quote"));
  }
  std::string out;
  if (NeedsQuotes(program)) {
    absl::StrAppend(&out, "\"", program, "\"");
  } else {
    out = program;
  }
  for (size_t i = 1; i < argv.size(); ++i) {
    out.push_back(' ');
    out += QuoteArgument(argv[i]);
  }
  return out;
}

absl::StatusOr<std::string> JoinEscapedCommandLine(const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("building a command line: argv is empty");
  if (argv[0].find_first_not_of(" \t") == std::string::npos) {
    return absl::InvalidArgumentError("building a command line: the image's escaped command line is empty");
  }
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i].find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("building a command line: argument ", i, " contains a NUL byte"));
    }
  }
  std::string out = argv[0];
  for (size_t i = 1; i < argv.size(); ++i) {
    out.push_back(' ');
    out += QuoteArgument(argv[i]);
  }
  return out;
}

std::vector<std::string> SplitCommandLine(std::string_view line) {
  std::vector<std::string> argv;
  size_t i = 0;
  const size_t n = line.size();

  // argv[0]: quotes toggle, backslashes are plain characters.
  {
    std::string program;
    bool quoted = false;
    for (; i < n; ++i) {
      const char c = line[i];
      if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && IsSeparator(c)) {
        break;
      } else {
        program.push_back(c);
      }
    }
    argv.push_back(std::move(program));
  }

  while (true) {
    while (i < n && IsSeparator(line[i])) ++i;
    if (i >= n) break;
    std::string arg;
    bool quoted = false;
    while (i < n) {
      const char c = line[i];
      if (c == '\\') {
        size_t backslashes = 0;
        while (i < n && line[i] == '\\') {
          ++backslashes;
          ++i;
        }
        if (i < n && line[i] == '"') {
          arg.append(backslashes / 2, '\\');
          if (backslashes % 2 == 1) {
            arg.push_back('"');
            ++i;
          }
          // Even count: the quote is handled on the next turn as a toggle.
        } else {
          arg.append(backslashes, '\\');
        }
        continue;
      }
      if (c == '"') {
        if (quoted && i + 1 < n && line[i + 1] == '"') {
          arg.push_back('"');  // UCRT: "" inside quotes is a literal quote.
          i += 2;
          continue;
        }
        quoted = !quoted;
        ++i;
        continue;
      }
      if (!quoted && IsSeparator(c)) break;
      arg.push_back(c);
      ++i;
    }
    argv.push_back(std::move(arg));
  }
  return argv;
}

}  // namespace silo::runtime::windows
