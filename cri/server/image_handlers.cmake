# CRI ImageService handlers over image::ImageManager. Included from
# cri/server/CMakeLists.txt.
add_library(silo_cri_image_handlers
  image_fs_info.cc
  image_list.cc
  image_pull.cc
  image_remove.cc
  image_status.cc
)
target_link_libraries(silo_cri_image_handlers PUBLIC
  silo_cri_proto silo_image silo_base absl::status absl::strings absl::time nlohmann_json::nlohmann_json)

silo_test(silo_cri_image_handlers_test
  SOURCES image_handlers_test.cc
  LIBS silo_cri_image_handlers silo_registry_testing)
