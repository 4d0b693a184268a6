# RECOURSE_SANITIZE selects clang sanitizers for the whole build: "address,undefined" (the
# asan preset) or "thread" (the tsan preset). Empty means none.
set(RECOURSE_SANITIZE "" CACHE STRING "clang -fsanitize= list for every target")

if(RECOURSE_SANITIZE)
  add_compile_options(-fsanitize=${RECOURSE_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${RECOURSE_SANITIZE})
  if(RECOURSE_SANITIZE MATCHES "undefined")
    # A UB report must fail the test, not scroll past.
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
endif()
