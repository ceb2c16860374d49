/* file_read.h: reading a whole file into memory, bounded. Every reader of a whole input file
 * (checkpoints, configs) goes through here, so a pipe, a FIFO, a device or a directory given as
 * a path gets a clear refusal instead of a size from ftell (-1 on a pipe) or a read that never
 * ends, and no file makes the process allocate more than its format allows. */
#ifndef KISIM_COMMON_FILE_READ_H
#define KISIM_COMMON_FILE_READ_H

#include <stddef.h>

/* Reads the regular file path into *buf (malloc'd, owned by the caller, with a NUL after the
 * last byte so text formats can use it as a string) and its size into *len. Refuses, with the
 * error code `code` and a message "<what> <path>: ...": a path that is not a regular file
 * (directory, pipe, FIFO, socket, device; checked on the opened descriptor, so the file cannot be
 * swapped between the check and the read), a file larger than max_bytes, and a file that
 * changed size while being read. A missing or unreadable file is KISIM_EIO with strerror. */
int file_read_regular(const char *path, size_t max_bytes, int code, const char *what, char **buf,
                      size_t *len);

#endif
