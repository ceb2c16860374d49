/* train_logs.h: the run folder's logs on --resume (agent/train.c). */
#ifndef KISIM_TRAIN_LOGS_H
#define KISIM_TRAIN_LOGS_H

#include <stdio.h>

/* Opens path for appending after cutting it back to the rows of updates <= update (and a torn
 * last row); the first `header` lines are kept as they are. */
int train_log_open_resumed(const char *path, int update, int header, FILE **out);
/* Removes DIR's {last,best}.safetensors.tmp.PID and config.json.tmp.PID of processes that no
 * longer exist (left by a kill during an atomic write). */
void train_remove_stale_tmp(const char *dir);

#endif
