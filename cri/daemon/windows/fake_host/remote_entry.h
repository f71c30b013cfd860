#pragma once
// The two ends of one generically marshalled table entry (entry_codec.h):
// RemoteEntry<T, M>::Call is the function the client puts in its table
// at member M; ServeEntry<M> runs the same call on the host's table.

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <tuple>
#include <type_traits>

#include "cri/daemon/windows/fake_host/client_process.h"
#include "cri/daemon/windows/fake_host/entry_codec.h"
#include "cri/daemon/windows/fake_host/host_client.h"

namespace silo::cri::fake_host {

// The request header of entry M of table T.
template <Table T, auto M>
WireWriter RequestFor() {
  WireWriter w;
  w.Put(T);
  w.Put(EntryId<M>());
  return w;
}

// What a response carries after the arguments: nothing, or for a table
// with a get_last_error, the host's last error after the call.
struct NoEpilogue {
  static void Receive(WireReader&) {}
};

template <Table T, auto M, class Epilogue = NoEpilogue, class Fn = typename EntryOf<decltype(M)>::Fn>
struct RemoteEntry;

template <Table T, auto M, class Epilogue, class R, class... A>
struct RemoteEntry<T, M, Epilogue, R(A...)> {
  static R Call(A... args) {
    WireWriter w = RequestFor<T, M>();
    (ArgCodec<A>::Send(w, args), ...);
    WireReader r = FakeHostClient::Get().Call(w);
    if constexpr (std::is_void_v<R>) {
      (ArgCodec<A>::Receive(r, args), ...);
      Epilogue::Receive(r);
    } else {
      R result = GetResult<R>(r);
      (ArgCodec<A>::Receive(r, args), ...);
      Epilogue::Receive(r);
      return result;
    }
  }
};

// Fills table member M with its generic client stub.
template <Table T, auto M, class Epilogue = NoEpilogue, class Api>
void UseRemote(Api& table) {
  table.*M = &RemoteEntry<T, M, Epilogue>::Call;
}

// What a host-side entry is: it reads a request's arguments, calls the
// host's table and writes the response.
using HostEntry = std::function<void(ClientProcess& caller, WireReader& request, WireWriter& response)>;

template <auto M, class Fn = typename EntryOf<decltype(M)>::Fn>
struct ServeEntry;

template <auto M, class R, class... A>
struct ServeEntry<M, R(A...)> {
  using Slots = std::tuple<typename ArgCodec<A>::Slot...>;
  // `after(caller, result, slots)` sees what the call did (entries that open or
  // close handles record it); not called for entries returning nothing.
  template <class Api, class After>
  static HostEntry Make(const Api& api, After after) {
    return [&api, after](ClientProcess& caller, WireReader& r, WireWriter& w) {
      Slots slots{ArgCodec<A>::Read(r)...};
      auto call = [&](auto&... s) { return (api.*M)(ArgCodec<A>::Pass(s)...); };
      if constexpr (std::is_void_v<R>) {
        std::apply(call, slots);
        std::apply([&](auto&... s) { (ArgCodec<A>::Reply(w, s, api), ...); }, slots);
      } else {
        R result = std::apply(call, slots);
        PutResult(w, result);
        std::apply([&](auto&... s) { (ArgCodec<A>::Reply(w, s, api), ...); }, slots);
        after(caller, result, slots);
      }
    };
  }
  template <class Api>
  static HostEntry Make(const Api& api) {
    return Make(api, [](ClientProcess&, const auto&, const auto&) {});
  }
};

// How an entry's result says it succeeded: 0 (an HRESULT, an NTSTATUS, a
// Win32 error) or a nonzero BOOL.
enum class Success { kZero, kTrue };

// `after` of an entry that returns handle `Out` (an out parameter) on
// success: the caller holds it until it closes it with `Close`.
template <size_t Out, auto Close, Success S = Success::kZero, class Api>
auto OpensHandle(Table table, const Api& api) {
  return [table, &api](ClientProcess& caller, const auto& result, const auto& slots) {
    const auto& out = std::get<Out>(slots);
    const bool succeeded = S == Success::kZero ? result == 0 : result != 0;
    if (succeeded && out.present && out.value != nullptr) {
      void* handle = out.value;
      caller.Track(table, handle, [&api, handle] { (api.*Close)(handle); });
    }
  };
}

// A table entry the caller's process must never reach through the fake
// host (it runs in another process, e.g. a shim's): calling it aborts,
// saying so, rather than answering something made up.
template <auto M, class Fn = typename EntryOf<decltype(M)>::Fn>
struct RefusedEntry;
template <auto M, class R, class... A>
struct RefusedEntry<M, R(A...)> {
  static R Call(A...) {
    // The signature names the entry (M).
    const std::string why = std::string("an entry this client may not call through the fake host: ") + __PRETTY_FUNCTION__;
    RefuseCall(why.c_str());
  }
};
template <auto M, class Api>
void UseRefused(Api& table) {
  table.*M = &RefusedEntry<M>::Call;
}

// `after` of an entry that returns a handle (null on failure), closed with `Close`.
template <Table T, auto Close, class Api>
auto ReturnsHandle(const Api& api) {
  return [&api](ClientProcess& caller, void* const& handle, const auto&) {
    if (handle != nullptr) caller.Track(T, handle, [&api, handle] { (api.*Close)(handle); });
  };
}

// `after` of an entry that closes its parameter `In`.
template <size_t In>
auto ClosesHandle(Table table) {
  return [table](ClientProcess& caller, const auto&, const auto& slots) {
    caller.Untrack(table, std::get<In>(slots).value);
  };
}

// Where the host finds its entries: by table and entry number.
using HostEntries = std::map<std::pair<Table, uint32_t>, HostEntry>;

template <Table T, auto M, class Api, class... After>
void Serve(HostEntries& entries, const Api& api, After... after) {
  entries[{T, EntryId<M>()}] = ServeEntry<M>::Make(api, after...);
}

}  // namespace silo::cri::fake_host
