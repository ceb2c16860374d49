/* quantity.h: Kubernetes resource quantities ("500m", "2Gi", "1e3", "1.5") parsed
 * exactly, the way k8s.io/apimachinery's resource.Quantity reads them: <sign?><digits with an
 * optional point><suffix>, the suffix one of n u m "" k M G T P E (powers of 1000), Ki Mi Gi Ti
 * Pi Ei (powers of 1024) or e/E followed by a signed integer exponent (powers of ten). */
#ifndef KISIM_EXTENDER_QUANTITY_H
#define KISIM_EXTENDER_QUANTITY_H

#include <stdint.h>

/* Longest quantity string accepted (Kubernetes has no limit; no real quantity comes close). */
#define EXTENDER_QUANTITY_MAX_LEN 256

/* Parses s and stores ceil(|value| * 10^scale10) with the value's sign in *out: scale10 = 3
 * gives millis (cpu: "500m" -> 500, "1" -> 1000), 0 gives units (memory bytes: "2Gi" ->
 * 2147483648). Rounding is up in magnitude, as Kubernetes' MilliValue()/Value() round (so
 * "0.1m" is 1 milli), and results saturate at +-INT64_MAX as Kubernetes caps quantities.
 * scale10 must lie in [-18, 18]. The arithmetic is exact (multi-precision), never floating point.
 * Returns 0, or KISIM_EINPUT for a string that is not a quantity (no message is set: the caller
 * names the field). */
int extender_quantity_parse(const char *s, int scale10, int64_t *out);

struct cJSON;
/* Reads list[name] (a v1.ResourceList entry, names compared case-sensitively) as above. A JSON
 * string is parsed as written; a JSON number (Go's decoder accepts those too) through its
 * 15-significant-digit decimal form. Returns 1 when present, 0 when absent or null, or
 * KISIM_EINPUT with the message "<path>.<name>: ..." when it is not a quantity. */
int extender_quantity_field(const struct cJSON *list, const char *name, int scale10, int64_t *out,
                            const char *path);

#endif
