#include "runtime/windows/command_line.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace silo::runtime::windows {
namespace {

using ::testing::ElementsAre;

struct Case {
  std::vector<std::string> argv;
  std::string command_line;  // what MSVCRT must be given to recover argv
};

// Expected strings worked out by hand from the MSVCRT rules (raw strings: what
// you see is what the program receives).
const std::vector<Case>& GoldenCases() {
  static const auto* cases = new std::vector<Case>{
      {{"cmd.exe"}, R"(cmd.exe)"},
      {{"cmd.exe", "/c", "echo", "hi"}, R"(cmd.exe /c echo hi)"},
      {{"app.exe", ""}, R"(app.exe "")"},
      {{"app.exe", "", ""}, R"(app.exe "" "")"},
      {{"app.exe", "a b"}, R"(app.exe "a b")"},
      {{"app.exe", "a\tb"}, "app.exe \"a\tb\""},
      {{"app.exe", "C:\\dir\\"}, R"(app.exe C:\dir\)"},
      {{"app.exe", "C:\\my dir\\"}, R"(app.exe "C:\my dir\\")"},
      {{"app.exe", "C:\\my dir\\\\"}, R"(app.exe "C:\my dir\\\\")"},
      {{"app.exe", "say \"hi\""}, R"(app.exe "say \"hi\"")"},
      {{"app.exe", "a\"b"}, R"(app.exe a\"b)"},
      {{"app.exe", "\""}, R"(app.exe \")"},
      {{"app.exe", "\"\""}, R"(app.exe \"\")"},
      {{"app.exe", "a\\\"b"}, R"(app.exe a\\\"b)"},
      {{"app.exe", "a\\\\\"b"}, R"(app.exe a\\\\\"b)"},
      {{"app.exe", "\\\\server\\share"}, R"(app.exe \\server\share)"},
      {{"app.exe", "a\\\\b c"}, R"(app.exe "a\\b c")"},
      {{"app.exe", "x \\\"y"}, R"(app.exe "x \\\"y")"},
      {{"app.exe", "trail\\", "next"}, R"(app.exe trail\ next)"},
      {{"app.exe", "sp \\", "next"}, R"(app.exe "sp \\" next)"},
      {{"C:\\Program Files\\app.exe", "-v"}, R"("C:\Program Files\app.exe" -v)"},
      {{"C:\\My Tools\\", "x"}, R"("C:\My Tools\" x)"},
      {{"app.exe", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac"}, "app.exe \"\xc3\xa9t\xc3\xa9 \xe2\x82\xac\""},
      {{"app.exe", "\xe6\x97\xa5\xe6\x9c\xac\\\""}, "app.exe \xe6\x97\xa5\xe6\x9c\xac\\\\\\\""},
      {{"app.exe", "line1\nline2"}, "app.exe \"line1\nline2\""},
      {{"powershell.exe", "-Command", "Write-Host \"a b\"; exit 3"},
       R"(powershell.exe -Command "Write-Host \"a b\"; exit 3")"},
      {{""}, R"("")"},
  };
  return *cases;
}

TEST(CommandLineTest, GoldenQuoting) {
  ASSERT_GE(GoldenCases().size(), 20u);
  for (const Case& c : GoldenCases()) {
    absl::StatusOr<std::string> line = JoinCommandLine(c.argv);
    ASSERT_TRUE(line.ok()) << line.status();
    EXPECT_EQ(*line, c.command_line) << "argv[1..] joined wrongly for case " << c.command_line;
  }
}

TEST(CommandLineTest, GoldenParsing) {
  for (const Case& c : GoldenCases()) {
    EXPECT_EQ(SplitCommandLine(c.command_line), c.argv) << "parsing " << c.command_line;
  }
}

TEST(CommandLineTest, RoundTripOfGeneratedArguments) {
  // Every argument over a small alphabet of the troublesome bytes, up to length 4.
  const std::string alphabet = std::string("\\\" \ta") + "\xc3\xa9";
  std::vector<std::string> args = {""};
  for (int len = 1; len <= 4; ++len) {
    std::vector<std::string> next;
    for (const std::string& prefix : args) {
      if (static_cast<int>(prefix.size()) != len - 1) continue;
      for (char ch : alphabet) next.push_back(prefix + ch);
    }
    args.insert(args.end(), next.begin(), next.end());
  }
  ASSERT_GT(args.size(), 1000u);
  for (const std::string& arg : args) {
    const std::vector<std::string> argv = {"p.exe", arg, "tail"};
    absl::StatusOr<std::string> line = JoinCommandLine(argv);
    ASSERT_TRUE(line.ok()) << line.status();
    ASSERT_EQ(SplitCommandLine(*line), argv) << "line: " << *line;
  }
}

TEST(CommandLineTest, ParsesOtherSpellingsTheWayMsvcrtDoes) {
  // Inputs our quoter never emits, parsed per the UCRT rules.
  EXPECT_THAT(SplitCommandLine(R"(p "a""b" c)"), ElementsAre("p", "a\"b", "c"));
  EXPECT_THAT(SplitCommandLine(R"(p a"b c"d)"), ElementsAre("p", "ab cd"));
  EXPECT_THAT(SplitCommandLine(R"(p \\\\"x y")"), ElementsAre("p", R"(\\x y)"));
  EXPECT_THAT(SplitCommandLine("p   \t  x  "), ElementsAre("p", "x"));
  EXPECT_THAT(SplitCommandLine(R"("C:\a b\p.exe"x y)"), ElementsAre(R"(C:\a b\p.exex)", "y"));
  EXPECT_THAT(SplitCommandLine(R"(C:\d\p.exe\ z)"), ElementsAre(R"(C:\d\p.exe\)", "z"));
  EXPECT_THAT(SplitCommandLine(""), ElementsAre(""));
}

TEST(CommandLineTest, RejectsUnrepresentableArgv) {
  EXPECT_EQ(JoinCommandLine({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JoinCommandLine({"a\"b.exe"}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JoinCommandLine({"p.exe", std::string("a\0b", 3)}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CommandLineTest, QuoteArgumentLeavesPlainArgumentsAlone) {
  EXPECT_EQ(QuoteArgument("--port=80"), "--port=80");
  EXPECT_EQ(QuoteArgument(R"(C:\x\y\)"), R"(C:\x\y\)");
  EXPECT_EQ(QuoteArgument(""), R"("")");
}

TEST(CommandLineTest, EscapedCommandLineKeepsTheImageLineRawAndQuotesTheRest) {
  // A shell-form CMD of a Windows image (ArgsEscaped): one pre-escaped line.
  EXPECT_EQ(*JoinEscapedCommandLine({"cmd /S /C echo hi"}), "cmd /S /C echo hi");
  EXPECT_EQ(*JoinEscapedCommandLine({"cmd /S /C \"C:\\Program Files\\app.exe\"", "a b", "x\"y"}),
            R"(cmd /S /C "C:\Program Files\app.exe" "a b" x\"y)");
  EXPECT_EQ(SplitCommandLine(*JoinEscapedCommandLine({"cmd /S /C echo hi"})),
            (std::vector<std::string>{"cmd", "/S", "/C", "echo", "hi"}));
  EXPECT_EQ(JoinEscapedCommandLine({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JoinEscapedCommandLine({" "}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JoinEscapedCommandLine({"cmd", std::string("a\0b", 3)}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace silo::runtime::windows
