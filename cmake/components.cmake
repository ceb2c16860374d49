# components.cmake: kisim_component(), the one way a component's library is declared.
#
#   kisim_component(NAME DIR folder SOURCES a.c ... [DEPS kisim_x ...] [LIBS pkg ...])
#
# makes the static library kisim_NAME from SOURCES. Its headers are published, one symbolic link
# each, under build/include/NAME/<folder>/, and that directory is the library's only public
# include path: a file sees the headers of its own component and of the components it links
# (DEPS, transitively), nothing else. Subfolders of <folder> are components of their own, so a
# wrong-way #include fails to compile ("No such file") instead of linking by accident.
function(kisim_component name)
  cmake_parse_arguments(C "" "DIR" "SOURCES;DEPS;LIBS" ${ARGN})
  set(inc ${CMAKE_BINARY_DIR}/include/${name})
  file(GLOB headers CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${C_DIR}/*.h)
  file(MAKE_DIRECTORY ${inc}/${C_DIR})
  foreach(h ${headers})
    get_filename_component(base ${h} NAME)
    file(CREATE_LINK ${h} ${inc}/${C_DIR}/${base} SYMBOLIC)
  endforeach()
  list(TRANSFORM C_SOURCES PREPEND ${CMAKE_SOURCE_DIR}/${C_DIR}/)
  add_library(kisim_${name} STATIC ${C_SOURCES})
  target_include_directories(kisim_${name} PUBLIC ${inc})
  target_link_libraries(kisim_${name} PUBLIC ${C_DEPS} ${C_LIBS})
  set_property(GLOBAL APPEND PROPERTY KISIM_COMPONENTS kisim_${name})
endfunction()
