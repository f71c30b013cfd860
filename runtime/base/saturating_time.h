#pragma once
// Deadlines from caller-given timeouts without overflow. CRI timeouts are
// int64 seconds: INT64_MAX of them is far past the range of any clock, so
// `now + timeout` (or a conversion to milliseconds) would wrap around into
// the past. These saturate at the type's limit instead, which every waiter
// treats as "no deadline" in practice. Header-only, portable.

#include <chrono>
#include <ratio>

namespace silo {

// `d` in `To`'s units, clamped to To::min()/To::max() where the conversion
// would overflow (a finer unit of the same width); truncated as
// duration_cast otherwise.
template <class To, class Rep, class Period>
constexpr To SaturatingDurationCast(std::chrono::duration<Rep, Period> d) {
  using Factor = std::ratio_divide<Period, typename To::period>;
  if constexpr (Factor::den == 1 && Factor::num > 1) {
    const auto limit = To::max().count() / Factor::num;
    if (d.count() > limit) return To::max();
    if (d.count() < -limit) return To::min();
  }
  return std::chrono::duration_cast<To>(d);
}

// `from + d`, clamped to TimePoint::max() / TimePoint::min().
template <class TimePoint, class Rep, class Period>
constexpr TimePoint SaturatingAdd(TimePoint from, std::chrono::duration<Rep, Period> d) {
  using D = typename TimePoint::duration;
  const D step = SaturatingDurationCast<D>(d);
  if (step > D::zero() && from > TimePoint::max() - step) return TimePoint::max();
  if (step < D::zero() && from < TimePoint::min() - step) return TimePoint::min();
  return from + step;
}

}  // namespace silo
