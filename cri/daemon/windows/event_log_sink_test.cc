#include "cri/daemon/windows/event_log_sink.h"

#include <string>

#include "cri/daemon/windows/fake/fake_event_log_api.h"
#include "gtest/gtest.h"

namespace silo::cri::windows {
namespace {

using fake::FakeEventLogApi;

TEST(EventLogSinkTest, ServiceLifeReachesTheApplicationLog) {
  FakeEventLogApi log;
  log.RegisterSource(L"silo");
  {
    auto sink = EventLogSink::Open(log.api());
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    EXPECT_TRUE((*sink)->Report(ServiceEvent::kStarted, "silod 0.1.0 serving npipe://./pipe/silo").ok());
    EXPECT_TRUE((*sink)->Report(ServiceEvent::kFatalError, "open C:\\ProgramData\\silo\\root\\metadata.db: caf\xC3\xA9").ok());
    EXPECT_TRUE((*sink)->Report(ServiceEvent::kStopped, "stopped").ok());
    EXPECT_EQ(log.open_handles(), 1);
  }
  EXPECT_EQ(log.open_handles(), 0) << "the sink deregisters its source";
  EXPECT_EQ(log.bad_calls(), 0);
  ASSERT_EQ(log.events().size(), 3u);
  EXPECT_EQ(log.events()[0].source, L"silo");
  EXPECT_EQ(log.events()[0].event_id, 1u);
  EXPECT_EQ(log.events()[0].type, kEventInformation);
  EXPECT_EQ(log.events()[0].strings, std::vector<std::wstring>{L"silod 0.1.0 serving npipe://./pipe/silo"});
  EXPECT_EQ(log.events()[1].event_id, 3u);
  EXPECT_EQ(log.events()[1].type, kEventError);
  EXPECT_EQ(log.events()[1].strings[0], L"open C:\\ProgramData\\silo\\root\\metadata.db: caf\u00e9");
  EXPECT_EQ(log.events()[2].event_id, 2u);
  EXPECT_EQ(log.events()[2].type, kEventInformation);
}

TEST(EventLogSinkTest, LongMessagesAreCutToWhatReportEventTakes) {
  FakeEventLogApi log;
  log.RegisterSource(L"silo");
  auto sink = EventLogSink::Open(log.api());
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Report(ServiceEvent::kFatalError, std::string(100000, 'x')).ok());
  ASSERT_EQ(log.events().size(), 1u);
  const std::wstring& text = log.events()[0].strings[0];
  EXPECT_EQ(text.size(), kMaxEventStringChars);
  EXPECT_EQ(text.substr(text.size() - 3), L"...");
}

TEST(EventLogSinkTest, FailuresNameTheCall) {
  FakeEventLogApi log;  // the source was never registered
  auto missing = EventLogSink::Open(log.api());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("RegisterEventSourceW silo"), std::string::npos)
      << missing.status().ToString();

  log.RegisterSource(L"silo");
  auto sink = EventLogSink::Open(log.api());
  ASSERT_TRUE(sink.ok());
  log.FailReports(1502);  // ERROR_LOG_FILE_FULL
  win32::HrStatus s = (*sink)->Report(ServiceEvent::kStopped, "stopped");
  EXPECT_EQ(s.hr(), 0x800705DEu);
  EXPECT_NE(s.message().find("ReportEventW event 2"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace silo::cri::windows
