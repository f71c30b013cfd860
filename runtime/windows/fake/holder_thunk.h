#pragma once
// The entry points of a fake's per-process tables (FakeHcs::api_for,
// FakeProcessApi::api_for): plain function pointers that run the fake's
// entry point as simulated process H, so the handles it opens are that
// process's own, as in Windows. `Scope(H)` marks the calling thread as
// process H for the call (each fake keeps its own thread-local). Header-only.

namespace silo::runtime::windows::fake {

template <typename Scope, int H>
struct AsHolder {
  template <auto Fn, typename R, typename... A>
  static R Call(A... a) {
    Scope scope(H);
    return Fn(a...);
  }
};

// &Fn as seen by simulated process H; `fn` only names the signature.
template <typename Scope, int H, auto Fn, typename R, typename... A>
constexpr auto HolderThunk(R (*)(A...)) {
  return &AsHolder<Scope, H>::template Call<Fn, R, A...>;
}

}  // namespace silo::runtime::windows::fake
