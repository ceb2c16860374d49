# optional.cmake: the optional components (docs/ARCHITECTURE.md, "Optional components"). Each is
# on by default; when its package is missing it turns off with one message naming the Debian
# package, unless KISIM_REQUIRE_ALL=ON (CI), which makes a missing package an error instead. The
# core (sim, PPO, evaluation, env server, scoring service) needs only libzmq, cJSON, OpenBLAS
# and zlib.
option(KISIM_REQUIRE_ALL "Fail when an optional component's package is missing" OFF)
option(KISIM_WITH_BPF "The eBPF collector (libbpf-dev, clang, bpftool; needs HTTP)" ON)
option(KISIM_WITH_XGBOOST "The XGBoost scorer (libxgboost-dev)" ON)
option(KISIM_WITH_HTTP "The extender HTTP API and the target service (libmicrohttpd-dev)" ON)
option(KISIM_WITH_LOCUST "The Locust driver and so the local backend (libcurl4-openssl-dev)" ON)

# kisim_optional_missing(OPTION "what is missing" "Debian package"): turns OPTION off or fails.
macro(kisim_optional_missing opt what pkg)
  if(KISIM_REQUIRE_ALL)
    message(FATAL_ERROR "KISim: ${opt} needs ${what} (Debian package ${pkg}); KISIM_REQUIRE_ALL is on")
  endif()
  message(STATUS "KISim: ${opt} off: ${what} not found (Debian package ${pkg})")
  set(${opt} OFF)
endmacro()

# kisim_optional_pkg(OPTION PREFIX module "Debian package")
macro(kisim_optional_pkg opt prefix module pkg)
  if(${opt})
    pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${module})
    if(NOT ${prefix}_FOUND)
      kisim_optional_missing(${opt} ${module} ${pkg})
    endif()
  endif()
endmacro()

kisim_optional_pkg(KISIM_WITH_XGBOOST XGBOOST xgboost libxgboost-dev)
kisim_optional_pkg(KISIM_WITH_HTTP MHD libmicrohttpd libmicrohttpd-dev)
kisim_optional_pkg(KISIM_WITH_LOCUST CURL libcurl libcurl4-openssl-dev)
if(KISIM_WITH_BPF AND NOT KISIM_WITH_HTTP)
  kisim_optional_missing(KISIM_WITH_BPF "the HTTP component (its /metrics)" libmicrohttpd-dev)
endif()
kisim_optional_pkg(KISIM_WITH_BPF LIBBPF libbpf libbpf-dev)
if(KISIM_WITH_BPF)
  find_program(BPF_CLANG clang)
  find_program(BPFTOOL bpftool PATHS /usr/sbin /sbin)
  if(NOT BPF_CLANG)
    kisim_optional_missing(KISIM_WITH_BPF clang clang)
  elseif(NOT BPFTOOL)
    kisim_optional_missing(KISIM_WITH_BPF bpftool bpftool)
  endif()
endif()

# KISIM_HAVE_X for the code (common/optional.h).
foreach(c BPF XGBOOST HTTP LOCUST)
  if(KISIM_WITH_${c})
    add_compile_definitions(KISIM_HAVE_${c}=1)
  else()
    add_compile_definitions(KISIM_HAVE_${c}=0)
  endif()
endforeach()
