/* locust_csv.h: the driver's readers of Locust's CSV files (internal to loadgen/). */
#ifndef KISIM_LOCUST_CSV_H
#define KISIM_LOCUST_CSV_H

#include "loadgen/locust.h"

/* The 99% column and Timestamp of the last complete Aggregated row of a
 * PREFIX_stats_history.csv file. NAN and 0 when there is none yet (no file, no row, or "N/A"
 * before the first request); KISIM_EPROTOCOL if the header is not Locust's. */
int locust_csv_history(const char *path, double *p99_ms, double *ts);

/* The per-target rows of a PREFIX_stats.csv file (all rows but Aggregated): fills up to cap
 * and returns how many there are; the Aggregated row goes to *total (when total is not NULL).
 * *complete is 1 if the Aggregated row (written last) was seen, i.e. the read did not catch
 * Locust rewriting the file; 0 and a count of 0 if the file is not there yet. */
int locust_csv_targets(const char *path, locust_target_stats *out, int cap,
                       locust_target_stats *total, int *complete);

#endif
