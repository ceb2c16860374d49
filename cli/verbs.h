/* verbs.h: the kisim CLI's verbs, each declared by its component (X/verbs.h) and dispatched by
 * cli/kisim.c; `bench WHAT` by cli/bench.c. */
#ifndef KISIM_CLI_VERBS_H
#define KISIM_CLI_VERBS_H

#include "agent/verbs.h"
#include "bpf/verbs.h"
#include "common/verbs.h"
#include "env/remote/verbs.h"
#include "env/verbs.h"
#include "loadgen/verbs.h"
#include "policy/verbs.h"
#include "scheduler/verbs.h"

int verb_bench(int argc, char **argv); /* cli/bench.c: bench WHAT */

#endif
