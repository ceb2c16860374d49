/* queue.h: the queueing formulas behind the sim's latency.
 *
 * Each service replica is an M/M/1 queue: Poisson arrivals at rate lambda, exponential service
 * at rate mu. Its sojourn time (wait + service) is exponential with rate mu - lambda, so the
 * p-quantile is -ln(1 - p) / (mu - lambda). A request-weighted percentile over many replicas
 * and intervals is the quantile of a mixture of such exponentials, solved here by Newton's
 * method. Requests slower than the timeout fail: the mixture's mass beyond the timeout, plus any
 * load a saturated replica cannot take, sits at the timeout. */
#ifndef KISIM_QUEUE_H
#define KISIM_QUEUE_H

/* p-quantile of the M/M/1 sojourn time, in the unit of 1/mu; requires mu > lambda >= 0. */
double queue_mm1_quantile(double mu, double lambda, double p);

/* A mixture of exponentials: component i has weight w[i] (requests) and rate theta[i] > 0;
 * `at_cap` more requests sit at `cap` (they timed out). Returns the p-quantile of the whole
 * mixture, capped at `cap`; 0 if the total weight is 0. */
double queue_mixture_quantile(const double *w, const double *theta, int n, double at_cap,
                              double cap, double p);

#endif
