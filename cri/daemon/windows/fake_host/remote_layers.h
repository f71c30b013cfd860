#pragma once
// The WCIFS layer calls (vmcompute.dll, computestorage.dll and the
// relative-path file calls) across processes (see remote_hcs.h). The
// layers name folders of this machine, which both processes share; these
// calls open no handles a client keeps.

#include "cri/daemon/windows/fake_host/remote_entry.h"
#include "image/layers/wcifs/api.h"

namespace silo::cri::fake_host {

const image::layers::wcifs::LayerApi& RemoteLayerApi();
void ServeLayers(HostEntries& entries, const image::layers::wcifs::LayerApi& api);

}  // namespace silo::cri::fake_host
