# Installation and the package config: `cmake --install` puts the core library, its module
# interface units (FILE_SET CXX_MODULES), the plugin header, the support library plugins read
# their tables with (recourse::support: import recourse.support.config), the plugins, the
# `recourse` tool and a package config so that find_package(recourse) + import recourse.plugin
# works.
include(CMakePackageConfigHelpers)

set(RECOURSE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/recourse)

install(TARGETS recourse_core EXPORT recourseTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  FILE_SET CXX_MODULES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/recourse/modules)
# librecourse_runtime.so and its modules: recourse.runtime (the API) and the host modules it is
# built from (installed because CMake installs every public module set of an exported target).
install(TARGETS recourse_runtime EXPORT recourseTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  FILE_SET CXX_MODULES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/recourse/modules/runtime)
install(TARGETS recourse_support EXPORT recourseTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  FILE_SET CXX_MODULES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/recourse/modules/support
  FILE_SET HEADERS DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/recourse/support)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/modules/include/recourse DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS recourse RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(EXPORT recourseTargets
  NAMESPACE recourse::
  DESTINATION ${RECOURSE_CMAKE_DIR}
  CXX_MODULES_DIRECTORY cxx-modules)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/recourseConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/recourseConfig.cmake
  INSTALL_DESTINATION ${RECOURSE_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/recourseConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/recourseConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/recourseConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/RecoursePlugin.cmake
  DESTINATION ${RECOURSE_CMAKE_DIR})
