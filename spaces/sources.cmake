# spaces/: the observation and action layout, and the scheduler's view of a decision.
kisim_component(spaces DIR spaces SOURCES spaces.c DEPS kisim_common)
