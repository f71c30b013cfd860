// Debian's Prometheus scraping the quick start's silod: the target is up,
// every silo_* family the README documents has series, promtool finds nothing
// wrong in the exposition, every Grafana panel's query evaluates and returns
// data, and the latency histograms resolve p50/p99 inside their buckets.
// Prints each panel's series (the operator's view of this workload).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "tests/support/build_paths.h"
#include "tests/support/busybox_image.h"
#include "tests/support/quickstart_pod.h"

namespace silo::testing {
namespace {

constexpr int kPrometheusPort = 9090;  // inside the test's own network namespace
constexpr char kJob[] = "node-runtime";  // neutral: the dashboard must not depend on it

// Prometheus as a child process, killed by the destructor.
class PrometheusProcess {
 public:
  explicit PrometheusProcess(const std::string& dir) : dir_(dir) {}
  ~PrometheusProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void Start(int metrics_port) {
    const std::string config = absl::StrCat("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n",
                                            "scrape_configs:\n  - job_name: ", kJob,
                                            "\n    static_configs:\n      - targets: ['127.0.0.1:", metrics_port,
                                            "']\n");
    ASSERT_TRUE(AtomicWriteFile(dir_ + "/prometheus.yml", config).ok());
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open((dir_ + "/prometheus.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      const std::string cfg = "--config.file=" + dir_ + "/prometheus.yml";
      const std::string data = "--storage.tsdb.path=" + dir_ + "/data";
      const std::string listen = absl::StrCat("--web.listen-address=127.0.0.1:", kPrometheusPort);
      ::execlp("prometheus", "prometheus", cfg.c_str(), data.c_str(), listen.c_str(), "--log.level=warn",
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 300; ++i) {
      if (HttpGet(kPrometheusPort, "/-/ready").ok()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "prometheus not ready: " << ReadFile(dir_ + "/prometheus.log").value_or("");
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
};

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

// An instant query; the "data" object, or null after a test failure.
nlohmann::json Query(const std::string& promql) {
  auto body = HttpGet(kPrometheusPort, "/api/v1/query?query=" + UrlEncode(promql));
  EXPECT_TRUE(body.ok()) << promql << ": " << body.status();
  if (!body.ok()) return nullptr;
  nlohmann::json doc = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  EXPECT_EQ(doc.value("status", ""), "success") << promql << ": " << *body;
  return doc.value("data", nlohmann::json());
}

// The result vector's values that are numbers (NaN is no data).
std::vector<std::pair<std::string, double>> Series(const nlohmann::json& data) {
  std::vector<std::pair<std::string, double>> out;
  if (!data.is_object() || !data["result"].is_array()) return out;
  for (const auto& r : data["result"]) {
    double v = std::stod(r["value"][1].get<std::string>());
    if (!std::isnan(v)) out.emplace_back(r["metric"].dump(), v);
  }
  return out;
}

// The families of README.md's metrics table: name -> type.
std::map<std::string, std::string> DocumentedFamilies() {
  std::map<std::string, std::string> out;
  std::ifstream readme(SourceDir() + "/README.md");
  std::string line;
  // Rows look like: | `silo_name` | type | labels | meaning |
  while (std::getline(readme, line)) {
    if (!absl::StartsWith(line, "| `silo_")) continue;
    const size_t end = line.find('`', 3);
    const size_t type = line.find("| ", end);
    if (end == std::string::npos || type == std::string::npos) continue;
    out[line.substr(3, end - 3)] = line.substr(type + 2, line.find(' ', type + 2) - type - 2);
  }
  return out;
}

class PrometheusTest : public QuickStartPodTest {
 protected:
  // One round of a small workload: a pull, two pods with a container each,
  // execs, both pods stopped and removed (CNI DEL). Each round pulls an image
  // of its own, so bytes are downloaded every time.
  void Workload(int round) {
    const std::string scratch = absl::StrCat(scratch_.path(), "/round", round);
    ASSERT_TRUE(BuildBusyboxImage(scratch + "/layout", scratch, {absl::StrCat("ROUND=", round)}).ok());
    const std::string name = absl::StrCat("silo/round", round);
    ASSERT_TRUE(registry_->Push(scratch + "/layout", "v1", name).ok());
    Pull(absl::StrCat(registry_->host(), "/", name, ":v1"));
    const auto container = ContainerConfig();
    Pull(container.image().image());
    for (int i = 0; i < 2; ++i) {
      auto pod = PodConfig();
      const std::string pod_name = absl::StrCat("prom-", round, "-", i);
      pod.mutable_metadata()->set_name(pod_name);
      pod.mutable_metadata()->set_uid(pod_name + "-uid");
      const std::string pod_id = RunPod(pod);
      ASSERT_FALSE(pod_id.empty());
      const std::string id = CreateAndStart(pod_id, pod, container);
      ASSERT_FALSE(id.empty());
      EXPECT_EQ(Exec(id, {"busybox", "true"}).exit_code(), 0);
      if (i == 0) {
        StopAndRemovePod(pod_id);
      } else {
        running_pods_.push_back(pod_id);  // for the gauges; removed at the end
      }
    }
  }

  std::vector<std::string> running_pods_;
};

TEST_F(PrometheusTest, ScrapedFamiliesDashboardQueriesAndHistogramsHoldUp) {
  if (Sh("command -v prometheus >/dev/null && command -v promtool >/dev/null") != 0) {
    GTEST_SKIP() << "needs Debian's prometheus package";
  }
  TempDir dir;
  PrometheusProcess prometheus(dir.path());
  prometheus.Start(silod_->metrics_port());
  if (HasFatalFailure()) return;
  // Waits until Prometheus holds a sample of `promql` equal to `want`: proof
  // that a scrape after the last change landed (a loaded machine can stretch
  // or fail scrapes, so no fixed sleep).
  auto wait_sample = [](const std::string& promql, double want) {
    for (int i = 0; i < 600; ++i) {
      auto series = Series(Query(promql));
      if (!series.empty() && series[0].second == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  };
  ASSERT_TRUE(wait_sample(absl::StrCat("up{job=\"", kJob, "\"}"), 1)) << "no successful scrape in 60 s";
  // Two rounds with a scrape between them: a series is born at its first
  // observation, and rate() needs it to change between two scrapes.
  for (int round = 0; round < 2; ++round) {
    Workload(round);
    if (HasFatalFailure()) return;
    ASSERT_TRUE(wait_sample("sum(silo_cri_requests_total{rpc=\"RunPodSandbox\"})", 2 * (round + 1)))
        << "round " << round << " never scraped";
  }

  // The target is up.
  auto up = Series(Query(absl::StrCat("up{job=\"", kJob, "\"}")));
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].second, 1);

  // Every documented silo_* family has series.
  const auto families = DocumentedFamilies();
  EXPECT_GE(families.size(), 12u) << "README metrics table not found";
  for (const auto& [name, type] : families) {
    const std::string series = type == "histogram" ? name + "_count" : name;
    EXPECT_FALSE(Series(Query(series)).empty()) << name << " (" << type << ") has no series";
  }

  // promtool's lint of the exposition text.
  auto text = HttpGet(silod_->metrics_port(), "/metrics");
  ASSERT_TRUE(text.ok()) << text.status();
  ASSERT_TRUE(AtomicWriteFile(dir.path() + "/scraped.txt", *text).ok());
  const std::string lint = dir.path() + "/promtool.txt";
  EXPECT_EQ(Sh(absl::StrCat("promtool check metrics < ", dir.path(), "/scraped.txt > ", lint, " 2>&1")), 0)
      << ReadFile(lint).value_or("");
  EXPECT_EQ(ReadFile(lint).value_or("?"), "") << "promtool found problems";

  // Every panel of the dashboard, with its variables set to "All".
  auto dashboard_text = ReadFile(SourceDir() + "/deploy/grafana/silo-dashboard.json");
  ASSERT_TRUE(dashboard_text.ok());
  EXPECT_FALSE(absl::StrContains(*dashboard_text, "silo.*")) << "a panel depends on the job's name";
  nlohmann::json dashboard = nlohmann::json::parse(*dashboard_text);
  // Queries that may rightly be empty (no failures) or zero (nothing in flight).
  const std::set<std::string> may_be_empty = {"result=\"error\""};
  const std::set<std::string> may_be_zero = {"silo_image_pulls_in_flight"};
  int panels = 0;
  for (const auto& panel : dashboard["panels"]) {
    ++panels;
    for (const auto& target : panel["targets"]) {
      const std::string expr = target["expr"];
      EXPECT_TRUE(absl::StrContains(expr, "job=~\"$job\"") && absl::StrContains(expr, "instance=~\"$instance\""))
          << expr;
      const std::string promql = absl::StrReplaceAll(expr, {{"$job", ".*"}, {"$instance", ".*"}});
      auto series = Series(Query(promql));
      std::cout << "panel \"" << panel["title"].get<std::string>() << "\" " << target.value("refId", "")
                << ": " << series.size() << " series\n";
      for (const auto& [labels, value] : series) std::cout << "    " << labels << " = " << value << "\n";
      bool optional = false;
      for (const auto& m : may_be_empty) optional = optional || absl::StrContains(expr, m);
      bool zero_ok = false;
      for (const auto& m : may_be_zero) zero_ok = zero_ok || absl::StrContains(expr, m);
      if (!optional) {
        EXPECT_FALSE(series.empty()) << panel["title"] << ": " << promql << " returned no data";
        bool positive = false;
        for (const auto& [labels, value] : series) positive = positive || value > 0;
        EXPECT_TRUE(positive || zero_ok || series.empty()) << panel["title"] << ": " << promql << " is all zero";
      }
    }
  }
  EXPECT_GE(panels, 10);

  // p50 and p99 inside the buckets: above the first bound (0.5 ms) and below
  // the last finite one (+Inf would answer the last finite bound).
  const std::vector<std::string> histograms = {
      "silo_pod_sandbox_start_duration_seconds_bucket{step=\"total\"}",
      "silo_container_start_duration_seconds_bucket{step=\"create\"}",
      "silo_cni_call_duration_seconds_bucket{op=\"ADD\"}",
      "silo_cri_request_duration_seconds_bucket{rpc=\"RunPodSandbox\"}",
      "silo_image_pull_duration_seconds_bucket",
  };
  for (const auto& h : histograms) {
    for (const char* q : {"0.5", "0.99"}) {
      const std::string promql = absl::StrCat("histogram_quantile(", q, ", sum by (le) (rate(", h, "[5m])))");
      auto series = Series(Query(promql));
      ASSERT_EQ(series.size(), 1u) << promql;
      std::cout << promql << " = " << series[0].second << "\n";
      EXPECT_GT(series[0].second, 0.0005) << promql << " falls in the first bucket";
      EXPECT_LT(series[0].second, 65.536) << promql << " falls in +Inf";
    }
  }
  for (const auto& pod : running_pods_) StopAndRemovePod(pod);
}

}  // namespace
}  // namespace silo::testing
