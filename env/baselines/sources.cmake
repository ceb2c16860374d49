# env/baselines/: the baseline node scorers and the HPA rule.
kisim_component(env_baselines DIR env/baselines
  SOURCES baseline.c baseline_k8s.c baseline_oracle.c hpa.c DEPS kisim_spaces)
