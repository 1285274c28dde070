// SPDX-License-Identifier: GPL-3.0-or-later
#include "pidfd.h"

#include <QDeadlineTimer>

#include <algorithm>
#include <cerrno>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace Stateward::PidFd {

int open(qint64 pid)
{
    // Called through syscall(2): glibc's wrappers arrived only in 2.36. pidfds are always O_CLOEXEC.
    return int(::syscall(SYS_pidfd_open, pid_t(pid), 0u));
}

int sendSignal(int pidFd, int signal)
{
    return int(::syscall(SYS_pidfd_send_signal, pidFd, signal, nullptr, 0u));
}

bool waitExit(int pidFd, std::chrono::milliseconds timeout)
{
    QDeadlineTimer deadline(timeout);
    for (;;) {
        pollfd p { pidFd, POLLIN, 0 };
        const int n = ::poll(&p, 1, int(std::clamp<qint64>(deadline.remainingTime(), 0, 1 << 30)));
        if (n > 0 && (p.revents & POLLNVAL))
            return false; // not a pidfd at all: claim nothing about any process
        if (n > 0)
            return true; // POLLIN once the process has exited
        if (n == 0 || errno != EINTR || deadline.hasExpired())
            return false;
    }
}

} // namespace Stateward::PidFd
