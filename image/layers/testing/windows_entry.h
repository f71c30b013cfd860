#pragma once
// A Windows layer entry as the tar walker (windows_layer.h) would hand it to
// the importer, for tests that feed the importer directly.

#include <string>
#include <utility>

#include "image/layers/windows_layer.h"

namespace silo::image::layers::testing {

inline WindowsEntry Entry(std::string path, WindowsEntryKind kind, std::string target = {}) {
  WindowsEntry e;
  e.path = std::move(path);
  e.kind = kind;
  e.attributes = kind == WindowsEntryKind::kDirectory ? 0x10 : 0x20;  // FILE_ATTRIBUTE_DIRECTORY / _ARCHIVE
  e.link_target = std::move(target);
  e.mtime_sec = 1600000000;
  return e;
}

}  // namespace silo::image::layers::testing
