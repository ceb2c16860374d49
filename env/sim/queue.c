/* queue.c: M/M/1 sojourn quantiles and the quantile of a mixture of exponentials. */
#include "env/sim/queue.h"

#include <math.h>

double queue_mm1_quantile(double mu, double lambda, double p)
{
    return -log1p(-p) / (mu - lambda);
}

/* F(x) = sum w_i (1 - exp(-theta_i x)) / W is concave and increasing on [0, cap). Started at the
 * smallest component quantile (where F <= p, since every component's own CDF is <= p there),
 * Newton's iterates rise monotonically to the root without overshooting it. */
double queue_mixture_quantile(const double *w, const double *theta, int n, double at_cap,
                              double cap, double p)
{
    double total = at_cap, x = INFINITY;
    double target_log = -log1p(-p);
    for (int i = 0; i < n; i++) {
        if (w[i] <= 0) continue;
        total += w[i];
        double q = target_log / theta[i];
        if (q < x) x = q;
    }
    if (total <= 0) return 0;
    if (!isfinite(x) || x >= cap) return cap;
    double goal = p * total;
    for (int iter = 0; iter < 100; iter++) {
        double f = 0, df = 0;
        for (int i = 0; i < n; i++) {
            if (w[i] <= 0) continue;
            double e = exp(-theta[i] * x);
            f += w[i] * (1 - e);
            df += w[i] * theta[i] * e;
        }
        if (df <= 0) return cap;
        double step = (goal - f) / df;
        x += step;
        if (x >= cap) return cap;
        if (step <= 1e-10 * x) break;
    }
    return x;
}
