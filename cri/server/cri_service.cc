#include "cri/server/cri_service.h"

#include "absl/strings/str_cat.h"

namespace silo::cri {

absl::Status UnimplementedRpc(const char* rpc) {
  return absl::UnimplementedError(absl::StrCat(rpc, " is not implemented by silo yet"));
}

}  // namespace silo::cri
