// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "proc/processinfo.h"

#include <QString>
#include <QStringList>

#include <chrono>
#include <functional>

namespace Stateward {

// docs/architecture.md, Safety rules: never signal a process that is not ours and not verified. A
// request names the process as the scan saw it; terminateVerified re-checks everything on the live
// process and signals it through a pidfd, so a PID reused between the scan and the signal is never
// hit.
struct TerminateRequest
{
    qint64 pid = -1;
    qint64 startTicks = -1; // as the scan saw it: the process must still have exactly this start time
    // The family's identity check on the live process (argv shape + the record's endpoint/pid file);
    // returns empty when it matches, else why not. Called twice: on the first look, and again once
    // the pidfd is open.
    std::function<QString(const ProcessInfo&)> identity;
    std::chrono::milliseconds grace { 3000 }; // SIGTERM → wait → SIGKILL
    // Signal the process group when the process leads it (upstream brokers are detached group leaders).
    bool processGroup = true;
};

struct TerminateResult
{
    enum class Outcome
    {
        Terminated, // it was alive, we signalled it, it is gone (a zombie awaiting its parent counts)
        AlreadyGone, // no live process to signal: exited, a zombie, or gone before the signal
        Refused, // a safety rule or the identity check failed: nothing was signalled
        Failed, // signalled, but it (or a member of its group) outlived SIGKILL; or the signal failed
    };
    Outcome outcome = Outcome::Failed;
    // Each check that passed, with figures ("uid 1000 = ours", "start ticks 12345 unchanged", "argv …",
    // "not an ancestor of PID 4321").
    QStringList verified;
    QString message; // one line: what happened or why refused, naming the PID
    bool killed = false; // needed SIGKILL after the grace period
    qint64 exitWaitMs = 0;
};
QString nameOf(TerminateResult::Outcome outcome);

// Blocks for up to grace + 2 s. Never reaps: the process's parent owns its exit status.
TerminateResult terminateVerified(const TerminateRequest& request);

} // namespace Stateward
