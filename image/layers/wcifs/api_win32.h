#pragma once
// Loads vmcompute.dll (required) and computestorage.dll (optional) from
// System32 and fills a LayerApi, plus the kernel32/advapi32 primitives.
// Windows only. Loaded once per process; thread-safe.

#include "image/layers/wcifs/api.h"
#include "image/layers/wcifs/layer_calls.h"

namespace silo::image::layers::wcifs {

HrResult<const LayerApi*> LoadLayerApi();

}  // namespace silo::image::layers::wcifs
