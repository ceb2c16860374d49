# common/: config, errors, logging, RNG, feature table, statistics, provenance, small utilities.
kisim_component(common DIR common
  SOURCES err.c log.c rng.c features.c config.c config_schema.c provenance.c stats.c cli_args.c
          bigbuf.c json_str.c json_strict.c config_cli.c optional.c file_read.c
  LIBS PkgConfig::CJSON m)
add_dependencies(kisim_common kisim_version_header)
target_include_directories(kisim_common PRIVATE ${KISIM_GEN_DIR})
