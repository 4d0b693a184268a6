# Compiler and flag policy shared by every target (DESIGN.md §3, STYLE.md "Module shape").
# clang refuses a module built with other -std or exception flags than its importer, so
# everything here is global and set once.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR CMAKE_CXX_COMPILER_VERSION VERSION_LESS 19)
  message(FATAL_ERROR
    "recourse needs clang >= 19 for C++20 named modules; found "
    "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION} (${CMAKE_CXX_COMPILER}). "
    "Configure through a preset (cmake --preset dev), which selects clang++-19; "
    "scripts/bootstrap.sh installs it.")
endif()

set(CMAKE_CXX_STANDARD 23)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_CXX_SCAN_FOR_MODULES ON)

# Hidden by default: only what RECOURSE_API marks is part of the ABI.
set(CMAKE_CXX_VISIBILITY_PRESET hidden)
set(CMAKE_VISIBILITY_INLINES_HIDDEN ON)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

# Boost 1.74 ships its own CMake package; CMake 4 warns about the old FindBoost.
if(POLICY CMP0167)
  cmake_policy(SET CMP0167 NEW)
endif()

add_compile_options(-Wall -Wextra -Wpedantic -Wno-missing-field-initializers)
# Clang's thread-safety analysis over the RECOURSE_GUARDED_BY annotations (recourse/mutex.h,
# docs/contributing.md). A warning like the others; the build is kept free of them.
add_compile_options(-Wthread-safety)

# Undefined symbols in a shared object are link errors, not load-time surprises
# (STYLE.md: a missing RECOURSE_API shows at build time). The sanitizer runtimes live in
# the executable, so shared objects built with a sanitizer cannot use the flag.
function(recourse_no_undefined target)
  if(NOT RECOURSE_SANITIZE)
    target_link_options(${target} PRIVATE -Wl,--no-undefined)
  endif()
endfunction()
