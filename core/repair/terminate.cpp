// SPDX-License-Identifier: GPL-3.0-or-later
#include "terminate.h"

#include "proc/pidfd.h"
#include "proc/procfs.h"
#include "proc/uniquefd.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <optional>
#include <poll.h>
#include <unistd.h>
#include <vector>

namespace Stateward {

namespace {

    using Outcome = TerminateResult::Outcome;

    // After SIGKILL only an uninterruptible sleep (state D) keeps a process; do not wait on it forever.
    constexpr std::chrono::milliseconds kKillWait { 2000 };
    // Without a pidfd there is nothing to poll: re-read /proc at this interval.
    constexpr int kFallbackPollMs = 10;

    struct Stop
    {
        Outcome outcome;
        QString message;
    };

    // Messages carry comm and argv, which a process chooses: they go in through one multi-argument
    // arg() call, so a '%1' inside them is never taken for a placeholder.
    QString num(qint64 value)
    {
        return QString::number(value);
    }

    QString errorText(int error)
    {
        return ProcFs::errorText(error);
    }

    // Our ancestors, parent first, along the ppid chain in /proc. nullopt when a link is unreadable:
    // then no PID can be proven not to be one of them.
    std::optional<QList<qint64>> ancestorsOfSelf(QString* why)
    {
        QList<qint64> chain;
        qint64 pid = ::getppid(); // 0 when our parent lives outside our PID namespace
        while (pid > 0 && chain.size() < 4096) {
            chain.append(pid);
            if (pid == 1)
                break;
            const auto stat = statOf(pid);
            if (!stat) {
                *why = QStringLiteral("the parent of our ancestor PID %1 is unreadable in /proc").arg(pid);
                return std::nullopt;
            }
            pid = stat->ppid;
        }
        return chain;
    }

    // Every check on the live process that can fail. `verified` collects what passed (the first
    // look records its figures; the re-check after the pidfd opens only has to pass).
    std::optional<Stop> checkLive(const ProcessInfo& p, const TerminateRequest& request, QStringList* verified)
    {
        const auto note = [verified](const QString& line) {
            if (verified)
                verified->append(line);
        };
        switch (p.liveness) {
        case Liveness::Dead:
            return Stop { Outcome::AlreadyGone,
                QStringLiteral("PID %1 does not exist: it has already exited").arg(p.pid) };
        case Liveness::Zombie:
            return Stop { Outcome::AlreadyGone,
                QStringLiteral(
                    "PID %1 is a zombie: it has already exited and waits for its parent (PID %2) to reap it; "
                    "nothing to signal")
                    .arg(p.pid)
                    .arg(p.ppid) };
        case Liveness::Invalid:
            return Stop { Outcome::Refused, p.problems.value(0) };
        case Liveness::Alive:
            break;
        }
        note(QStringLiteral("alive (state %1), not a zombie")
                 .arg(p.state.isNull() ? QStringLiteral("?") : QString(p.state)));
        if (p.isThread())
            return Stop { Outcome::Refused,
                QStringLiteral("PID %1 is a thread of process %2, not a process: never signalled")
                    .arg(p.pid)
                    .arg(p.tgid) };
        if (p.argv.isEmpty() && p.exe.isEmpty())
            return Stop { Outcome::Refused,
                QStringLiteral(
                    "PID %1 (%2) has no command line and no executable, like a kernel thread: never signalled")
                    .arg(num(p.pid), p.comm) };
        if (!p.sameUser())
            return Stop { Outcome::Refused,
                QStringLiteral("PID %1 (%2) belongs to uid %3, not ours (uid %4): never signalled")
                    .arg(num(p.pid), p.comm, num(p.uid), num(::getuid())) };
        note(QStringLiteral("uid %1 = ours").arg(p.uid));
        if (!p.signalPermitted)
            return Stop { Outcome::Refused,
                QStringLiteral("PID %1 (%2) may not be signalled by us (kill: EPERM; euid %3)")
                    .arg(num(p.pid), p.comm, num(p.euid)) };
        if (p.startTicks != request.startTicks)
            return Stop { Outcome::Refused,
                QStringLiteral("PID %1 (%2) started at tick %3 but the scan saw tick %4: the PID now names another "
                               "process (reused)")
                    .arg(num(p.pid), p.comm, num(p.startTicks), num(request.startTicks)) };
        note(QStringLiteral("start ticks %1 unchanged since the scan").arg(p.startTicks));
        if (const QString why = request.identity(p); !why.isEmpty())
            return Stop { Outcome::Refused,
                QStringLiteral("PID %1 (%2) is not the expected process: %3").arg(num(p.pid), p.comm, why) };
        note(QStringLiteral("identity matches: argv %1").arg(p.argv.join(QLatin1Char(' ')).left(240)));
        return std::nullopt;
    }

    // One verified process to signal and wait for: through its pidfd, or (kernel without pidfds) by
    // PID with its start ticks re-checked right before every signal.
    class Target
    {
    public:
        Target(qint64 pid, qint64 startTicks, UniqueFd pidFd)
            : m_pid(pid)
            , m_startTicks(startTicks)
            , m_pidFd(std::move(pidFd))
        { }

        qint64 pid() const { return m_pid; }
        int pidFd() const { return m_pidFd.get(); }
        bool hasPidFd() const { return m_pidFd.isValid(); }

        // Exited, whether or not its parent has reaped it yet.
        bool exited() const
        {
            if (m_pidFd.isValid())
                return PidFd::hasExited(m_pidFd.get());
            const auto stat = statOf(m_pid);
            return !stat || stat->startTicks != m_startTicks || stat->isDead();
        }

        // 0 when sent, else errno (ESRCH: already gone).
        int signal(int sig) const
        {
            if (m_pidFd.isValid())
                return PidFd::sendSignal(m_pidFd.get(), sig) == 0 ? 0 : errno;
            if (exited()) // the start ticks re-check: the PID may already name another process
                return ESRCH;
            return ::kill(pid_t(m_pid), sig) == 0 ? 0 : errno;
        }

        // kill(-pgid) for the group this process leads. A group's ID is its leader's PID, and the
        // kernel does not give that number to a new process while the leader (or any member) still
        // uses it. So with the leader confirmed alive through its pidfd just before, the group ID
        // can only name the group we verified. Without a pidfd the start ticks stand in for it.
        int signalGroup(int sig) const
        {
            if (exited())
                return ESRCH;
            return ::kill(-pid_t(m_pid), sig) == 0 ? 0 : errno;
        }

    private:
        qint64 m_pid;
        qint64 m_startTicks;
        UniqueFd m_pidFd;
    };

    // Opens a pidfd on pid (when useFd) and only then re-reads its stat: if the start ticks and group
    // are still what we verified, the pidfd names that very process. nullopt when it has gone.
    std::optional<Target> pinMember(qint64 pid, qint64 startTicks, qint64 pgid, bool useFd)
    {
        UniqueFd fd;
        if (useFd) {
            fd.reset(PidFd::open(pid));
            if (!fd.isValid())
                return std::nullopt;
        }
        const auto stat = statOf(pid);
        if (!stat || stat->startTicks != startTicks || stat->pgid != pgid || stat->isDead())
            return std::nullopt;
        return Target(pid, startTicks, std::move(fd));
    }

    // The other live members of the group `leader` leads, each checked like the leader itself:
    // uid ours, neither us nor one of our ancestors. Empty with *why set when one fails.
    std::vector<Target> pinGroupMembers(qint64 leader, const QList<qint64>& protectedPids, bool useFd, QString* why)
    {
        std::vector<Target> members;
        for (qint64 pid : listPids()) {
            if (pid == leader)
                continue;
            const auto stat = statOf(pid);
            if (!stat || stat->pgid != leader || stat->isDead())
                continue;
            if (protectedPids.contains(pid)) {
                *why = QStringLiteral("member PID %1 is Stateward itself or one of its ancestors").arg(pid);
                return {};
            }
            const ProcessInfo info = inspectProcess(pid);
            if (!info.isAlive() || info.startTicks != stat->startTicks)
                continue; // exited meanwhile
            if (!info.sameUser()) {
                *why = QStringLiteral("member PID %1 (%2) belongs to uid %3").arg(num(pid), info.comm, num(info.uid));
                return {};
            }
            if (auto member = pinMember(pid, stat->startTicks, leader, useFd))
                members.push_back(std::move(*member));
        }
        return members;
    }

    // Waits until every target has exited or the deadline passes; true when all have.
    bool waitAll(const std::vector<const Target*>& targets, QDeadlineTimer deadline)
    {
        for (;;) {
            std::vector<pollfd> fds;
            bool pollProc = false;
            for (const Target* t : targets) {
                if (t->exited())
                    continue;
                if (t->hasPidFd())
                    fds.push_back({ t->pidFd(), POLLIN, 0 });
                else
                    pollProc = true;
            }
            if (fds.empty() && !pollProc)
                return true;
            if (deadline.hasExpired())
                return false;
            qint64 timeout = deadline.remainingTime();
            if (pollProc)
                timeout = std::min<qint64>(timeout, kFallbackPollMs);
            ::poll(fds.data(), nfds_t(fds.size()), int(timeout)); // readiness is re-read above; EINTR too
        }
    }

    QList<qint64> aliveAmong(const std::vector<Target>& targets)
    {
        QList<qint64> alive;
        for (const Target& t : targets) {
            if (!t.exited())
                alive.append(t.pid());
        }
        return alive;
    }

} // namespace

QString nameOf(TerminateResult::Outcome outcome)
{
    switch (outcome) {
    case Outcome::Terminated:
        return QStringLiteral("terminated");
    case Outcome::AlreadyGone:
        return QStringLiteral("already gone");
    case Outcome::Refused:
        return QStringLiteral("refused");
    case Outcome::Failed:
        return QStringLiteral("failed");
    }
    return {};
}

TerminateResult terminateVerified(const TerminateRequest& request)
{
    TerminateResult r;
    const qint64 pid = request.pid;
    const auto stop = [&r](Outcome outcome, const QString& message) {
        r.outcome = outcome;
        r.message = message;
        return r;
    };

    // 1. Numbers that are never signalled, whatever /proc says about them.
    if (const QString why = validatePid(pid); !why.isEmpty())
        return stop(Outcome::Refused, why);
    if (pid == 1)
        return stop(Outcome::Refused, QStringLiteral("PID 1 is init: never signalled"));
    r.verified.append(QStringLiteral("PID %1 is a valid PID (pid_max %2) and not init").arg(pid).arg(ProcFs::pidMax()));

    // Every figure below comes from /proc: it must show our own PID namespace.
    const qint64 self = ::getpid();
    const ProcFs::ReadResult selfLink = ProcFs::readLinkAt(AT_FDCWD, "/proc/self");
    if (!selfLink.ok() || selfLink.data.toLongLong() != self)
        return stop(Outcome::Refused,
            QStringLiteral("/proc is not our PID namespace's (/proc/self is '%1', we are PID %2): PID %3 cannot be "
                           "verified")
                .arg(QString::fromUtf8(selfLink.data))
                .arg(self)
                .arg(pid));
    if (pid == self)
        return stop(Outcome::Refused, QStringLiteral("PID %1 is Stateward itself: never signalled").arg(pid));
    QString why;
    const auto ancestors = ancestorsOfSelf(&why);
    if (!ancestors)
        return stop(Outcome::Refused,
            QStringLiteral("cannot prove PID %1 is not an ancestor of ours (PID %2): %3").arg(pid).arg(self).arg(why));
    if (ancestors->contains(pid))
        return stop(Outcome::Refused,
            QStringLiteral("PID %1 is an ancestor of ours (PID %2 → %3): never signalled")
                .arg(pid)
                .arg(self)
                .arg(pidList(*ancestors, u" → ")));
    r.verified.append(QStringLiteral("not us and not an ancestor of PID %1 (ancestors %2)")
                          .arg(self)
                          .arg(ancestors->isEmpty() ? QStringLiteral("none visible") : pidList(*ancestors)));

    if (request.startTicks < 0)
        return stop(Outcome::Refused,
            QStringLiteral("PID %1 cannot be verified: the request carries no start time from the scan").arg(pid));
    if (!request.identity)
        return stop(Outcome::Refused,
            QStringLiteral("PID %1 cannot be verified: the request carries no identity check").arg(pid));

    // 2. The live process as it is now.
    const ProcessInfo first = inspectProcess(pid);
    if (const auto s = checkLive(first, request, &r.verified))
        return stop(s->outcome, s->message);

    // 3. Pin the process. A pidfd names whichever process holds the PID when it is opened; the
    // re-check that follows proves that this is still the one the scan saw, and from then on no
    // signal sent through it can reach a process that reuses the PID.
    UniqueFd pidFd(PidFd::open(pid));
    if (!pidFd.isValid()) {
        const int error = errno;
        if (error == ESRCH)
            return stop(Outcome::AlreadyGone, QStringLiteral("PID %1 exited before it could be signalled").arg(pid));
        if (error != ENOSYS)
            return stop(Outcome::Failed,
                QStringLiteral("PID %1: pidfd_open failed (%2); nothing was signalled").arg(pid).arg(errorText(error)));
        r.verified.append(QStringLiteral("pidfd_open unavailable (ENOSYS, kernel before 5.3): falling back to kill() "
                                         "with the start ticks re-checked right before each signal"));
    }
    const bool usePidFd = pidFd.isValid();
    const ProcessInfo live = inspectProcess(pid);
    if (const auto s = checkLive(live, request, nullptr))
        return stop(s->outcome, s->message);
    Target leader(pid, request.startTicks, std::move(pidFd));
    if (leader.exited())
        return stop(Outcome::AlreadyGone, QStringLiteral("PID %1 exited before it could be signalled").arg(pid));
    r.verified.append(usePidFd
            ? QStringLiteral("pidfd opened, then re-checked: alive, uid, start ticks and identity unchanged; signals "
                             "go through the pidfd")
            : QStringLiteral("re-checked: alive, uid, start ticks and identity unchanged"));

    // 4. Its process group, when it leads one: every member must pass the same ownership rules,
    // or only the leader is signalled.
    bool group = false;
    std::vector<Target> members;
    if (request.processGroup && live.pgid == pid) {
        QList<qint64> protectedPids = *ancestors;
        protectedPids.append(self);
        members = pinGroupMembers(pid, protectedPids, usePidFd, &why);
        group = why.isEmpty();
        if (group) {
            QList<qint64> pids;
            for (const Target& m : members)
                pids.append(m.pid());
            r.verified.append(pids.isEmpty()
                    ? QStringLiteral("leads process group %1, which has no other members").arg(pid)
                    : QStringLiteral("leads process group %1; its other members (PID %2) are uid %3 = ours, "
                                     "neither us nor our ancestors")
                          .arg(pid)
                          .arg(pidList(pids))
                          .arg(live.uid));
        } else {
            r.verified.append(
                QStringLiteral("leads process group %1, but %2: signalling PID %1 alone").arg(pid).arg(why));
        }
    } else if (request.processGroup) {
        r.verified.append(QStringLiteral("does not lead its process group (pgid %1): signalling PID %2 alone")
                              .arg(live.pgid)
                              .arg(pid));
    }
    std::vector<const Target*> everyone { &leader };
    for (const Target& m : members)
        everyone.push_back(&m);

    // 5. SIGTERM, the grace period, then SIGKILL for whatever is left.
    QElapsedTimer clock;
    clock.start();
    const int termError = group ? leader.signalGroup(SIGTERM) : leader.signal(SIGTERM);
    if (termError == ESRCH)
        return stop(Outcome::AlreadyGone, QStringLiteral("PID %1 exited just before SIGTERM").arg(pid));
    if (termError != 0)
        return stop(Outcome::Failed, QStringLiteral("SIGTERM to PID %1 failed: %2").arg(pid).arg(errorText(termError)));
    const QString what = group && !members.empty() ? QStringLiteral("PID %1 (%2) and its process group (%3 more)")
                                                         .arg(num(pid), live.comm, num(qint64(members.size())))
                                                   : QStringLiteral("PID %1 (%2)").arg(num(pid), live.comm);

    // A negative grace would make QDeadlineTimer wait forever.
    const bool allGone = waitAll(everyone, QDeadlineTimer(std::max<qint64>(request.grace.count(), 0)));
    qint64 killedAt = -1;
    if (!allGone) {
        r.killed = true;
        killedAt = clock.elapsed();
        int killError = 0;
        if (!leader.exited())
            killError = group ? leader.signalGroup(SIGKILL) : leader.signal(SIGKILL);
        // Members that outlived their leader: the group ID may be free again, so each one is
        // reached through its own pin instead.
        for (const Target& m : members) {
            if (!m.exited())
                m.signal(SIGKILL);
        }
        if (killError != 0 && killError != ESRCH)
            return stop(Outcome::Failed,
                QStringLiteral("%1 did not exit within %2 ms of SIGTERM, and SIGKILL failed: %3")
                    .arg(what, num(killedAt), errorText(killError)));
        waitAll(everyone, QDeadlineTimer(kKillWait.count()));
    }
    r.exitWaitMs = clock.elapsed();

    if (!leader.exited()) {
        const auto stat = statOf(pid);
        return stop(Outcome::Failed,
            QStringLiteral("%1 is still alive %2 ms after SIGKILL (state %3)")
                .arg(what, num(r.exitWaitMs - killedAt), stat ? QString(stat->state) : QStringLiteral("?")));
    }
    if (const QList<qint64> left = aliveAmong(members); !left.isEmpty())
        return stop(Outcome::Failed,
            QStringLiteral("PID %1 exited, but group member(s) PID %2 outlived SIGKILL").arg(pid).arg(pidList(left)));
    r.verified.append(QStringLiteral("gone: %1 reports the exit after %2 ms")
                          .arg(usePidFd ? QStringLiteral("the pidfd") : QStringLiteral("/proc"))
                          .arg(r.exitWaitMs));
    r.outcome = Outcome::Terminated;
    r.message = r.killed ? QStringLiteral("%1 did not exit within %2 ms of SIGTERM; SIGKILL ended it %3 ms later")
                               .arg(what, num(killedAt), num(r.exitWaitMs - killedAt))
                         : QStringLiteral("%1 terminated by SIGTERM, gone after %2 ms").arg(what, num(r.exitWaitMs));
    return r;
}

} // namespace Stateward
