/* test_file_read.c: whole-file reads (common/file_read.h) and the checkpoint reader on top of
 * them. A regular file is read whole; a directory, a pipe, a FIFO and a device are refused by
 * kind, naming the path; a file over the bound is refused before any allocation of its size;
 * a checkpoint given as /dev/stdin on a pipe is refused instead of read past its buffer. */
#include "common/file_read.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "policy/ckpt.h"
#include "test.h"

static char dir[] = "/tmp/kisim-file-read-XXXXXX", path[256];

static void expect_refused(const char *p, size_t max, const char *fragment)
{
    char *buf = (char *)1;
    size_t len = 7;
    CHECK_EQ_INT(file_read_regular(p, max, KISIM_EINPUT, "thing", &buf, &len), KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), fragment);
    CHECK_STR_CONTAINS(kisim_errmsg(), p);
    CHECK(buf == NULL && len == 0);
}

static void test_regular(void)
{
    FILE *f = fopen(path, "wb");
    fwrite("abc\0def", 1, 7, f); /* a NUL inside: the length, not strlen, is the size */
    fclose(f);
    char *buf = NULL;
    size_t len = 0;
    CHECK_EQ_INT(file_read_regular(path, 7, KISIM_EINPUT, "thing", &buf, &len), 0);
    CHECK(len == 7 && memcmp(buf, "abc\0def", 8) == 0); /* and a NUL after the end */
    free(buf);
    expect_refused(path, 6, "7 bytes, larger than the limit of 6");
    unlink(path);
    CHECK_EQ_INT(file_read_regular(path, 7, KISIM_EINPUT, "thing", &buf, &len), KISIM_EIO);
    CHECK_STR_CONTAINS(kisim_errmsg(), "thing");
    CHECK_STR_CONTAINS(kisim_errmsg(), "cannot read: No such file or directory");
}

static void test_not_regular(void)
{
    expect_refused(dir, 1 << 20, "a directory, expected a regular file");
    expect_refused("/dev/null", 1 << 20, "a device, expected a regular file");
    CHECK(mkfifo(path, 0600) == 0);
    expect_refused(path, 1 << 20,
                   "a pipe or FIFO, expected a regular file"); /* no writer: no hang */
    unlink(path);
    int fds[2];
    CHECK(pipe(fds) == 0);
    CHECK(write(fds[1], "KISIM", 5) == 5);
    char pp[64];
    snprintf(pp, sizeof pp, "/proc/self/fd/%d", fds[0]);
    expect_refused(pp, 1 << 20, "a pipe or FIFO");
    /* The checkpoint reader: a pipe and a directory, each named, exit code 2. */
    ckpt c;
    CHECK_EQ_INT(ckpt_read(&c, pp, NULL), KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "checkpoint /proc/self/fd/");
    CHECK_STR_CONTAINS(kisim_errmsg(), "a pipe or FIFO, expected a regular file");
    CHECK_EQ_INT(ckpt_read(&c, dir, NULL), KISIM_EINPUT);
    CHECK_STR_CONTAINS(kisim_errmsg(), "a directory, expected a regular file");
    close(fds[0]);
    close(fds[1]);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(dir)) return 1;
    snprintf(path, sizeof path, "%s/f", dir);
    RUN(test_regular);
    RUN(test_not_regular);
    unlink(path);
    rmdir(dir);
    TEST_MAIN_END();
}
