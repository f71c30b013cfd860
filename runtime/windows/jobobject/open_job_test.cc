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
  void* job = api.create_job_object(L"silo-pod-a", nullptr);
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(api.get_last_error(), 0u);
  void* again = api.create_job_object(L"silo-pod-a", nullptr);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(api.get_last_error(), 183u);  // ERROR_ALREADY_EXISTS: the same job
  EXPECT_EQ(fake.jobs(), 1);
  EXPECT_EQ(api.close_handle(again), 1);
  EXPECT_EQ(api.close_handle(job), 1);
  EXPECT_FALSE(fake.Win32JobExists(L"silo-pod-a")) << "no handle and no process: gone";
  EXPECT_EQ(fake.jobs(), 0);

  job = api.create_job_object(L"silo-pod-b", nullptr);
  ASSERT_TRUE(fake.AddProcess(L"silo-pod-b"));
  Result<void*> opened = OpenNamedJob(api, L"silo-pod-b", kJobObjectAllAccess);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(api.close_handle(job), 1);
  EXPECT_TRUE(fake.Win32JobExists(L"silo-pod-b")) << "a handle is still open";
  EXPECT_EQ(api.terminate_job_object(*opened, 1), 1);
  EXPECT_EQ(fake.Processes(L"silo-pod-b"), 0);
  EXPECT_EQ(api.close_handle(*opened), 1);
  EXPECT_FALSE(fake.Win32JobExists(L"silo-pod-b"));
  EXPECT_EQ(api.close_handle(*opened), 0);  // closed twice: refused and counted
  EXPECT_EQ(api.terminate_job_object(*opened, 1), 0);
  EXPECT_EQ(api.get_last_error(), 6u);  // ERROR_INVALID_HANDLE
  EXPECT_EQ(fake.bad_closes(), 1);

  fake.FailCreates(1450);
  EXPECT_EQ(api.create_job_object(L"silo-pod-c", nullptr), nullptr);
  EXPECT_EQ(api.get_last_error(), 1450u);
  EXPECT_EQ(api.create_job_object(L"bad\\name", nullptr), nullptr);
  EXPECT_EQ(api.get_last_error(), 161u);  // ERROR_BAD_PATHNAME
  EXPECT_EQ(fake.jobs(), 0);
}

// The object manager deletes a name with the last handle, whatever still
// references the object: processes keep the job running, but no open or
// create by name reaches it again, and the next create makes another job.
TEST(OpenJobTest, FakeJobLosesItsNameWithItsLastHandleThoughItsProcessesKeepItAlive) {
  FakeJobApi fake;
  const JobApi& api = fake.api();
  void* job = api.create_job_object(L"silo-pod-d", nullptr);
  ASSERT_TRUE(fake.AddProcess(L"silo-pod-d"));
  EXPECT_EQ(api.close_handle(job), 1);
  EXPECT_FALSE(fake.Win32JobExists(L"silo-pod-d"));
  EXPECT_EQ(fake.jobs(), 1) << "the job itself lives on";
  EXPECT_EQ(fake.OrphanedProcesses(), 1);
  Result<void*> opened = OpenNamedJob(api, L"silo-pod-d", kJobObjectAllAccess);
  EXPECT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().hr(), 0x80070002u);  // ERROR_FILE_NOT_FOUND
  void* fresh = api.create_job_object(L"silo-pod-d", nullptr);
  EXPECT_EQ(api.get_last_error(), 0u) << "a new, empty job";
  EXPECT_EQ(fake.Processes(L"silo-pod-d"), 0);
  EXPECT_EQ(api.close_handle(fresh), 1);
}

// A handle duplicated into another process keeps the name reachable while
// that process lives, and only then.
TEST(OpenJobTest, FakeJobNameLivesWhileAnotherProcessHoldsAHandle) {
  FakeJobApi fake;
  const JobApi& api = fake.api();
  void* monitor = fake.StartProcess();
  void* job = api.create_job_object(L"silo-pod-e", nullptr);
  ASSERT_TRUE(fake.AddProcess(L"silo-pod-e"));
  void* theirs = nullptr;
  ASSERT_EQ(api.duplicate_job_handle(job, monitor, kSynchronizeAccess, &theirs), 1);
  EXPECT_EQ(fake.HandlesIn(monitor), 1);
  EXPECT_EQ(api.close_handle(theirs), 0) << "not a handle of the caller's";
  EXPECT_EQ(api.close_handle(job), 1);
  Result<void*> opened = OpenNamedJob(api, L"silo-pod-e", kJobObjectAllAccess);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(fake.Processes(L"silo-pod-e"), 1);
  EXPECT_EQ(api.close_handle(*opened), 1);
  fake.EndProcess(monitor);
  EXPECT_FALSE(fake.Win32JobExists(L"silo-pod-e"));
  EXPECT_EQ(fake.OrphanedProcesses(), 1);
  void* stranger = reinterpret_cast<void*>(uintptr_t{0x1234});
  EXPECT_EQ(api.duplicate_job_handle(job, stranger, kSynchronizeAccess, &theirs), 0);
  EXPECT_EQ(fake.bad_closes(), 1);
}

// The owner comes from the descriptor the job was created with.
TEST(OpenJobTest, FakeJobOwnerFollowsItsSecurityDescriptor) {
  FakeJobApi fake;
  const JobApi& api = fake.api();
  void* ours = api.create_job_object(L"silo-pod-f", L"O:BAG:BAD:P(A;;GA;;;SY)(A;;GA;;;BA)");
  ASSERT_NE(ours, nullptr);
  wchar_t sid[64];
  ASSERT_EQ(api.get_job_owner(ours, sid, 64), 0u);
  EXPECT_EQ(std::wstring(sid), kAdministratorsSid);
  EXPECT_EQ(fake.Sddl(L"silo-pod-f"), L"O:BAG:BAD:P(A;;GA;;;SY)(A;;GA;;;BA)");
  EXPECT_EQ(api.get_job_owner(ours, sid, 4), 122u);  // ERROR_INSUFFICIENT_BUFFER
  EXPECT_EQ(api.create_job_object(L"silo-pod-g", L"O:WDD:P"), nullptr);
  EXPECT_EQ(api.get_last_error(), 1307u);  // ERROR_INVALID_OWNER
  EXPECT_EQ(api.create_job_object(L"silo-pod-g", L"O:BA"), nullptr);
  EXPECT_EQ(api.get_last_error(), 87u);
  fake.AddWin32Job(L"squat");
  Result<void*> squat = OpenNamedJob(api, L"squat", kJobObjectAllAccess);
  ASSERT_TRUE(squat.ok());
  ASSERT_EQ(api.get_job_owner(*squat, sid, 64), 0u);
  EXPECT_EQ(std::wstring(sid), FakeJobApi::kUserSid);
  EXPECT_EQ(api.close_handle(*squat), 1);
  EXPECT_EQ(api.close_handle(ours), 1);
}

}  // namespace
}  // namespace silo::runtime::windows::jobobject
