// Which call opens which job name, against the fake object namespace: HCS's
// \Container_<id> silo jobs need NtOpenJobObject (OpenJobObjectW cannot
// reach them), Win32 names go through OpenJobObjectW.
#include "runtime/windows/jobobject/open_job.h"

#include "gtest/gtest.h"
#include "runtime/windows/jobobject/fake/fake_job_api.h"

namespace silo::runtime::windows::jobobject {
namespace {

using fake::FakeJobApi;

constexpr uint32_t kErrorFileNotFoundHr = 0x80070002;
constexpr uint32_t kErrorBadPathnameHr = 0x800700A1;

TEST(OpenJobTest, SiloJobNameIsTheContainerObjectPath) {
  EXPECT_EQ(SiloJobName(L"abc123"), L"\\Container_abc123");
  EXPECT_TRUE(IsObjectManagerPath(SiloJobName(L"abc123")));
  EXPECT_FALSE(IsObjectManagerPath(L"silo-pod-1"));
  EXPECT_FALSE(IsObjectManagerPath(L""));
}

TEST(OpenJobTest, ContainerSiloJobsOpenThroughNtOpenJobObject) {
  FakeJobApi fake;
  fake.AddSiloJob(L"abc123");
  Result<void*> job = OpenNamedJob(fake.api(), SiloJobName(L"abc123"), kJobObjectAllAccess);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(fake.nt_opens(), 1);
  EXPECT_EQ(fake.win32_opens(), 0);
  EXPECT_EQ(fake.open_handles(), 1);
  EXPECT_EQ(fake.api().close_handle(*job), 1);
  EXPECT_EQ(fake.open_handles(), 0);
  EXPECT_EQ(fake.bad_closes(), 0);
}

// What Open did before: OpenJobObjectW with the silo's name never finds it.
TEST(OpenJobTest, OpenJobObjectWCannotReachContainerSiloJobs) {
  FakeJobApi fake;
  fake.AddSiloJob(L"abc123");
  const std::wstring name = SiloJobName(L"abc123");
  EXPECT_EQ(fake.api().open_job_object(kJobObjectAllAccess, 0, name.c_str()), nullptr);
  EXPECT_EQ(fake.api().get_last_error(), 161u);  // ERROR_BAD_PATHNAME
  EXPECT_EQ(fake.open_handles(), 0);
}

TEST(OpenJobTest, Win32NamesOpenThroughOpenJobObjectW) {
  FakeJobApi fake;
  fake.AddWin32Job(L"silo-pod-1");
  Result<void*> job = OpenNamedJob(fake.api(), L"silo-pod-1", kJobObjectAllAccess);
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  EXPECT_EQ(fake.win32_opens(), 1);
  EXPECT_EQ(fake.nt_opens(), 0);
  EXPECT_EQ(fake.api().close_handle(*job), 1);
  // The same job by its object-manager path.
  Result<void*> by_path = OpenNamedJob(fake.api(), L"\\Sessions\\1\\BaseNamedObjects\\silo-pod-1", kJobObjectAllAccess);
  ASSERT_TRUE(by_path.ok()) << by_path.status().ToString();
  EXPECT_EQ(fake.nt_opens(), 1);
  EXPECT_EQ(fake.api().close_handle(*by_path), 1);
  EXPECT_EQ(fake.open_handles(), 0);
}

TEST(OpenJobTest, MissingJobsFailWithFileNotFoundNamingTheCall) {
  FakeJobApi fake;
  Result<void*> silo = OpenNamedJob(fake.api(), SiloJobName(L"gone"), kJobObjectAllAccess);
  ASSERT_FALSE(silo.ok());
  EXPECT_EQ(silo.status().hr(), kErrorFileNotFoundHr);
  EXPECT_NE(silo.status().message().find("NtOpenJobObject job \"\\Container_gone\""), std::string::npos)
      << silo.status().message();
  EXPECT_NE(silo.status().message().find("0xC0000034"), std::string::npos) << silo.status().message();
  Result<void*> win32 = OpenNamedJob(fake.api(), L"silo-pod-gone", kJobObjectAllAccess);
  ASSERT_FALSE(win32.ok());
  EXPECT_EQ(win32.status().hr(), kErrorFileNotFoundHr);
  EXPECT_NE(win32.status().message().find("OpenJobObjectW"), std::string::npos);
  EXPECT_EQ(fake.open_handles(), 0);
}

TEST(OpenJobTest, RelativeObjectNamesAndEmptyNamesAreRefused) {
  FakeJobApi fake;
  fake.AddWin32Job(L"a\\b");  // stored under BaseNamedObjects; unreachable by Win32 name
  Result<void*> win32 = OpenNamedJob(fake.api(), L"a\\b", kJobObjectAllAccess);
  ASSERT_FALSE(win32.ok());
  EXPECT_EQ(win32.status().hr(), kErrorBadPathnameHr);
  Result<void*> empty = OpenNamedJob(fake.api(), L"", kJobObjectAllAccess);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().hr(), 0x80070057u);
  EXPECT_EQ(fake.win32_opens(), 1);  // the empty name never reached the API
}

// The fake holds the caller to the OBJECT_ATTRIBUTES contract, as the kernel does.
TEST(OpenJobTest, FakeNtOpenJobObjectChecksTheObjectAttributes) {
  FakeJobApi fake;
  fake.AddSiloJob(L"x");
  const std::wstring name = SiloJobName(L"x");
  NtUnicodeString us{static_cast<uint16_t>(name.size() * sizeof(wchar_t)),
                     static_cast<uint16_t>(name.size() * sizeof(wchar_t)), name.c_str()};
  NtObjectAttributes oa{};
  oa.length = sizeof(oa);
  oa.object_name = &us;
  void* job = nullptr;
  ASSERT_EQ(fake.api().nt_open_job_object(&job, kJobObjectAllAccess, &oa), 0);
  EXPECT_EQ(fake.api().close_handle(job), 1);

  NtObjectAttributes bad_size = oa;
  bad_size.length = 0;
  EXPECT_NE(fake.api().nt_open_job_object(&job, kJobObjectAllAccess, &bad_size), 0);
  NtUnicodeString odd = us;
  odd.length = static_cast<uint16_t>(us.length + 1);
  NtObjectAttributes odd_oa = oa;
  odd_oa.object_name = &odd;
  EXPECT_NE(fake.api().nt_open_job_object(&job, kJobObjectAllAccess, &odd_oa), 0);
  EXPECT_NE(fake.api().nt_open_job_object(&job, 0, &oa), 0);
  EXPECT_EQ(fake.api().close_handle(job), 0);  // already closed
  EXPECT_EQ(fake.bad_closes(), 1);
  EXPECT_EQ(fake.open_handles(), 0);
}

// Valid OBJ_* flags pass, as the kernel lets them; OBJ_CASE_INSENSITIVE folds case.
TEST(OpenJobTest, FakeNtOpenJobObjectAcceptsValidAttributeFlags) {
  FakeJobApi fake;
  fake.AddSiloJob(L"x");
  const std::wstring name = L"\\CONTAINER_X";
  NtUnicodeString us{static_cast<uint16_t>(name.size() * sizeof(wchar_t)),
                     static_cast<uint16_t>(name.size() * sizeof(wchar_t)), name.c_str()};
  NtObjectAttributes oa{};
  oa.length = sizeof(oa);
  oa.object_name = &us;
  void* job = nullptr;
  EXPECT_EQ(fake.api().nt_open_job_object(&job, kJobObjectAllAccess, &oa), static_cast<int32_t>(0xC0000034));
  oa.attributes = 0x40;  // OBJ_CASE_INSENSITIVE
  ASSERT_EQ(fake.api().nt_open_job_object(&job, kJobObjectAllAccess, &oa), 0);
  EXPECT_EQ(fake.api().close_handle(job), 1);
  oa.attributes = 0x40 | 0x2 | 0x400;  // with OBJ_INHERIT and OBJ_FORCE_ACCESS_CHECK
  ASSERT_EQ(fake.api().nt_open_job_object(&job, kJobObjectAllAccess, &oa), 0);
  EXPECT_EQ(fake.api().close_handle(job), 1);
  for (uint32_t bad : {0x1u, 0x2000u, 0x80000000u}) {  // outside OBJ_VALID_ATTRIBUTES
    oa.attributes = 0x40 | bad;
    EXPECT_EQ(fake.api().nt_open_job_object(&job, kJobObjectAllAccess, &oa), static_cast<int32_t>(0xC000000D)) << bad;
  }
  EXPECT_EQ(fake.open_handles(), 0);
}

// Win32 names with a Session\<n>\ prefix live in that session's namespace.
TEST(OpenJobTest, FakeOpenJobObjectWResolvesNamespacePrefixes) {
  FakeJobApi fake;
  fake.AddWin32Job(L"Session\\2\\hpc");
  fake.AddWin32Job(L"Global\\shared");
  void* job = fake.api().open_job_object(kJobObjectAllAccess, 0, L"Session\\2\\hpc");
  ASSERT_NE(job, nullptr) << fake.api().get_last_error();
  EXPECT_EQ(fake.api().close_handle(job), 1);
  Result<void*> by_path = OpenNamedJob(fake.api(), L"\\Sessions\\2\\BaseNamedObjects\\hpc", kJobObjectAllAccess);
  ASSERT_TRUE(by_path.ok()) << by_path.status().ToString();
  EXPECT_EQ(fake.api().close_handle(*by_path), 1);
  EXPECT_EQ(fake.api().open_job_object(kJobObjectAllAccess, 0, L"hpc"), nullptr);  // not in session 1
  EXPECT_EQ(fake.api().get_last_error(), 2u);
  for (const wchar_t* same : {L"Global\\shared", L"Session\\0\\shared"}) {
    job = fake.api().open_job_object(kJobObjectAllAccess, 0, same);
    ASSERT_NE(job, nullptr) << fake.api().get_last_error();
    EXPECT_EQ(fake.api().close_handle(job), 1);
  }
  for (const wchar_t* bad : {L"Session\\x\\hpc", L"Session\\2", L"Session\\\\hpc", L"Session\\2\\a\\b"}) {
    EXPECT_EQ(fake.api().open_job_object(kJobObjectAllAccess, 0, bad), nullptr);
    EXPECT_EQ(fake.api().get_last_error(), 161u);  // ERROR_BAD_PATHNAME
  }
  EXPECT_EQ(fake.open_handles(), 0);
}

// A job made through CreateJobObjectW lives while a handle or a process
// holds it, as on Windows; creating a live name opens that job.
TEST(OpenJobTest, FakeCreatedJobsLiveWhileAHandleOrAProcessHoldsThem) {
  FakeJobApi fake;
  const JobApi& api = fake.api();
  void* job = api.create_job_object(L"silo-pod-a");
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(api.get_last_error(), 0u);
  void* again = api.create_job_object(L"silo-pod-a");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(api.get_last_error(), 183u);  // ERROR_ALREADY_EXISTS: the same job
  EXPECT_EQ(fake.jobs(), 1);
  EXPECT_EQ(api.close_handle(again), 1);
  EXPECT_EQ(api.close_handle(job), 1);
  EXPECT_FALSE(fake.Win32JobExists(L"silo-pod-a")) << "no handle and no process: gone";

  job = api.create_job_object(L"silo-pod-b");
  ASSERT_TRUE(fake.AddProcess(L"silo-pod-b"));
  EXPECT_EQ(api.close_handle(job), 1);
  EXPECT_TRUE(fake.Win32JobExists(L"silo-pod-b")) << "its process keeps it";
  Result<void*> opened = OpenNamedJob(api, L"silo-pod-b", kJobObjectAllAccess);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(api.terminate_job_object(*opened, 1), 1);
  EXPECT_EQ(fake.Processes(L"silo-pod-b"), 0);
  EXPECT_EQ(api.close_handle(*opened), 1);
  EXPECT_FALSE(fake.Win32JobExists(L"silo-pod-b"));
  EXPECT_EQ(api.close_handle(*opened), 0);  // closed twice: refused and counted
  EXPECT_EQ(api.terminate_job_object(*opened, 1), 0);
  EXPECT_EQ(api.get_last_error(), 6u);  // ERROR_INVALID_HANDLE
  EXPECT_EQ(fake.bad_closes(), 1);

  fake.FailCreates(1450);
  EXPECT_EQ(api.create_job_object(L"silo-pod-c"), nullptr);
  EXPECT_EQ(api.get_last_error(), 1450u);
  EXPECT_EQ(api.create_job_object(L"bad\\name"), nullptr);
  EXPECT_EQ(api.get_last_error(), 161u);  // ERROR_BAD_PATHNAME
  EXPECT_EQ(fake.jobs(), 0);
}

}  // namespace
}  // namespace silo::runtime::windows::jobobject
