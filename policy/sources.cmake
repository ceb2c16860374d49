# policy/: the neural-network core, the models and the checkpoint format.
set(KISIM_POLICY_SOURCES)
set(KISIM_POLICY_CLI_SOURCES)
set(KISIM_POLICY_LIBS)
