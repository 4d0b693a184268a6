# recourse_add_fuzz_target(<name> SOURCES <files> [LIBRARIES <targets>])
#
# One libFuzzer target, tests/fuzz/<name>.cpp defining LLVMFuzzerTestOneInput, with its seed
# corpus in tests/fuzz/corpus/<name>/ and minimized crash inputs in tests/fuzz/regressions/<name>/
# (docs/reliability.md). Every preset registers `fuzz.<name>.inputs` (label fuzz-regression):
# the corpus and the regressions, each input once. With RECOURSE_FUZZ (the fuzz preset) the
# target links libFuzzer and `fuzz.<name>.smoke` (label fuzz-smoke) fuzzes it for
# RECOURSE_FUZZ_SMOKE_SECONDS on a copy of its corpus; otherwise it links the standalone driver
# (tests/fuzz/standalone_driver.cpp), which only replays inputs.
set(RECOURSE_FUZZ_SMOKE_SECONDS 20 CACHE STRING "seconds each fuzz-smoke test fuzzes its target")

if(NOT TARGET recourse_fuzz_targets)
  # `cmake --build --preset fuzz` builds this: the fuzz targets and what they link, nothing else.
  add_custom_target(recourse_fuzz_targets)
endif()

function(recourse_add_fuzz_target name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(dir ${PROJECT_SOURCE_DIR}/tests/fuzz)
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES})
  target_include_directories(${name} PRIVATE ${dir})
  if(RECOURSE_FUZZ)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    target_sources(${name} PRIVATE ${dir}/standalone_driver.cpp)
  endif()
  add_dependencies(recourse_fuzz_targets ${name})

  add_test(NAME fuzz.${name}.inputs
    COMMAND ${dir}/replay.sh $<TARGET_FILE:${name}> ${dir}/corpus/${name} ${dir}/regressions/${name})
  set_tests_properties(fuzz.${name}.inputs PROPERTIES LABELS fuzz-regression TIMEOUT 300)

  if(RECOURSE_FUZZ)
    set(dict ${dir}/dicts/${name}.dict)
    if(NOT EXISTS ${dict})
      set(dict "")
    endif()
    add_test(NAME fuzz.${name}.smoke
      COMMAND ${dir}/smoke.sh $<TARGET_FILE:${name}> ${RECOURSE_FUZZ_SMOKE_SECONDS} ${dir}/corpus/${name}
              ${dir}/regressions/${name} ${CMAKE_CURRENT_BINARY_DIR}/smoke/${name} "${dict}")
    math(EXPR smoke_timeout "${RECOURSE_FUZZ_SMOKE_SECONDS} * 3 + 120")
    set_tests_properties(fuzz.${name}.smoke PROPERTIES LABELS fuzz-smoke TIMEOUT ${smoke_timeout})
  endif()
endfunction()
