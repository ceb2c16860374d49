# policy/: the neural-network core, the models and the checkpoint format.
pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
pkg_check_modules(XGBOOST REQUIRED IMPORTED_TARGET xgboost)
set(KISIM_POLICY_SOURCES
  policy/nn.c
  policy/params.c
  policy/obsnorm.c
  policy/ppo_model.c
  policy/ppo_mlp.c
  policy/ppo_cluster.c
  policy/ckpt.c
  policy/ppo_io.c
  policy/attention.c
  policy/attention_io.c
  policy/attention_int8.c
  policy/attention_flash.c
  policy/nn_infer.c
  policy/mlp_scorer.c
  policy/xgb_scorer.c
)
set(KISIM_POLICY_CLI_SOURCES policy/policy_cli.c policy/attention_bench.c)
set(KISIM_POLICY_LIBS PkgConfig::OPENBLAS PkgConfig::ZLIB PkgConfig::XGBOOST)
# The kernels are loops the compiler must vectorise (tanh, pooling, normalisation): -O3 there.
set_source_files_properties(policy/obsnorm.c policy/ppo_cluster.c policy/attention.c
  PROPERTIES COMPILE_OPTIONS "-O3")
# nn.c's exp (softmax) and the int8 rounding vectorise only when a float compare may not trap (we never enable FP traps).
set_source_files_properties(policy/nn.c policy/attention_int8.c
  PROPERTIES COMPILE_OPTIONS "-O3;-fno-trapping-math")
# The inference kernels (nn_tile.h): -O3 for its loops, and a*b+c contracted into FMA instructions
# (ISO C mode leaves them as separate multiply and add); its 64-byte vector helpers are all
# inlined, so the ABI note GCC gives for passing them (-Wpsabi) does not apply.
set_source_files_properties(policy/attention_flash.c policy/nn_infer.c
  PROPERTIES COMPILE_OPTIONS "-O3;-fno-trapping-math;-ffp-contract=fast;-Wno-psabi")
