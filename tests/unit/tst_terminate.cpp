// SPDX-License-Identifier: GPL-3.0-or-later
// core/repair/terminate against real processes: SIGTERM, SIGKILL after the grace, process groups,
// every refusal (PID reuse, identity, init, ourselves, our ancestors, other users, kernel threads),
// the kill() fallback on a kernel without pidfds, and the codex broker stand-in.
#include "childprocess.h"
#include "nodetools.h"
#include "proc/pidfd.h"
#include "proc/processinfo.h"
#include "repair/terminate.h"
#include "sources/codexsource.h"
#include "testprinters.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <cstddef>
#include <cstring>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace Stateward;
using Outcome = TerminateResult::Outcome;

namespace Stateward {
inline char* toString(TerminateResult::Outcome value)
{
    return qstrdup(qPrintable(Stateward::nameOf(value)));
}
} // namespace Stateward

namespace {

QString describe(const TerminateResult& r)
{
    return QStringLiteral("%1: %2\n  verified: %3")
        .arg(nameOf(r.outcome), r.message, r.verified.join(u"\n  verified: "));
}

// The identity check a family would run: sw-testchild with exactly these arguments.
std::function<QString(const ProcessInfo&)> testchildWith(const QStringList& arguments)
{
    return [arguments](const ProcessInfo& p) {
        if (!p.argv.value(0).endsWith(QLatin1String("sw-testchild")) || p.argv.mid(1) != arguments)
            return QStringLiteral("argv '%1' is not sw-testchild %2")
                .arg(p.argv.join(QLatin1Char(' ')), arguments.join(QLatin1Char(' ')));
        return QString();
    };
}

TerminateRequest requestFor(qint64 pid, const QStringList& arguments)
{
    TerminateRequest request;
    request.pid = pid;
    request.startTicks = startTicksOf(pid);
    request.identity = testchildWith(arguments);
    return request;
}

// The very process that had these start ticks is still running (not exited, not replaced).
bool stillRunning(qint64 pid, qint64 startTicks)
{
    return livenessOf(pid) == Liveness::Alive && startTicksOf(pid) == startTicks;
}

bool waitUntilNotAlive(qint64 pid, int timeoutMs = 5000)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        if (livenessOf(pid) != Liveness::Alive)
            return true;
        QThread::msleep(2);
    }
    return false;
}

// Reaps a grandchild that was re-parented to us (we are a child subreaper); -1 on timeout.
int reapOrphan(qint64 pid, int timeoutMs = 5000)
{
    QElapsedTimer t;
    t.start();
    int status = 0;
    while (t.elapsed() < timeoutMs) {
        if (::waitpid(pid_t(pid), &status, WNOHANG) == pid)
            return status;
        QThread::msleep(2);
    }
    return -1;
}

bool killedBy(int status, int sig)
{
    return status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

// A group leader's grandchild outlives a failed test: kill it (only if it is still the same
// process) and reap it.
struct OrphanGuard
{
    qint64 pid = -1;
    qint64 startTicks = -1;
    ~OrphanGuard()
    {
        if (pid > 0 && stillRunning(pid, startTicks))
            ::kill(pid_t(pid), SIGKILL);
        if (pid > 0)
            reapOrphan(pid, 2000);
    }
};

} // namespace

class TestTerminate : public QObject
{
    Q_OBJECT

    // Starts `sw-testchild group-leader [extra]` and reads its grandchild's PID.
    static bool startGroup(ChildProcess& leader, OrphanGuard& grandchild, const QStringList& arguments)
    {
        if (!leader.start(ChildProcess::binary("sw-testchild"), arguments))
            return false;
        const QByteArray line = leader.waitForLine("grandchild ");
        if (line.isEmpty() || leader.waitForLine("ready").isEmpty())
            return false;
        grandchild.pid = line.mid(11).trimmed().toLongLong();
        grandchild.startTicks = startTicksOf(grandchild.pid);
        return grandchild.pid > 0 && grandchild.startTicks >= 0;
    }

    // Runs terminateVerified in a forked helper whose seccomp filter makes pidfd_open fail with
    // ENOSYS, as on a kernel before 5.3. Returns false (and *skip) when seccomp is unavailable.
    static bool terminateWithoutPidfd(const TerminateRequest& request, TerminateResult* result, QString* skip)
    {
#if defined(__x86_64__)
        constexpr quint32 arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
        constexpr quint32 arch = AUDIT_ARCH_AARCH64;
#else
        *skip = QStringLiteral("no seccomp architecture constant for this CPU in the test");
        return false;
#endif
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            return false;
        const pid_t helper = ::fork();
        if (helper < 0)
            return false;
        if (helper == 0) {
            ::close(fds[0]);
            sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            };
            sock_fprog program { sizeof filter / sizeof filter[0], filter };
            QByteArray out;
            if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) {
                out = "skip seccomp filter refused: " + QByteArray(std::strerror(errno));
            } else if (PidFd::open(::getpid()) >= 0 || errno != ENOSYS) {
                out = "skip pidfd_open still works under the filter";
            } else {
                const TerminateResult r = terminateVerified(request);
                out = QByteArray::number(int(r.outcome)) + '\n' + QByteArray::number(r.killed) + '\n'
                    + r.message.toUtf8() + '\n' + r.verified.join(QLatin1Char('\n')).toUtf8();
            }
            (void)!::write(fds[1], out.constData(), size_t(out.size()));
            ::_exit(0);
        }
        ::close(fds[1]);
        QByteArray in;
        char buffer[4096];
        ssize_t n;
        while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
            in.append(buffer, qMax<ssize_t>(n, 0));
        ::close(fds[0]);
        ::waitpid(helper, nullptr, 0);
        if (in.startsWith("skip ")) {
            *skip = QString::fromUtf8(in.mid(5));
            return false;
        }
        const QList<QByteArray> lines = in.split('\n');
        if (lines.size() < 3)
            return false;
        result->outcome = Outcome(lines[0].toInt());
        result->killed = lines[1].toInt() != 0;
        result->message = QString::fromUtf8(lines[2]);
        for (qsizetype i = 3; i < lines.size(); ++i)
            result->verified.append(QString::fromUtf8(lines[i]));
        return true;
    }

private slots:
    void initTestCase()
    {
        // Grandchildren whose leader dies are re-parented to us, so the tests can reap them.
        QVERIFY(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
    }

    void sigtermEndsVerifiedProcess()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        const TerminateRequest request = requestFor(child.pid(), { QStringLiteral("sleep") });
        QVERIFY(request.startTicks >= 0);

        const TerminateResult r = terminateVerified(request);
        QVERIFY2(r.outcome == Outcome::Terminated, qPrintable(describe(r)));
        QVERIFY(!r.killed);
        QVERIFY(r.exitWaitMs < 3000);
        QVERIFY(r.message.contains(QString::number(child.pid())));
        QVERIFY(r.message.contains(QLatin1String("SIGTERM")));
        const QString all = r.verified.join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QStringLiteral("uid %1 = ours").arg(::getuid())), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("start ticks %1 unchanged").arg(request.startTicks)), qPrintable(all));
        QVERIFY2(all.contains(QStringLiteral("not an ancestor of PID %1").arg(::getpid())), qPrintable(all));
        QVERIFY2(
            all.contains(QLatin1String("identity matches: argv ")) && all.contains(QLatin1String("sw-testchild sleep")),
            qPrintable(all));
        QVERIFY2(all.contains(QLatin1String("pidfd opened")), qPrintable(all));
        QVERIFY2(all.contains(QLatin1String("does not lead its process group")), qPrintable(all));

        // Exited, and left for its parent (us) to reap: the exit status is ours, not stolen.
        QCOMPARE(livenessOf(child.pid()), Liveness::Zombie);
        QVERIFY(killedBy(child.reap(), SIGTERM));
    }

    void sigkillAfterGrace()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("ignore-term") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        TerminateRequest request = requestFor(child.pid(), { QStringLiteral("ignore-term") });
        request.grace = std::chrono::milliseconds(300);

        const TerminateResult r = terminateVerified(request);
        QVERIFY2(r.outcome == Outcome::Terminated, qPrintable(describe(r)));
        QVERIFY(r.killed);
        QVERIFY2(r.exitWaitMs >= 300 && r.exitWaitMs < 2300, qPrintable(QString::number(r.exitWaitMs)));
        QVERIFY(r.message.contains(QLatin1String("SIGKILL")));
        QVERIFY(killedBy(child.reap(), SIGKILL));
    }

    void groupLeaderTakesItsGroup()
    {
        ChildProcess leader;
        OrphanGuard grandchild;
        QVERIFY(startGroup(leader, grandchild, { QStringLiteral("group-leader") }));
        QCOMPARE(statOf(leader.pid())->pgid, qint64(leader.pid()));
        QCOMPARE(statOf(grandchild.pid)->pgid, qint64(leader.pid()));

        const TerminateResult r = terminateVerified(requestFor(leader.pid(), { QStringLiteral("group-leader") }));
        QVERIFY2(r.outcome == Outcome::Terminated, qPrintable(describe(r)));
        QVERIFY(!r.killed);
        const QString all = r.verified.join(QLatin1Char('\n'));
        QVERIFY2(all.contains(QStringLiteral("leads process group %1; its other members (PID %2)")
                                  .arg(leader.pid())
                                  .arg(grandchild.pid)),
            qPrintable(all));
        QVERIFY(r.message.contains(QLatin1String("process group (1 more)")));

        QVERIFY(killedBy(leader.reap(), SIGTERM));
        QVERIFY(waitUntilNotAlive(grandchild.pid));
        QVERIFY(killedBy(reapOrphan(grandchild.pid), SIGTERM));
        grandchild.pid = -1;
    }

    void groupMemberOutlivingLeaderIsKilled()
    {
        ChildProcess leader;
        OrphanGuard grandchild;
        QVERIFY(startGroup(leader, grandchild, { QStringLiteral("group-leader"), QStringLiteral("ignore-term") }));
        TerminateRequest request
            = requestFor(leader.pid(), { QStringLiteral("group-leader"), QStringLiteral("ignore-term") });
        request.grace = std::chrono::milliseconds(300);

        const TerminateResult r = terminateVerified(request);
        QVERIFY2(r.outcome == Outcome::Terminated, qPrintable(describe(r)));
        QVERIFY(r.killed);
        // The leader obeyed SIGTERM; the member that ignored it got SIGKILL through its own pidfd.
        QVERIFY(killedBy(leader.reap(), SIGTERM));
        QVERIFY(killedBy(reapOrphan(grandchild.pid), SIGKILL));
        grandchild.pid = -1;
    }

    void groupSignalOnlyWhenAsked()
    {
        ChildProcess leader;
        OrphanGuard grandchild;
        QVERIFY(startGroup(leader, grandchild, { QStringLiteral("group-leader") }));
        TerminateRequest request = requestFor(leader.pid(), { QStringLiteral("group-leader") });
        request.processGroup = false;

        const TerminateResult r = terminateVerified(request);
        QVERIFY2(r.outcome == Outcome::Terminated, qPrintable(describe(r)));
        QVERIFY(!r.verified.join(QLatin1Char('\n')).contains(QLatin1String("process group")));
        QVERIFY(killedBy(leader.reap(), SIGTERM));
        // The grandchild was not signalled: it is the same process, still running.
        QThread::msleep(50);
        QVERIFY(stillRunning(grandchild.pid, grandchild.startTicks));
    }

    void refusedWhenStartTicksDiffer()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        TerminateRequest request = requestFor(child.pid(), { QStringLiteral("sleep") });
        const qint64 ticks = request.startTicks;
        request.startTicks = ticks + 1; // as if the scan had seen an earlier holder of this PID

        const TerminateResult r = terminateVerified(request);
        QCOMPARE(r.outcome, Outcome::Refused);
        QVERIFY2(r.message.contains(QLatin1String("reused")), qPrintable(r.message));
        QVERIFY(r.message.contains(QString::number(child.pid())));
        QVERIFY(!r.killed);
        QThread::msleep(50);
        QVERIFY(stillRunning(child.pid(), ticks));
    }

    void refusedWhenIdentityDiffers()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        TerminateRequest request = requestFor(child.pid(), { QStringLiteral("sleep") });
        request.identity = [](const ProcessInfo& p) {
            return looksLikeCodexBroker(p) ? QString() : QStringLiteral("argv is not app-server-broker.mjs serve");
        };

        const TerminateResult r = terminateVerified(request);
        QCOMPARE(r.outcome, Outcome::Refused);
        QVERIFY2(r.message.contains(QLatin1String("not the expected process: argv is not app-server-broker.mjs")),
            qPrintable(r.message));
        QThread::msleep(50);
        QVERIFY(stillRunning(child.pid(), request.startTicks));
    }

    void refusedForInitSelfAndAncestors()
    {
        int identityCalls = 0;
        const auto refuse = [&identityCalls](qint64 pid) {
            TerminateRequest request;
            request.pid = pid;
            request.startTicks = startTicksOf(pid); // the real value: only the PID rule may refuse
            request.identity = [&identityCalls](const ProcessInfo&) {
                ++identityCalls;
                return QString();
            };
            return terminateVerified(request);
        };

        TerminateResult r = refuse(1);
        QCOMPARE(r.outcome, Outcome::Refused);
        QVERIFY(r.message.contains(QLatin1String("PID 1 is init")));
        QVERIFY(stillRunning(1, startTicksOf(1)));

        r = refuse(::getpid());
        QCOMPARE(r.outcome, Outcome::Refused);
        QVERIFY2(r.message.contains(QLatin1String("Stateward itself")), qPrintable(r.message));

        const qint64 parent = ::getppid();
        if (parent > 1) {
            const qint64 parentTicks = startTicksOf(parent);
            r = refuse(parent);
            QCOMPARE(r.outcome, Outcome::Refused);
            QVERIFY2(
                r.message.contains(QStringLiteral("PID %1 is an ancestor of ours").arg(parent)), qPrintable(r.message));
            QVERIFY(stillRunning(parent, parentTicks));
            // Further up the chain too.
            const qint64 grandparent = statOf(parent)->ppid;
            if (grandparent > 1) {
                r = refuse(grandparent);
                QCOMPARE(r.outcome, Outcome::Refused);
                QVERIFY(r.message.contains(QLatin1String("ancestor")));
            }
        }

        for (qint64 bad : { qint64(0), qint64(-4), qint64(1) << 40 }) {
            r = refuse(bad);
            QCOMPARE(r.outcome, Outcome::Refused);
            QVERIFY(!r.message.isEmpty());
        }
        QCOMPARE(identityCalls, 0);
    }

    void refusedWithoutEvidence()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        TerminateRequest request = requestFor(child.pid(), { QStringLiteral("sleep") });
        const qint64 ticks = request.startTicks;

        request.startTicks = -1;
        TerminateResult r = terminateVerified(request);
        QCOMPARE(r.outcome, Outcome::Refused);
        QVERIFY(r.message.contains(QLatin1String("no start time")));

        request.startTicks = ticks;
        request.identity = nullptr;
        r = terminateVerified(request);
        QCOMPARE(r.outcome, Outcome::Refused);
        QVERIFY(r.message.contains(QLatin1String("no identity check")));
        QVERIFY(stillRunning(child.pid(), ticks));
    }

    void refusedForAnotherUser()
    {
        const QList<qint64> pids = listPids();
        for (qint64 pid : pids) {
            if (pid <= 1 || pid == ::getpid())
                continue;
            const ProcessInfo p = inspectProcess(pid);
            if (!p.isAlive() || p.uid < 0 || p.sameUser() || p.argv.isEmpty())
                continue;
            int identityCalls = 0;
            TerminateRequest request;
            request.pid = pid;
            request.startTicks = p.startTicks;
            request.identity = [&identityCalls](const ProcessInfo&) {
                ++identityCalls;
                return QString();
            };
            const TerminateResult r = terminateVerified(request);
            QCOMPARE(r.outcome, Outcome::Refused);
            // Either the uid rule or (a foreign process that is one of our ancestors) the ancestor rule.
            QVERIFY2(r.message.contains(QStringLiteral("belongs to uid %1, not ours").arg(p.uid))
                    || r.message.contains(QLatin1String("ancestor")),
                qPrintable(r.message));
            QCOMPARE(identityCalls, 0);
            QVERIFY(stillRunning(pid, p.startTicks));
            return;
        }
        QSKIP(qPrintable(QStringLiteral("no process of another uid is running: all %1 processes in /proc belong to "
                                        "uid %2, so the uid rule cannot be exercised without creating a user")
                             .arg(pids.size())
                             .arg(::getuid())));
    }

    void refusedForKernelThread()
    {
        // Kernel threads are uid 0: as root the uid rule passes them, so they need their own rule.
        for (qint64 pid : listPids()) {
            if (pid <= 1)
                continue;
            const ProcessInfo p = inspectProcess(pid);
            if (!p.isAlive() || !p.sameUser() || !p.argv.isEmpty() || !p.exe.isEmpty())
                continue;
            TerminateRequest request;
            request.pid = pid;
            request.startTicks = p.startTicks;
            request.identity = [](const ProcessInfo&) { return QString(); };
            const TerminateResult r = terminateVerified(request);
            QCOMPARE(r.outcome, Outcome::Refused);
            QVERIFY2(r.message.contains(QLatin1String("kernel thread")), qPrintable(r.message));
            QVERIFY(stillRunning(pid, p.startTicks));
            return;
        }
        QSKIP("no kernel thread of our uid is visible in /proc (not root, or a PID namespace)");
    }

    void alreadyGoneWhenNoProcess()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        const TerminateRequest request = requestFor(child.pid(), { QStringLiteral("sleep") });
        QVERIFY(child.signal(SIGKILL));
        QVERIFY(child.reap() >= 0);
        QCOMPARE(livenessOf(request.pid), Liveness::Dead);

        const TerminateResult r = terminateVerified(request);
        QCOMPARE(r.outcome, Outcome::AlreadyGone);
        QVERIFY2(r.message.contains(QStringLiteral("PID %1 does not exist").arg(request.pid)), qPrintable(r.message));
    }

    void alreadyGoneForZombie()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        const TerminateRequest request = requestFor(child.pid(), { QStringLiteral("sleep") });
        QVERIFY(child.send("exit"));
        QVERIFY(waitUntilNotAlive(child.pid()));
        QCOMPARE(livenessOf(child.pid()), Liveness::Zombie);

        const TerminateResult r = terminateVerified(request);
        QCOMPARE(r.outcome, Outcome::AlreadyGone);
        QVERIFY2(r.message.contains(QLatin1String("zombie")), qPrintable(r.message));
        QVERIFY(r.message.contains(QStringLiteral("parent (PID %1)").arg(::getpid())));
        // Not reaped by terminateVerified: its own exit status is still here for its parent.
        QCOMPARE(livenessOf(child.pid()), Liveness::Zombie);
        const int status = child.reap();
        QVERIFY(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }

    void fallbackWithoutPidfd()
    {
        ChildProcess polite, stubborn;
        QVERIFY(polite.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(stubborn.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("ignore-term") }));
        QVERIFY(!polite.waitForLine("ready").isEmpty());
        QVERIFY(!stubborn.waitForLine("ready").isEmpty());

        TerminateResult r;
        QString skip;
        if (!terminateWithoutPidfd(requestFor(polite.pid(), { QStringLiteral("sleep") }), &r, &skip)) {
            if (!skip.isEmpty())
                QSKIP(qPrintable(skip));
            QFAIL("the helper process reported nothing");
        }
        QVERIFY2(r.outcome == Outcome::Terminated, qPrintable(describe(r)));
        QVERIFY(!r.killed);
        QVERIFY2(r.verified.join(QLatin1Char('\n')).contains(QLatin1String("pidfd_open unavailable")),
            qPrintable(describe(r)));
        QVERIFY(r.verified.join(QLatin1Char('\n')).contains(QLatin1String("gone: /proc reports the exit")));
        QVERIFY(killedBy(polite.reap(), SIGTERM));

        TerminateRequest request = requestFor(stubborn.pid(), { QStringLiteral("ignore-term") });
        request.grace = std::chrono::milliseconds(200);
        r = TerminateResult();
        QVERIFY(terminateWithoutPidfd(request, &r, &skip));
        QVERIFY2(r.outcome == Outcome::Terminated, qPrintable(describe(r)));
        QVERIFY(r.killed);
        QVERIFY(killedBy(stubborn.reap(), SIGKILL));

        // The fallback still refuses a PID whose start time moved.
        ChildProcess other;
        QVERIFY(other.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!other.waitForLine("ready").isEmpty());
        request = requestFor(other.pid(), { QStringLiteral("sleep") });
        request.startTicks += 1;
        r = TerminateResult();
        QVERIFY(terminateWithoutPidfd(request, &r, &skip));
        QCOMPARE(r.outcome, Outcome::Refused);
        QVERIFY(stillRunning(other.pid(), request.startTicks - 1));
    }

    void codexBrokerStandIn()
    {
        QVERIFY2(NodeTools::missingNode().isEmpty(), qPrintable(NodeTools::missingNode()));
        QTemporaryDir ws, session;
        QVERIFY(ws.isValid() && session.isValid());
        const QString endpoint = QStringLiteral("unix:") + session.filePath(QStringLiteral("broker.sock"));
        const QString pidFile = session.filePath(QStringLiteral("broker.pid"));
        ChildProcess broker;
        QVERIFY(broker.start(NodeTools::node(),
            { NodeTools::standin("app-server-broker.mjs"), QStringLiteral("serve"), QStringLiteral("--endpoint"),
                endpoint, QStringLiteral("--cwd"), ws.path(), QStringLiteral("--pid-file"), pidFile }));
        QElapsedTimer t;
        t.start();
        while (!(QFile::exists(endpoint.mid(5)) && QFile::exists(pidFile)) && t.elapsed() < 10000)
            QThread::msleep(10);
        QVERIFY(QFile::exists(endpoint.mid(5)) && QFile::exists(pidFile));

        // What the codex family checks against its broker.json record.
        TerminateRequest request;
        request.pid = broker.pid();
        request.startTicks = startTicksOf(broker.pid());
        request.identity = [endpoint, pidFile](const ProcessInfo& p) {
            if (!looksLikeCodexBroker(p))
                return QStringLiteral("argv is not app-server-broker.mjs serve");
            if (argumentAfter(p.argv, u"--endpoint") != endpoint)
                return QStringLiteral("--endpoint is %1, the record names %2")
                    .arg(argumentAfter(p.argv, u"--endpoint"), endpoint);
            if (argumentAfter(p.argv, u"--pid-file") != pidFile)
                return QStringLiteral("--pid-file is %1, the record names %2")
                    .arg(argumentAfter(p.argv, u"--pid-file"), pidFile);
            QFile f(pidFile);
            if (!f.open(QIODevice::ReadOnly) || f.readAll().trimmed().toLongLong() != p.pid)
                return QStringLiteral("%1 does not hold PID %2").arg(pidFile).arg(p.pid);
            return QString();
        };

        const TerminateResult r = terminateVerified(request);
        QVERIFY2(r.outcome == Outcome::Terminated, qPrintable(describe(r)));
        QVERIFY(!r.killed);
        QVERIFY(r.verified.join(QLatin1Char('\n')).contains(QLatin1String("app-server-broker.mjs serve --endpoint")));
        // The broker's own SIGTERM handler ran: it removed its socket and pid file and exited 0.
        QVERIFY(!QFile::exists(endpoint.mid(5)));
        QVERIFY(!QFile::exists(pidFile));
        const int status = broker.reap();
        QVERIFY2(WIFEXITED(status) && WEXITSTATUS(status) == 0, qPrintable(QString::number(status)));
    }
};

QTEST_GUILESS_MAIN(TestTerminate)
#include "tst_terminate.moc"
