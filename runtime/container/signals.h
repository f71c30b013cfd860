#pragma once
// Signal numbers as containers receive them: the Linux ABI's (x86-64 and
// arm64 agree), whatever the host. A Windows host maps the two it can
// deliver (SIGTERM: a console shutdown event; SIGKILL: terminate), as
// hcsshim does, so the numbers stay a protocol constant, not a host header's.

namespace silo::runtime::container::signals {

inline constexpr int kHup = 1, kInt = 2, kQuit = 3, kIll = 4, kTrap = 5, kAbrt = 6, kBus = 7, kFpe = 8, kKill = 9,
                     kUsr1 = 10, kSegv = 11, kUsr2 = 12, kPipe = 13, kAlrm = 14, kTerm = 15, kStkflt = 16,
                     kChld = 17, kCont = 18, kStop = 19, kTstp = 20, kTtin = 21, kTtou = 22, kUrg = 23,
                     kXcpu = 24, kXfsz = 25, kVtalrm = 26, kProf = 27, kWinch = 28, kIo = 29, kPwr = 30, kSys = 31;
// glibc keeps 32 and 33 for itself: its SIGRTMIN is 34; SIGRTMAX is 64.
inline constexpr int kRtMin = 34, kRtMax = 64;

}  // namespace silo::runtime::container::signals
