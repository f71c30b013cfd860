#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "metrics/process_collector.h"
#include "metrics/process_family.h"

namespace silo::metrics {
namespace {

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

int CountOpenFds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - 1;  // the directory stream's own fd
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the parenthesised command name, which may itself hold spaces.
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream fields(stat.substr(close + 2));
  std::string f[50];
  for (int i = 0; i < 50 && fields >> f[i]; ++i) {
  }
  // f[0] is field 3 (state); utime=14, stime=15, num_threads=20, starttime=22, vsize=23, rss=24.
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  auto field = [&](int n) { return std::strtod(f[n - 3].c_str(), nullptr); };

  out.push_back(ProcessFamily("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                      (field(14) + field(15)) / ticks, prometheus::MetricType::Counter));
  out.push_back(ProcessFamily("process_resident_memory_bytes", "Resident memory size in bytes.", field(24) * page));
  out.push_back(ProcessFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.", field(23)));
  out.push_back(ProcessFamily("process_threads", "Number of OS threads in the process.", field(20)));
  out.push_back(ProcessFamily("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                      BootTimeSeconds() + field(22) / ticks));
  out.push_back(ProcessFamily("process_open_fds", "Number of open file descriptors.", CountOpenFds()));
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    out.push_back(ProcessFamily("process_max_fds", "Maximum number of open file descriptors.",
                        static_cast<double>(rl.rlim_cur)));
  }
  return out;
}

}  // namespace silo::metrics
