// Standalone driver for the fuzz targets when libFuzzer is unavailable (GCC):
// runs LLVMFuzzerTestOneInput over each target's seeds and over a bounded
// number of deterministic random mutations of them, so CI exercises the
// parsers on hostile input without a fuzzing engine.
//   usage: <driver> [iterations] [file...]

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
std::vector<std::string> SiloFuzzSeeds();

namespace {

std::string Mutate(std::string s, std::mt19937& rng) {
  const int ops = 1 + int(rng() % 8);
  for (int i = 0; i < ops; ++i) {
    switch (rng() % 6) {
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
      case 4:  // duplicate a tail (several frames in one buffer)
        s += s.substr(s.empty() ? 0 : rng() % s.size());
        break;
      default: {  // pure random input
        std::string r(rng() % 64, '\0');
        for (char& c : r) c = char(rng());
        s = r;
      }
    }
    if (s.size() > (1 << 18)) s.resize(1 << 18);
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 20000;
  std::vector<std::string> corpus = SiloFuzzSeeds();
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  corpus.emplace_back();
  for (const std::string& s : corpus) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::mt19937 rng(0x51105eed);
  for (long i = 0; i < iterations; ++i) {
    std::string input = Mutate(corpus[rng() % corpus.size()], rng);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::printf("ran %ld mutated inputs over %zu seeds\n", iterations, corpus.size());
  return 0;
}
