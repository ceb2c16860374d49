# podspec/: Kubernetes resource quantities and the Pod spec as the scheduler sees it.
kisim_component(podspec DIR podspec SOURCES quantity.c pod.c DEPS kisim_spaces)
