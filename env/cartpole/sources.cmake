# env/cartpole/: the classic control task that validates the PPO learner.
kisim_component(env_cartpole DIR env/cartpole SOURCES cartpole.c DEPS kisim_common)
