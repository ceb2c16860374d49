# env/core/: what every backend shares: observation and reward, the action rules, the decision
# sequencing, the backend table and the step written once over it, the interrupt flag.
kisim_component(env_core DIR env/core SOURCES obs.c reward.c action.c decision.c backend.c interrupt.c
  DEPS kisim_spaces)
