// SPDX-License-Identifier: GPL-3.0-or-later
// sw-testchild: a tiny real process for tests. It takes a resource, prints "ready", then obeys
// stdin lines: "close" releases the resource and prints "closed"; "exit" or EOF ends it.
//   sw-testchild sleep | open FILE | flock FILE | fcntl FILE | ofd FILE
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <unistd.h>

static int fail(const char* what)
{
    std::fprintf(stderr, "sw-testchild: %s: %s\n", what, std::strerror(errno));
    return 3;
}

int main(int argc, char* argv[])
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: sw-testchild sleep|open|flock|fcntl|ofd [FILE]\n");
        return 2;
    }
    const std::string mode = argv[1];
    int fd = -1;
    if (mode != "sleep") {
        if (argc < 3)
            return 2;
        fd = ::open(argv[2], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return fail("open");
        if (mode == "flock" && ::flock(fd, LOCK_EX | LOCK_NB) != 0)
            return fail("flock");
        if (mode == "fcntl" || mode == "ofd") {
            struct flock fl
            {
            };
            fl.l_type = F_WRLCK;
            fl.l_whence = SEEK_SET;
            if (::fcntl(fd, mode == "ofd" ? F_OFD_SETLK : F_SETLK, &fl) != 0)
                return fail("fcntl");
        }
    }
    std::printf("ready %d\n", int(::getpid()));
    std::fflush(stdout);

    char line[256];
    while (std::fgets(line, sizeof line, stdin)) {
        if (std::strncmp(line, "close", 5) == 0) {
            if (fd >= 0)
                ::close(fd);
            fd = -1;
            std::printf("closed\n");
            std::fflush(stdout);
        } else if (std::strncmp(line, "exit", 4) == 0) {
            break;
        }
    }
    return 0;
}
