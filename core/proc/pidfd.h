// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

#include <chrono>

// pidfd (Linux >= 5.3): a descriptor that names one process for its whole life. A signal sent or
// a wait done through it can never reach another process that later reuses the PID.
namespace Stateward::PidFd {

// pidfd_open(2), close-on-exec. Returns -1 with errno set: ENOSYS on kernels before 5.3, ESRCH when
// no such process, EINVAL when pid names a thread rather than a process.
int open(qint64 pid);

// pidfd_send_signal(2). 0 on success, else -1 with errno set (ESRCH once the process has been reaped).
int sendSignal(int pidFd, int signal);

// Waits up to timeout for the process to exit. True once it has: exited counts, whether or not its
// parent has reaped it yet (a zombie has exited).
bool waitExit(int pidFd, std::chrono::milliseconds timeout);
inline bool hasExited(int pidFd)
{
    return waitExit(pidFd, std::chrono::milliseconds(0));
}

} // namespace Stateward::PidFd
