#include "cri/daemon/windows/event_log_critical_sink.h"

#include <memory>
#include <string>

#include "cri/daemon/windows/fake/fake_event_log_api.h"
#include "gtest/gtest.h"
#include "spdlog/logger.h"

namespace silo::cri::windows {
namespace {

TEST(EventLogCriticalSinkTest, OnlyFatalErrorsReachTheEventLog) {
  fake::FakeEventLogApi log;
  log.RegisterSource(L"silo");
  auto sink = EventLogSink::Open(log.api());
  ASSERT_TRUE(sink.ok()) << sink.status().ToString();
  std::shared_ptr<EventLogSink> shared = std::move(*sink);
  spdlog::logger logger("test", std::make_shared<EventLogCriticalSink>(shared));
  logger.set_level(spdlog::level::trace);

  logger.info("pulled {}", "mcr.microsoft.com/windows/nanoserver:ltsc2022");
  logger.error("pod {} failed", "web-0");
  logger.critical("cannot open {}: {}", "C:\\ProgramData\\silo\\root\\metadata.db", "disk full");
  logger.flush();

  ASSERT_EQ(log.events().size(), 1u);
  EXPECT_EQ(log.events()[0].event_id, static_cast<uint32_t>(ServiceEvent::kFatalError));
  EXPECT_EQ(log.events()[0].type, kEventError);
  EXPECT_EQ(log.events()[0].strings[0], L"cannot open C:\\ProgramData\\silo\\root\\metadata.db: disk full");

  log.FailReports(1502);  // a full event log is not the daemon's problem
  logger.critical("again");
  EXPECT_EQ(log.events().size(), 1u);
  EXPECT_EQ(log.bad_calls(), 0);
}

}  // namespace
}  // namespace silo::cri::windows
