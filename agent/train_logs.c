/* train_logs.c: metrics.jsonl and episodes.csv for a resumed run, and leftovers of a killed one.
 * The logs are appended before last.safetensors commits, so after a kill -9 they may hold rows of
 * updates the checkpoint does not have (and a partial last row); on resume they are cut back to
 * the checkpoint's update, so the resumed run's logs equal an uninterrupted run's. */
#include "agent/train_logs.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"

/* The update a row belongs to: metrics.jsonl rows start {"update":N, episodes.csv rows N,. */
static long row_update(const char *line)
{
    if (!strncmp(line, "{\"update\":", 10)) line += 10;
    char *end;
    long u = strtol(line, &end, 10);
    return end == line || (*end != ',' && *end != '}') ? -1 : u;
}

int train_log_open_resumed(const char *path, int update, int header, FILE **out)
{
    FILE *f = fopen(path, "r+");
    if (!f) return kisim_seterr(KISIM_EIO, "train: cannot resume %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    long off = 0, cut = -1, last = 0;
    int row = 0, err = 0;
    while (cut < 0 && (got = getline(&line, &cap, f)) > 0) {
        long u = row++ < header ? 0 : row_update(line);
        if (line[got - 1] != '\n' || u > update)
            cut = off; /* a torn row, or one past the ckpt */
        else if (u < last)
            err = kisim_seterr(KISIM_EINPUT,
                               "train: cannot resume: %s: row %d is not in update "
                               "order (edited?)",
                               path, row);
        else
            last = u;
        off += got;
        if (err) break;
    }
    free(line);
    if (!err && cut < 0) cut = off;
    if (!err && (fflush(f) || ftruncate(fileno(f), cut) || fseek(f, 0, SEEK_END)))
        err = kisim_seterr(KISIM_EIO, "train: cannot cut %s back to update %d: %s", path, update,
                           strerror(errno));
    if (err) {
        fclose(f);
        return err;
    }
    *out = f;
    return 0;
}

void train_remove_stale_tmp(const char *dir)
{
    static const char *const names[] = {"last.safetensors.tmp.", "best.safetensors.tmp.",
                                        "config.json.tmp."};
    DIR *d = opendir(dir);
    if (!d) return;
    for (struct dirent *e; (e = readdir(d));)
        for (int k = 0; k < 3; k++) {
            size_t l = strlen(names[k]);
            if (strncmp(e->d_name, names[k], l)) continue;
            char *end;
            long pid = strtol(e->d_name + l, &end, 10);
            /* only a writer that is gone: a live process may be writing it right now */
            if (*end || pid <= 0 || !(kill((pid_t)pid, 0) != 0 && errno == ESRCH)) continue;
            char path[4200];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    closedir(d);
}
