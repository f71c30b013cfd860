// Win32PrivateDirOs on a real (Wine) volume: a folder is created with the
// private descriptor, inspected without following it, re-secured through its
// handle, and a file is refused where a folder belongs. Wine 8 has no
// reparse points and keeps only part of a file's security, so the junction
// refusal and the owner rules are proven against the fake on Linux
// (private_dir_test.cc); this proves the calls.
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <string>
#include <vector>

#include "runtime/base/windows/private_dir_win32.h"
#include "runtime/windows/testing/win_check.h"

namespace {

using silo::win32::DirFacts;
using silo::win32::Win32PrivateDirOs;
#define CHECK(cond) SILO_WIN_CHECK(cond)

std::string TempFolder(const char* leaf) {
  char base[MAX_PATH] = {};
  GetTempPathA(MAX_PATH, base);
  return std::string(base) + "silo-private-" + std::to_string(GetCurrentProcessId()) + "-" + leaf;
}

// True when the folder's DACL is protected and grants only BA and SY.
bool HasPrivateDacl(const std::string& path) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  PACL dacl = nullptr;
  if (GetNamedSecurityInfoA(path.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, &dacl,
                            nullptr, &sd) != ERROR_SUCCESS) {
    return false;
  }
  char* text = nullptr;
  bool ok = false;
  if (ConvertSecurityDescriptorToStringSecurityDescriptorA(sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text,
                                                           nullptr)) {
    const std::string s(text);
    std::printf("  %s: %s\n", path.c_str(), text);
    ok = s.find("D:P") == 0 && s.find(";;;BA)") != std::string::npos && s.find(";;;SY)") != std::string::npos &&
         s.find(";;;WD)") == std::string::npos && s.find(";;;BU)") == std::string::npos;
    LocalFree(text);
  }
  LocalFree(sd);
  return ok;
}

// Wine 8 answers a descriptor derived from the Unix mode bits instead of
// the one a folder was created or set with: the DACL is checked on Windows.
void CheckPrivateDacl(const std::string& dir) {
  if (silo::windows_testing::UnderWine()) {
    std::printf("  SKIPPED: Wine does not keep a folder's DACL (%s)\n", HasPrivateDacl(dir) ? "kept" : "not kept");
    return;
  }
  CHECK(HasPrivateDacl(dir));
}

void CreatesAFolderCarryingThePrivateDescriptor() {
  Win32PrivateDirOs os;
  const std::string dir = TempFolder("create");
  DirFacts facts;
  CHECK(os.Inspect(dir, &facts) == 0);
  CHECK(!facts.exists);
  CHECK(os.CreateSecured(dir) == 0);
  CHECK(os.CreateSecured(dir) == ERROR_ALREADY_EXISTS);
  CHECK(os.Inspect(dir, &facts) == 0);
  CHECK(facts.exists && facts.directory && !facts.reparse_point);
  CHECK(!facts.owner_sid.empty());
  std::printf("  owner %s\n", facts.owner_sid.c_str());
  CheckPrivateDacl(dir);
  CHECK(os.CreateSecured(dir + "\\missing\\child") == ERROR_PATH_NOT_FOUND);
  RemoveDirectoryA(dir.c_str());
}

void ResecuresAFolderThroughItsHandleAndRefusesAFile() {
  Win32PrivateDirOs os;
  const std::string dir = TempFolder("resecure");
  CHECK(CreateDirectoryA(dir.c_str(), nullptr));
  CHECK(os.Resecure(dir) == 0);
  CheckPrivateDacl(dir);
  const std::string file = dir + "\\file";
  HANDLE h = CreateFileA(file.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
  CHECK(h != INVALID_HANDLE_VALUE);
  CloseHandle(h);
  CHECK(os.Resecure(file) == ERROR_DIRECTORY);
  DirFacts facts;
  CHECK(os.Inspect(file, &facts) == 0);
  CHECK(facts.exists && !facts.directory);
  CHECK(os.Resecure(dir + "\\absent") == ERROR_FILE_NOT_FOUND);
  DeleteFileA(file.c_str());
  RemoveDirectoryA(dir.c_str());
}

// What a folder held before it was adopted: listed, each entry reset
// through its own handle, a folder to be walked into and a file not.
void ResetsWhatAFolderHeldToWhatItInherits() {
  Win32PrivateDirOs os;
  const std::string dir = TempFolder("tree");
  CHECK(CreateDirectoryA(dir.c_str(), nullptr));
  CHECK(CreateDirectoryA((dir + "\\sub").c_str(), nullptr));
  HANDLE h = CreateFileA((dir + "\\sub\\file").c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL,
                         nullptr);
  CHECK(h != INVALID_HANDLE_VALUE);
  CloseHandle(h);
  CHECK(os.Resecure(dir) == 0);
  std::vector<std::string> names;
  CHECK(os.ListChildren(dir, &names) == 0);
  CHECK(names.size() == 1 && names[0] == "sub");
  bool descend = false;
  CHECK(os.ResetToInherited(dir + "\\sub", &descend) == 0);
  CHECK(descend);
  CHECK(os.ListChildren(dir + "\\sub", &names) == 0);
  CHECK(names.size() == 1 && names[0] == "file");
  CHECK(os.ResetToInherited(dir + "\\sub\\file", &descend) == 0);
  CHECK(!descend);
  CHECK(os.ResetToInherited(dir + "\\absent", &descend) == ERROR_FILE_NOT_FOUND);
  // A file with a second name is never re-secured.
  CHECK(CreateHardLinkA((dir + "\\sub\\other-name").c_str(), (dir + "\\sub\\file").c_str(), nullptr));
  CHECK(os.ResetToInherited(dir + "\\sub\\file", &descend) == silo::win32::kErrorHardLinked);
  DeleteFileA((dir + "\\sub\\other-name").c_str());
  CHECK(os.ListChildren(dir + "\\sub\\file", &names) != 0);  // a file has no children
  // The whole path: an adopted folder's tree is reset by SecurePrivateDir.
  CHECK(silo::win32::SecurePrivateDir(os, dir, dir, "tree").ok());
  DeleteFileA((dir + "\\sub\\file").c_str());
  RemoveDirectoryA((dir + "\\sub").c_str());
  RemoveDirectoryA(dir.c_str());
}

// silod's own start-up path on this host: a data folder with root, state
// and logs under the temp folder (its parents are owned by this user).
void SecuresSilodsFoldersEndToEnd() {
  Win32PrivateDirOs os;
  const std::string data = TempFolder("data");
  silo::win32::HrStatus s = silo::win32::SecureSiloFolders(os, data + "\\root", data + "\\state", data + "\\logs");
  CHECK(s.ok());
  if (!s.ok()) std::printf("  %s\n", s.ToString().c_str());
  for (const char* leaf : {"\\root", "\\state", "\\logs", ""}) {
    DirFacts facts;
    CHECK(os.Inspect(data + leaf, &facts) == 0 && facts.exists && facts.directory);
  }
  // A second start takes its own folders again.
  CHECK(silo::win32::SecureSiloFolders(os, data + "\\root", data + "\\state", data + "\\logs").ok());
  // A file where the state folder belongs is refused.
  RemoveDirectoryA((data + "\\state").c_str());
  HANDLE h = CreateFileA((data + "\\state").c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL,
                         nullptr);
  CloseHandle(h);
  CHECK(!silo::win32::SecureSiloFolders(os, data + "\\root", data + "\\state", "").ok());
  DeleteFileA((data + "\\state").c_str());
  for (const char* leaf : {"\\root", "\\logs", ""}) RemoveDirectoryA((data + leaf).c_str());
}

}  // namespace

int main() {
  const silo::windows_testing::WinTest tests[] = {
      {"CreatesAFolderCarryingThePrivateDescriptor", CreatesAFolderCarryingThePrivateDescriptor},
      {"ResecuresAFolderThroughItsHandleAndRefusesAFile", ResecuresAFolderThroughItsHandleAndRefusesAFile},
      {"ResetsWhatAFolderHeldToWhatItInherits", ResetsWhatAFolderHeldToWhatItInherits},
      {"SecuresSilodsFoldersEndToEnd", SecuresSilodsFoldersEndToEnd},
  };
  return silo::windows_testing::RunWinTests(tests);
}
