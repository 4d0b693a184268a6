# recourse_add_plugin(<name> SOURCES <files…> [LIBRARIES <targets…>])
#
# Builds a plugin shared object librecourse-<name>.so (a MODULE library: loaded, never linked)
# against recourse::core, into RECOURSE_PLUGIN_OUTPUT_DIR when set, and installs it into
# <libdir>/recourse/plugins. Works in this tree and, through find_package(recourse), in
# out-of-tree projects.
function(recourse_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "recourse_add_plugin(${name}): SOURCES is required")
  endif()
  set(target recourse-plugin-${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE recourse::core ${ARG_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "recourse-${name}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(RECOURSE_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${RECOURSE_PLUGIN_OUTPUT_DIR}")
  endif()
  # Every symbol resolved at link time; the sanitizer runtimes live in the host executable.
  if(NOT RECOURSE_SANITIZE)
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
  if(TARGET recourse-plugins)  # this tree's aggregate target (plugins/CMakeLists.txt)
    add_dependencies(recourse-plugins ${target})
  endif()
  include(GNUInstallDirs)
  install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/recourse/plugins)
endfunction()
