# common/: config, errors, logging, RNG, feature table, statistics, provenance.
set(KISIM_COMMON_SOURCES
  common/err.c
  common/log.c
  common/rng.c
  common/features.c
  common/config.c
  common/config_schema.c
  common/provenance.c
  common/stats.c
  common/cli_args.c
  common/telem_frame.c
  common/bigbuf.c
  common/json_str.c
)
set(KISIM_COMMON_CLI_SOURCES common/config_cli.c)
