#include "runtime/windows/schema/json.h"

#include "gtest/gtest.h"

namespace silo::runtime::windows::schema {
namespace {

using nlohmann::json;

TEST(SchemaJsonTest, DefaultsAreOmittedLikeGoOmitempty) {
  EXPECT_EQ(json(ComputeSystem{}).dump(), "{}");
  EXPECT_EQ(json(Container{}).dump(), "{}");
  EXPECT_EQ(json(ProcessParameters{}).dump(), "{}");
  EXPECT_EQ(json(Processor{}).dump(), "{}");
  EXPECT_EQ(json(MappedDirectory{"C:\\h", std::nullopt, "C:\\c", false}).dump(),
            R"({"ContainerPath":"C:\\c","HostPath":"C:\\h"})");
}

TEST(SchemaJsonTest, PresentPointerFieldsAreKeptEvenWhenEmpty) {
  // A non-nil pointer to an empty struct is still encoded by Go as {}.
  Container c;
  c.storage = Storage{};
  c.guest_os = GuestOs{};
  EXPECT_EQ(json(c).dump(), R"({"GuestOs":{},"Storage":{}})");
}

TEST(SchemaJsonTest, FieldNamesAndEnums) {
  ComputeSystem doc;
  doc.owner = "silo";
  doc.schema_version = Version{2, 1};
  doc.should_terminate_on_last_handle_closed = true;
  doc.hosting_system_id = "uvm";
  Container c;
  c.storage = Storage{{Layer{"a", "C:\\l", PathType::kAbsolutePath}}, "\\\\?\\Volume{x}\\"};
  c.mapped_pipes.push_back(MappedPipe{"p", "\\\\.\\pipe\\p", MappedPipePathType::kVirtualSmbPipeName});
  c.networking = Networking{true, "a,b", "shared", "ns", {"n1"}};
  RegistryValue v;
  v.key = RegistryKey{RegistryHive::kSoftware, "K", true};
  v.name = "V";
  v.type = RegistryValueType::kDWord;
  v.dword_value = 7;
  v.qword_value = 9;
  c.registry_changes = RegistryChanges{{v}, {RegistryKey{RegistryHive::kSam, "D", false}}};
  doc.container = c;

  const json j = doc;
  EXPECT_EQ(j["SchemaVersion"], json({{"Major", 2}, {"Minor", 1}}));
  EXPECT_EQ(j["HostingSystemId"], "uvm");
  EXPECT_EQ(j["ShouldTerminateOnLastHandleClosed"], true);
  EXPECT_EQ(j["Container"]["Storage"]["Layers"][0]["PathType"], "AbsolutePath");
  EXPECT_EQ(j["Container"]["MappedPipes"][0]["HostPathType"], "VirtualSmbPipeName");
  EXPECT_EQ(j["Container"]["Networking"],
            json::parse(R"({"AllowUnqualifiedDnsQuery":true,"DnsSearchList":"a,b",
              "NetworkSharedContainerName":"shared","Namespace":"ns","NetworkAdapters":["n1"]})"));
  EXPECT_EQ(j["Container"]["RegistryChanges"],
            json::parse(R"({"AddValues":[{"Key":{"Hive":"Software","Name":"K","Volatile":true},
              "Name":"V","Type":"DWord","DWordValue":7,"QWordValue":9}],
              "DeleteKeys":[{"Hive":"Sam","Name":"D"}]})"));
}

TEST(SchemaJsonTest, ProcessParameters) {
  ProcessParameters p;
  p.command_line = "a b";
  p.environment = {{"B", "2"}, {"A", "1"}};
  p.emulate_console = true;
  p.create_std_out_pipe = true;
  p.console_size = {24, 80};
  EXPECT_EQ(json(p).dump(),
            R"({"CommandLine":"a b","ConsoleSize":[24,80],"CreateStdOutPipe":true,)"
            R"("EmulateConsole":true,"Environment":{"A":"1","B":"2"}})");
}

TEST(SchemaJsonTest, InvalidUtf8IsAnErrorNotAnException) {
  ComputeSystem doc;
  doc.owner = "\xff\xfe";
  absl::StatusOr<std::string> s = ToJsonString(doc);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  doc.owner = "silo";
  ASSERT_TRUE(ToJsonString(doc).ok());
  EXPECT_EQ(*ToJsonString(doc), R"({"Owner":"silo"})");
}

}  // namespace
}  // namespace silo::runtime::windows::schema
