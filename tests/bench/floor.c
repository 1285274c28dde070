// SPDX-License-Identifier: GPL-3.0-or-later
/*
 * floor DIR OPS
 *
 * Raw-syscall floor for one codegraph-style "lock + append + release" op,
 * uncontended. Each iteration:
 *   open(DIR/changes.journal.lock, O_CREAT|O_EXCL|O_WRONLY), write
 *   "pid\npid-<16hex>\n", close;
 *   open(DIR/changes.journal, O_WRONLY|O_APPEND|O_CREAT), write one line, close;
 *   open/read/close the lock file (release-time nonce check);
 *   unlink the lock file.
 * DIR is the journal directory itself (e.g. ROOT/.codegraph) and must exist.
 * Prints {"impl":"floor","op":"uncontended","ops":N,"ns_per_op":X}.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die(const char* what, const char* path)
{
    fprintf(stderr, "floor: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void write_all(int fd, const char* buf, size_t len, const char* path)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("write", path);
        }
        buf += n;
        len -= (size_t)n;
    }
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char** argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: floor DIR OPS\n");
        return 2;
    }
    char* end = NULL;
    errno = 0;
    long long ops = strtoll(argv[2], &end, 10);
    if (errno != 0 || end == argv[2] || *end != '\0' || ops < 1) {
        fprintf(stderr, "floor: OPS must be an integer >= 1, got '%s'\n", argv[2]);
        return 2;
    }

    char lockPath[4096], journalPath[4096];
    if (snprintf(lockPath, sizeof lockPath, "%s/changes.journal.lock", argv[1]) >= (int)sizeof lockPath
        || snprintf(journalPath, sizeof journalPath, "%s/changes.journal", argv[1]) >= (int)sizeof journalPath) {
        fprintf(stderr, "floor: DIR too long\n");
        return 2;
    }

    /* Same shape as codegraph's stamp: "<pid>\n<pid>-<16 hex>\n". A fixed
     * nonce is fine here: generating randomness is not part of the floor. */
    char stamp[64];
    long pid = (long)getpid();
    int stampLen = snprintf(stamp, sizeof stamp, "%ld\n%ld-0123456789abcdef\n", pid, pid);

    char line[64], readBuf[128];
    int64_t t0 = now_ns();
    for (long long i = 0; i < ops; i++) {
        int fd = open(lockPath, O_CREAT | O_EXCL | O_WRONLY, 0644);
        if (fd < 0)
            die("open", lockPath);
        write_all(fd, stamp, (size_t)stampLen, lockPath);
        close(fd);

        fd = open(journalPath, O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (fd < 0)
            die("open", journalPath);
        int lineLen = snprintf(line, sizeof line, "bench-line-%lld\n", i);
        write_all(fd, line, (size_t)lineLen, journalPath);
        close(fd);

        fd = open(lockPath, O_RDONLY);
        if (fd < 0)
            die("open", lockPath);
        if (read(fd, readBuf, sizeof readBuf) < 0)
            die("read", lockPath);
        close(fd);

        if (unlink(lockPath) != 0)
            die("unlink", lockPath);
    }
    int64_t elapsed = now_ns() - t0;

    printf("{\"impl\":\"floor\",\"op\":\"uncontended\",\"ops\":%lld,\"ns_per_op\":%lld}\n", ops,
        (long long)(elapsed / ops));
    return 0;
}
