// The remote tables give the caller what the host's tables give: this test
// process is the fake host's client (over its socket, through the generic
// and the hand-written entries) and checks the answers and the handles
// against the fakes it also owns.
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

#include "cri/daemon/windows/fake_host/host_client.h"
#include "cri/daemon/windows/fake_host/host_server.h"
#include "cri/daemon/windows/fake_host/remote_hcn.h"
#include "cri/daemon/windows/fake_host/remote_host_paths.h"
#include "cri/daemon/windows/fake_host/remote_jobs.h"
#include "cri/daemon/windows/fake_host/remote_processes.h"
#include "cri/daemon/windows/fake_host/remote_readiness.h"
#include "gtest/gtest.h"
#include "network/hns/fake/fake_hcn.h"
#include "network/hns/namespace.h"
#include "runtime/windows/host_path/fake/fake_host_path_api.h"
#include "runtime/windows/host_path/resolve.h"
#include "runtime/windows/hostprocess/fake/fake_process_api.h"
#include "runtime/windows/jobobject/fake/fake_job_api.h"
#include "runtime/windows/readiness/fake/fake_readiness_api.h"
#include "runtime/windows/readiness/readiness_status.h"

namespace silo::cri::fake_host {
namespace {

namespace fs = std::filesystem;
namespace jo = runtime::windows::jobobject;
namespace hp = runtime::windows::hostprocess;

// One host for the suite: the client of a process is connected once.
class RemoteTablesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/silo-remote-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    hcn_ = new network::hns::fake::FakeHcn();
    jobs_ = new jo::fake::FakeJobApi();
    paths_ = new runtime::windows::host_path::fake::FakeHostPathApi();
    paths_->AddVolume(L"C:", L"{4c1b1ff0-8a3f-4c1a-9d9a-1234567890ab}");
    paths_->AddPath(L"C:\\data");
    readiness_ = new runtime::windows::readiness::fake::FakeReadinessApi();
    processes_ = new hp::fake::FakeProcessApi();
    HostEntries entries;
    ServeProcesses(entries, processes_->api());
    ServeReadiness(entries, readiness_->api());
    ServeHcn(entries, hcn_->api());
    ServeJobs(entries, jobs_->api());
    ServeHostPaths(entries, paths_->api());
    auto server = FakeHostServer::Start(*dir_ + "/host.sock", std::move(entries), nullptr);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    std::string error;
    ASSERT_TRUE(FakeHostClient::Connect(*dir_ + "/host.sock", &error)) << error;
  }
  static void TearDownTestSuite() {
    // The client stays connected for the life of the process; the host's
    // end of its connections closes with the server.
    delete server_;
    delete paths_;
    delete processes_;
    delete readiness_;
    delete jobs_;
    delete hcn_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  void TearDown() override {
    EXPECT_EQ(hcn_->open_handles(), 0);
    EXPECT_EQ(jobs_->open_handles(), 0);
    EXPECT_EQ(jobs_->bad_closes(), 0);
    EXPECT_EQ(paths_->open_handles(), 0);
    EXPECT_EQ(paths_->bad_closes(), 0);
    EXPECT_EQ(readiness_->open_handles(), 0);
    EXPECT_EQ(readiness_->bad_closes(), 0);
    EXPECT_EQ(processes_->open_handles(), 0);
    EXPECT_EQ(processes_->bad_closes(), 0);
  }

  static std::string* dir_;
  static network::hns::fake::FakeHcn* hcn_;
  static jo::fake::FakeJobApi* jobs_;
  static runtime::windows::host_path::fake::FakeHostPathApi* paths_;
  static runtime::windows::readiness::fake::FakeReadinessApi* readiness_;
  static hp::fake::FakeProcessApi* processes_;
  static FakeHostServer* server_;
};
std::string* RemoteTablesTest::dir_ = nullptr;
network::hns::fake::FakeHcn* RemoteTablesTest::hcn_ = nullptr;
jo::fake::FakeJobApi* RemoteTablesTest::jobs_ = nullptr;
runtime::windows::host_path::fake::FakeHostPathApi* RemoteTablesTest::paths_ = nullptr;
runtime::windows::readiness::fake::FakeReadinessApi* RemoteTablesTest::readiness_ = nullptr;
hp::fake::FakeProcessApi* RemoteTablesTest::processes_ = nullptr;
FakeHostServer* RemoteTablesTest::server_ = nullptr;

// A new ProcessApi entry left null in the remote table would crash silod
// only when first called; every entry is served or refused.
TEST(RemoteProcessApi, EveryEntryIsFilled) {
  using Entry = uint32_t (*)();
  static_assert(sizeof(hp::ProcessApi) % sizeof(Entry) == 0, "a table of function pointers only");
  const hp::ProcessApi& table = RemoteProcessApi();
  Entry entries[sizeof(hp::ProcessApi) / sizeof(Entry)];
  std::memcpy(entries, &table, sizeof(entries));
  for (size_t i = 0; i < sizeof(entries) / sizeof(Entry); ++i) EXPECT_NE(entries[i], nullptr) << "entry " << i;
}

// What only the shim calls aborts loudly, naming the entry, instead of
// answering something made up.
TEST(RemoteProcessApi, AShimOnlyEntryAbortsNamingItself) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(RemoteProcessApi().create_process(nullptr, nullptr), "create_process");
}

TEST_F(RemoteTablesTest, JobCallsAnswerGetLastErrorForTheCallingThreadOnly) {
  const jo::JobApi& api = RemoteJobApi();
  void* job = api.create_job_object(L"silo-pod-remote", jo::kSilodJobSddl);
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(api.get_last_error(), 0u);
  void* again = api.create_job_object(L"silo-pod-remote", jo::kSilodJobSddl);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(api.get_last_error(), 183u) << "ERROR_ALREADY_EXISTS: the same job";
  uint32_t other_thread_error = 1;
  std::thread([&] { other_thread_error = api.get_last_error(); }).join();
  EXPECT_EQ(other_thread_error, 0u) << "a thread that made no call has no error";
  EXPECT_EQ(api.get_last_error(), 183u);

  wchar_t owner[80] = {};
  ASSERT_EQ(api.get_job_owner(job, owner, 80), 0u);
  EXPECT_TRUE(jo::IsSilodJobOwner(owner)) << "owner";
  EXPECT_NE(api.get_job_owner(job, owner, 2), 0u) << "too small a buffer";

  EXPECT_EQ(api.open_job_object(jo::kJobObjectAllAccess, 0, L"no-such-job"), nullptr);
  EXPECT_EQ(api.get_last_error(), 2u) << "ERROR_FILE_NOT_FOUND";

  jobs_->AddSiloJob(L"abc");
  const wchar_t path[] = L"\\Container_abc";
  jo::NtUnicodeString name{static_cast<uint16_t>((sizeof(path) / sizeof(wchar_t) - 1) * sizeof(wchar_t)),
                           static_cast<uint16_t>(sizeof(path)), path};
  jo::NtObjectAttributes attributes{sizeof(jo::NtObjectAttributes), nullptr, &name, 0, nullptr, nullptr};
  void* silo_job = nullptr;
  ASSERT_EQ(api.nt_open_job_object(&silo_job, jo::kJobObjectAllAccess, &attributes), 0);
  ASSERT_NE(silo_job, nullptr);
  EXPECT_EQ(jobs_->nt_opens(), 1);

  EXPECT_EQ(jobs_->open_handles(), 3);
  for (void* h : {job, again, silo_job}) EXPECT_NE(api.close_handle(h), 0);
}

TEST_F(RemoteTablesTest, HostProcessCallsCarryTheirStructsBuffersAndHandles) {
  const hp::ProcessApi& api = RemoteProcessApi();
  void* job = api.create_job_object(L"silo-hpc-remote", jo::kSilodJobSddl);
  ASSERT_NE(job, nullptr);
  EXPECT_EQ(api.get_last_error(), 0u);
  EXPECT_TRUE(processes_->JobExists("silo-hpc-remote"));
  wchar_t owner[80] = {};
  ASSERT_EQ(api.get_job_owner(job, owner, 80), 0u);
  EXPECT_EQ(std::wstring(owner), processes_->JobOwner("silo-hpc-remote"));

  hp::JobLimitsSpec limits;
  limits.kill_on_close = true;
  limits.job_memory_bytes = 64 << 20;
  ASSERT_NE(api.set_job_limits(job, &limits), 0);
  ASSERT_TRUE(processes_->Limits("silo-hpc-remote").has_value());
  EXPECT_EQ(processes_->Limits("silo-hpc-remote")->job_memory_bytes, 64u << 20);
  hp::JobAccountingSpec set;
  set.user_time_100ns = 7;
  set.commit_bytes = 4096;
  processes_->SetAccounting("silo-hpc-remote", set);
  hp::JobAccountingSpec got;
  ASSERT_NE(api.query_job_accounting(job, &got), 0);
  EXPECT_EQ(got.user_time_100ns, 7u);
  EXPECT_EQ(got.commit_bytes, 4096u);

  uint8_t random[16] = {};
  ASSERT_EQ(api.random_bytes(random, sizeof(random)), 0u);
  ASSERT_FALSE(processes_->RandomDraws().empty());
  EXPECT_EQ(std::vector<uint8_t>(random, random + sizeof(random)), processes_->RandomDraws().back());

  // A pipe: both ends are this client's; with the write end closed and
  // nothing written, a read ends with ERROR_BROKEN_PIPE.
  void* read_end = nullptr;
  void* write_end = nullptr;
  ASSERT_NE(api.create_pipe(&read_end, &write_end), 0);
  EXPECT_EQ(processes_->HandlesOf(0), 3);
  EXPECT_NE(api.close_handle(write_end), 0);
  char buffer[8];
  uint32_t read = 99;
  EXPECT_EQ(api.read_file(read_end, buffer, sizeof(buffer), &read), 0);
  EXPECT_EQ(api.get_last_error(), hp::kErrorBrokenPipe);
  EXPECT_EQ(read, 0u);

  EXPECT_EQ(api.open_job_object(L"no-such-job"), nullptr);
  EXPECT_EQ(api.get_last_error(), hp::kErrorFileNotFound);
  for (void* h : {read_end, job}) EXPECT_NE(api.close_handle(h), 0);
  EXPECT_FALSE(processes_->JobExists("silo-hpc-remote"));
}

TEST_F(RemoteTablesTest, HcnCallsReturnTheirStringsAndCloseTheirHandles) {
  const network::hns::HcnApi& api = RemoteHcnApi();
  auto created = network::hns::CreateNamespace(api);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(hcn_->NamespaceIds(), std::vector<std::string>{created->id});
  auto listed = network::hns::EnumerateNamespaces(api);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(*listed, std::vector<std::string>{created->id});
  auto got = network::hns::GetNamespace(api, created->id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->id, created->id);
  ASSERT_TRUE(network::hns::DeleteNamespace(api, created->id).ok());
  EXPECT_TRUE(hcn_->NamespaceIds().empty());
  EXPECT_FALSE(network::hns::GetNamespace(api, created->id).ok());
}

TEST_F(RemoteTablesTest, AHostPathResolvesThroughTheSizingAndTheFilledBuffer) {
  const runtime::windows::host_path::HostPathApi& api = RemoteHostPathApi();
  auto resolved = runtime::windows::host_path::ResolveHostPath(api, L"C:\\data");
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_NE(resolved->find(L"data"), std::wstring::npos);
  EXPECT_FALSE(runtime::windows::host_path::ResolveHostPath(api, L"C:\\missing").ok());
  EXPECT_EQ(paths_->opens(), 2);
}

TEST_F(RemoteTablesTest, TheReadinessProbeSeesTheHostsFeatureAndTheErrorOfItsOwnLastCall) {
  const runtime::windows::readiness::ReadinessApi& api = RemoteReadinessApi();
  const auto check = runtime::windows::readiness::ReadinessCheck(api);
  EXPECT_FALSE(check().ok()) << "the Containers feature is not installed yet";
  readiness_->InstallContainersFeature();
  EXPECT_TRUE(check().ok());
  EXPECT_EQ(api.load_system_library(L"nosuch.dll"), nullptr);
  EXPECT_EQ(api.get_last_error(), 126u) << "ERROR_MOD_NOT_FOUND";
}

}  // namespace
}  // namespace silo::cri::fake_host
