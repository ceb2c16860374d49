# policy/: the neural-network core, the models and the checkpoint format.
# XGBoost is optional (KISIM_WITH_XGBOOST): without it xgb_scorer_none.c refuses, naming the package.
if(KISIM_WITH_XGBOOST)
  set(xgb xgb_scorer.c)
  set(xgb_lib PkgConfig::XGBOOST)
else()
  set(xgb xgb_scorer_none.c)
  set(xgb_lib)
endif()
kisim_component(policy DIR policy
  SOURCES nn.c params.c obsnorm.c ppo_model.c ppo_mlp.c ppo_cluster.c ckpt.c ckpt_scorer.c ppo_io.c attention.c
          attention_io.c attention_int8.c attention_flash.c nn_infer.c mlp_scorer.c policy_cli.c
          ${xgb}
  DEPS kisim_spaces LIBS PkgConfig::OPENBLAS PkgConfig::ZLIB ${xgb_lib})
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
