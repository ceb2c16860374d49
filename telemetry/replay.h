/* replay.h: recorded telemetry frames, replayed onto ZeroMQ (`kisim telemetry replay`) and
 * recorded from it (`kisim telemetry record`), for tests, benchmarks and demos.
 *
 * Recording format: JSON lines, one frame body per line exactly as a collector publishes it
 * (telemetry/frame.h); the topic is `telemetry.<node>` of the body's node. Blank lines and
 * lines starting with '#' are skipped. A replay stamps each frame's ts_ms with the time it sends
 * it (consumers refuse frames older than their staleness limit), unless told to keep the
 * recorded times. */
#ifndef KISIM_TELEM_REPLAY_H
#define KISIM_TELEM_REPLAY_H

#include <stdatomic.h>
#include <stddef.h>

typedef struct {
    char **lines;  /* [n] frame bodies, owned */
    char **nodes;  /* [n] their nodes, owned */
    long long *ts; /* [n] their ts_ms */
    int *ts_at;    /* [n] where the ts_ms number starts in the line, */
    int *ts_len;   /* [n] and its length, so a replay can write another in its place */
    int n;
} telem_recording;

/* Reads and checks every frame (KISIM_EINPUT naming FILE:LINE and the field; a file that cannot
 * be opened is KISIM_EINPUT naming it too, a usage error). */
int telem_recording_read(telem_recording *r, const char *path);
void telem_recording_free(telem_recording *r);

typedef struct {
    const char *publish; /* bind a PUB socket here (subscribers connect), or NULL */
    const char *connect; /* connect the PUB socket to a SUB that binds, or NULL */
    double rate;         /* frames per second; 0 = the recorded ts_ms spacing (gaps cut at 10 s) */
    int loops;           /* times through the recording; 0 = until *stop */
    int wait_ms;         /* after binding/connecting, before the first frame (slow joiners) */
    int progress;        /* print progress on stderr */
    int keep_time;       /* send the recorded ts_ms; 0 = the wall clock when each frame is sent */
    /* CURVE client (telemetry/auth.h): this publisher's secret key and the scoring service's
     * public key, 40-character Z85 each; both NULL for no CURVE. */
    const char *curve_secret, *curve_server;
} telem_replay_opts;

/* Publishes the recording. Returns 0 (also when stopped), or KISIM_EUSAGE for a bad endpoint. */
int telem_replay(const telem_recording *r, const telem_replay_opts *o, atomic_int *stop,
                 long *sent);

/* Records frames from a SUB socket (bound to bind and/or connected to connect[0..n)) until
 * max_frames frames or max_seconds, then writes them to path atomically. Frames that do not
 * parse are counted and left out. */
int telem_record(const char *path, const char *bind, const char *const *connect, int n_connect,
                 long max_frames, double max_seconds, atomic_int *stop, long *recorded, long *bad);

#endif
