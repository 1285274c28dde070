// SPDX-License-Identifier: GPL-3.0-or-later
// sw-testchild: a tiny real process for tests. It takes a resource, prints "ready", then obeys
// stdin lines: "close" releases the resource and prints "closed"; "exit" or EOF ends it.
//   sw-testchild sleep | open FILE | flock FILE | fcntl FILE | ofd FILE
// and for process termination:
//   sw-testchild ignore-term                  like sleep, but ignores SIGTERM
//   sw-testchild group-leader [ignore-term]   leads a new process group with one grandchild in it
//                                             (printed first as "grandchild PID"); the grandchild
//                                             ignores SIGTERM when asked
// and one critical section for the lock stress test (exits when done):
//   sw-testchild section DIR
#include <csignal>
#include <cstdio>
#include <cstdlib>
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

static std::string slurp(const std::string& path)
{
    std::string out;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return out;
    char buffer[256];
    ssize_t n;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
        out.append(buffer, size_t(n));
    ::close(fd);
    return out;
}

static void appendLine(const std::string& path, const std::string& line)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        const std::string l = line + "\n";
        (void)!::write(fd, l.data(), l.size());
        ::close(fd);
    }
}

// Must run under the lock: a witness created O_EXCL proves nobody else is inside; the counter's
// read-increment-write loses updates if two sections overlap.
static int criticalSection(const std::string& dir)
{
    const std::string pid = std::to_string(::getpid());
    const int witness = ::open((dir + "/witness").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (witness < 0) {
        appendLine(dir + "/violations", pid + " found " + slurp(dir + "/witness"));
        return 4;
    }
    (void)!::write(witness, pid.data(), pid.size());
    const long value = std::atol(slurp(dir + "/counter").c_str());
    ::usleep(500 + (::getpid() % 7) * 300); // widen the window a race would need
    const std::string next = std::to_string(value + 1);
    const int fd = ::open((dir + "/counter").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    (void)!::write(fd, next.data(), next.size());
    ::close(fd);
    appendLine(dir + "/completed", pid);
    ::close(witness);
    ::unlink((dir + "/witness").c_str());
    return 0;
}

int main(int argc, char* argv[])
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: sw-testchild sleep|ignore-term|group-leader|open|flock|fcntl|ofd [FILE]\n");
        return 2;
    }
    const std::string mode = argv[1];
    if (mode == "section" && argc >= 3)
        return criticalSection(argv[2]);
    if (mode == "ignore-term")
        std::signal(SIGTERM, SIG_IGN);
    if (mode == "group-leader") {
        if (::setpgid(0, 0) != 0)
            return fail("setpgid");
        // Set before fork so the grandchild ignores SIGTERM from its first instruction on.
        const bool grandchildIgnoresTerm = argc >= 3 && std::strcmp(argv[2], "ignore-term") == 0;
        if (grandchildIgnoresTerm)
            std::signal(SIGTERM, SIG_IGN);
        const pid_t grandchild = ::fork();
        if (grandchild < 0)
            return fail("fork");
        if (grandchild == 0) {
            // Off the test's pipes, so it never holds them open; alarm bounds its life if a test
            // fails before cleaning up (it outlives its parent on purpose).
            const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
            ::dup2(null, 0);
            ::dup2(null, 1);
            ::alarm(60);
            for (;;)
                ::pause();
        }
        std::signal(SIGTERM, SIG_DFL);
        std::printf("grandchild %d\n", int(grandchild));
    }
    int fd = -1;
    if (mode != "sleep" && mode != "ignore-term" && mode != "group-leader") {
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
