# RECOURSE_SANITIZE selects clang sanitizers for the whole build: "address,undefined" (the
# asan and fuzz presets) or "thread" (the tsan preset). Empty means none.
set(RECOURSE_SANITIZE "" CACHE STRING "clang -fsanitize= list for every target")

# RECOURSE_FUZZ (the fuzz preset): libFuzzer's coverage instrumentation for every target
# (-fsanitize=fuzzer-no-link, next to RECOURSE_SANITIZE's address,undefined); the fuzz targets
# under tests/fuzz then link libFuzzer itself (-fsanitize=fuzzer, cmake/RecourseFuzz.cmake).
# OFF: the fuzz targets are built with a standalone driver and only replay their inputs.
option(RECOURSE_FUZZ "Instrument for libFuzzer and link the fuzz targets with it" OFF)

if(RECOURSE_SANITIZE)
  add_compile_options(-fsanitize=${RECOURSE_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${RECOURSE_SANITIZE})
  if(RECOURSE_SANITIZE MATCHES "undefined")
    # A UB report must fail the test, not scroll past.
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
endif()

if(RECOURSE_FUZZ)
  if(NOT RECOURSE_SANITIZE MATCHES "address")
    message(FATAL_ERROR "RECOURSE_FUZZ needs RECOURSE_SANITIZE=address,undefined (configure with --preset fuzz)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
  add_link_options(-fsanitize=fuzzer-no-link)
endif()
