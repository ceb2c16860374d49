# ThreadSanitizer build (tests/run.sh --tsan builds into build-tsan with clang). TSan cannot be
# combined with ASan, so KISIM_TSAN and KISIM_SANITIZE are exclusive. OpenBLAS, libzmq and
# libmicrohttpd are not instrumented: races inside them are suppressed in tests/tsan.supp.
option(KISIM_TSAN "Build with ThreadSanitizer (clang)" OFF)
if(KISIM_TSAN)
  if(KISIM_SANITIZE)
    message(FATAL_ERROR "KISIM_TSAN and KISIM_SANITIZE cannot be combined")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=thread)
endif()
