// Standalone driver for the fuzz targets when libFuzzer is unavailable (GCC):
// runs LLVMFuzzerTestOneInput over every file of the target's corpus, then
// over a bounded number of deterministic mutations of them, so CI exercises
// the parsers on hostile input without a fuzzing engine. The mutation
// sequence depends only on the corpus and the seed, so a failure in CI
// reproduces with the same command line.
//
//   usage: <driver> [ITERATIONS] [--max-seconds S] [--seed N] [PATH...]
//
// PATH is a corpus directory (every regular file in it, in name order, not
// recursive) or a single file. ITERATIONS (default 20000) bounds the mutated
// runs; --max-seconds stops earlier once that much time has passed (0 = no
// time bound). Without PATH, the target's SiloFuzzSeeds() if it has one.
// The last line of output is
//   FUZZ <target> execs=N seconds=S
// where N counts every call (corpus files and mutations) and <target> is the
// binary's name without "_fuzz_driver"; the reliability table quotes it.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Optional in-code seeds (weak: a target may not define it), used only when
// no corpus path is given, e.g. a driver run by hand without arguments.
__attribute__((weak)) std::vector<std::string> SiloFuzzSeeds();

namespace {

constexpr size_t kMaxInput = 1 << 18;

std::string Mutate(std::string s, const std::vector<std::string>& corpus, std::mt19937& rng) {
  const int ops = 1 + int(rng() % 8);
  for (int i = 0; i < ops; ++i) {
    switch (rng() % 8) {
      case 0:  // flip a byte
        if (!s.empty()) s[rng() % s.size()] = char(rng());
        break;
      case 1:  // truncate
        if (!s.empty()) s.resize(rng() % s.size());
        break;
      case 2:  // insert random bytes
        s.insert(s.empty() ? 0 : rng() % s.size(), std::string(1 + rng() % 8, char(rng())));
        break;
      case 3:  // set an interesting byte
        if (!s.empty()) {
          static const unsigned char kVals[] = {0x00, 0x01, 0x7e, 0x7f, 0x80, 0xff, 0x03, 0x7d};
          s[rng() % s.size()] = char(kVals[rng() % sizeof(kVals)]);
        }
        break;
      case 4:  // duplicate a tail (several frames or members in one buffer)
        s += s.substr(s.empty() ? 0 : rng() % s.size());
        break;
      case 5: {  // splice: our head, another corpus entry's tail
        const std::string& other = corpus[rng() % corpus.size()];
        if (!other.empty()) s = s.substr(0, s.empty() ? 0 : rng() % s.size()) + other.substr(rng() % other.size());
        break;
      }
      case 6:  // erase a range
        if (s.size() > 1) {
          size_t at = rng() % s.size();
          s.erase(at, 1 + rng() % std::min<size_t>(s.size() - at, 16));
        }
        break;
      default: {  // pure random input
        std::string r(rng() % 64, '\0');
        for (char& c : r) c = char(rng());
        s = r;
      }
    }
    if (s.size() > kMaxInput) s.resize(kMaxInput);
  }
  return s;
}

bool ReadWhole(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// Appends the file, or every regular file of the directory in name order.
bool AddCorpusPath(const std::string& arg, std::vector<std::string>* corpus) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(arg, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(arg, ec)) {
      if (e.is_regular_file(ec)) files.push_back(e.path());
    }
    if (ec) return false;
    std::sort(files.begin(), files.end());
  } else {
    files.emplace_back(arg);
  }
  for (const auto& f : files) {
    std::string data;
    if (!ReadWhole(f, &data)) {
      std::fprintf(stderr, "fuzz driver: cannot read %s\n", f.c_str());
      return false;
    }
    corpus->push_back(std::move(data));
  }
  return true;
}

std::string TargetName(const char* argv0) {
  std::string name = std::filesystem::path(argv0).filename().string();
  for (const char* suffix : {"_fuzz_driver", "_fuzz"}) {
    const size_t n = std::strlen(suffix);
    if (name.size() > n && name.compare(name.size() - n, n, suffix) == 0) return name.substr(0, name.size() - n);
  }
  return name;
}

// The input being run, saved by the crash handler as crash-<target> in the
// working directory (copy it into tests/fuzz/corpus/<target>/ to keep it).
const std::string* g_current = nullptr;
char g_crash_path[256] = "crash-input";

void OnCrash(int sig) {
  if (g_current != nullptr) {
    // Only async-signal-safe calls here.
    const int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      const char* p = g_current->data();
      size_t left = g_current->size();
      while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n <= 0) break;
        p += n;
        left -= size_t(n);
      }
      ::close(fd);
      static const char kMsg[] = "fuzz driver: crashing input saved to ";
      (void)!::write(2, kMsg, sizeof(kMsg) - 1);
      (void)!::write(2, g_crash_path, std::strlen(g_crash_path));
      (void)!::write(2, "\n", 1);
    }
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void Run(const std::string& input) {
  g_current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  g_current = nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = 20000;
  double max_seconds = 0;
  uint32_t seed = 0x51105eed;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--max-seconds" && i + 1 < argc) {
      max_seconds = std::strtod(argv[++i], nullptr);
    } else if (arg == "--seed" && i + 1 < argc) {
      seed = uint32_t(std::strtoul(argv[++i], nullptr, 0));
    } else if (i == 1 && !arg.empty() && arg.find_first_not_of("0123456789") == std::string::npos) {
      iterations = std::strtol(arg.c_str(), nullptr, 10);
    } else if (!AddCorpusPath(arg, &corpus)) {
      return 2;
    }
  }
  if (corpus.empty() && SiloFuzzSeeds != nullptr) corpus = SiloFuzzSeeds();
  const size_t corpus_files = corpus.size();
  std::snprintf(g_crash_path, sizeof(g_crash_path), "crash-%s", TargetName(argv[0]).c_str());
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP}) ::signal(sig, OnCrash);
  corpus.emplace_back();  // the empty input always runs

  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  long execs = 0;
  for (const std::string& s : corpus) {
    Run(s);
    ++execs;
  }
  std::mt19937 rng(seed);
  for (long i = 0; i < iterations; ++i) {
    if (max_seconds > 0 && elapsed() >= max_seconds) break;
    const std::string input = Mutate(corpus[rng() % corpus.size()], corpus, rng);
    Run(input);
    ++execs;
  }
  std::printf("corpus files=%zu mutations=%ld\n", corpus_files, execs - long(corpus.size()));
  std::printf("FUZZ %s execs=%ld seconds=%.2f\n", TargetName(argv[0]).c_str(), execs, elapsed());
  std::fflush(stdout);  // before exit handlers, which may abort on a broken invariant
  return 0;
}
