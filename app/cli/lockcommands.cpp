// SPDX-License-Identifier: GPL-3.0-or-later
// stateward-cli locks PATH: every lock under a state directory with verdict and evidence.
// stateward-cli lock FILE -- CMD…: run CMD while holding FILE's lock in our dialect.
#include "cli.h"
#include "lock/lockfile.h"
#include "lock/lockjudge.h"
#include "proc/pidfd.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

#include <csignal>
#include <poll.h>
#include <spawn.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace Stateward::Cli {

int runLocks(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "List every lock under a state directory (lock files, proper-lockfile directories, git locks) with "
        "its dialect, verdict (held, stale, suspect, unknown) and the evidence: holder PID and liveness, start "
        "time against the lock's mtime, processes holding it open, kernel locks, host and age.\n"
        "Exit code 0 when no lock is stale or suspect, 1 when one is, 2 on error."));
    parser.addHelpOption();
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
    parser.addOption(json);
    parser.addPositionalArgument(QStringLiteral("path"), QStringLiteral("State directory, or one lock file."));
    if (const std::optional<int> code = parseArguments(parser, arguments))
        return *code;
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1)
        return fail(QStringLiteral("locks"), QStringLiteral("expected exactly one PATH (see --help)"));

    const QString path = positional.first();
    const QFileInfo info(path);
    if (!info.exists() && !info.isSymLink())
        return fail(QStringLiteral("locks"), QStringLiteral("%1: no such file or directory").arg(path));
    QStringList problems;
    const QStringList paths = info.isDir() && !info.isSymLink() && !path.endsWith(QLatin1String(".lock"))
        ? LockJudge::findLocks(path, &problems)
        : QStringList { path };
    if (!problems.isEmpty())
        return fail(QStringLiteral("locks"), problems.join(QStringLiteral("; ")));

    const LockJudge judge;
    QList<LockVerdict> verdicts;
    bool attention = false;
    for (const QString& p : paths) {
        verdicts.append(judge.judge(p));
        attention |= verdicts.last().state == LockState::Stale || verdicts.last().state == LockState::Suspect;
    }
    if (parser.isSet(json)) {
        QJsonArray a;
        for (const LockVerdict& v : verdicts)
            a.append(v.toJson());
        QJsonObject o;
        o.insert(QStringLiteral("path"), info.absoluteFilePath());
        o.insert(QStringLiteral("locks"), a);
        printJson(o);
    } else if (verdicts.isEmpty()) {
        printText(QStringLiteral("no locks under %1").arg(path));
    } else {
        for (const LockVerdict& v : verdicts) {
            printText(QStringLiteral("%1  %2  [%3]\n    %4")
                          .arg(nameOf(v.state).toUpper(), -7)
                          .arg(v.path, nameOf(v.dialect), v.reason));
        }
    }
    return attention ? ExitFindings : ExitClean;
}

namespace {

    // Runs argv to completion, forwarding SIGINT/SIGTERM/SIGHUP to it and calling heartbeat
    // every heartbeatMs meanwhile. Returns its exit code (128+signal when killed), -1 if not started.
    // inheritFd stays open in the child: if we are killed, the lock is still open by a live process
    // (CMD) and so never judged stale while CMD is inside the critical section.
    int runChild(const QStringList& command, int inheritFd, int heartbeatMs, const std::function<void()>& heartbeat,
        QString* error)
    {
        sigset_t forwarded, old;
        sigemptyset(&forwarded);
        for (int s : { SIGINT, SIGTERM, SIGHUP })
            sigaddset(&forwarded, s);
        ::sigprocmask(SIG_BLOCK, &forwarded, &old);
        const int sigFd = ::signalfd(-1, &forwarded, SFD_CLOEXEC | SFD_NONBLOCK);

        QList<QByteArray> storage;
        for (const QString& a : command)
            storage.append(a.toLocal8Bit());
        std::vector<char*> argv;
        for (QByteArray& s : storage)
            argv.push_back(s.data());
        argv.push_back(nullptr);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        sigset_t none;
        sigemptyset(&none);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        if (inheritFd >= 0) // dup2 onto itself clears FD_CLOEXEC in the child only (glibc >= 2.29)
            posix_spawn_file_actions_adddup2(&actions, inheritFd, inheritFd);
        pid_t child = -1;
        const int rc = ::posix_spawnp(&child, argv[0], &actions, &attr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        if (rc != 0) {
            *error = QStringLiteral("cannot run %1: %2").arg(command.first(), QString::fromLocal8Bit(strerror(rc)));
            ::close(sigFd);
            ::sigprocmask(SIG_SETMASK, &old, nullptr);
            return -1;
        }
        const int pidFd = PidFd::open(child);
        int status = 0;
        for (;;) {
            if (pidFd < 0) { // no pidfd (old kernel): no heartbeat, plain wait
                while (::waitpid(child, &status, 0) < 0 && errno == EINTR) { }
                break;
            }
            pollfd fds[2] = { { pidFd, POLLIN, 0 }, { sigFd, POLLIN, 0 } };
            const int n = ::poll(fds, sigFd >= 0 ? 2 : 1, heartbeatMs);
            if (n == 0) {
                heartbeat();
                continue;
            }
            if (n > 0 && (fds[1].revents & POLLIN)) {
                signalfd_siginfo info {};
                while (::read(sigFd, &info, sizeof info) == sizeof info)
                    ::kill(child, int(info.ssi_signo));
            }
            if (n > 0 && (fds[0].revents & POLLIN)) {
                while (::waitpid(child, &status, 0) < 0 && errno == EINTR) { }
                break;
            }
        }
        if (pidFd >= 0)
            ::close(pidFd);
        if (sigFd >= 0)
            ::close(sigFd);
        ::sigprocmask(SIG_SETMASK, &old, nullptr);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

} // namespace

int runLock(const QStringList& arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Run CMD while holding the lock of FILE (the file FILE.lock) in Stateward's dialect, which codegraph "
        "also honours: like flock(1), but interoperable with the tools' lock files. A stale lock (dead or "
        "reused holder PID, and nobody holding it open) is stolen safely. While CMD runs, the lock's mtime is "
        "refreshed every 10 s so age-based rules never call it stale.\n"
        "Exit code: CMD's own; 2 when the lock cannot be taken (timeout, with who holds it) or CMD cannot run."));
    parser.addHelpOption();
    const QCommandLineOption timeout(QStringLiteral("timeout"),
        QStringLiteral("Give up after SEC seconds (default: wait as long as it takes)."), QStringLiteral("sec"));
    parser.addOption(timeout);
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("The file to lock (FILE.lock is the lock)."));
    parser.addPositionalArgument(
        QStringLiteral("cmd"), QStringLiteral("Command and arguments, after --."), QStringLiteral("-- CMD [ARGS…]"));
    if (const std::optional<int> code = parseArguments(parser, arguments))
        return *code;
    const QStringList positional = parser.positionalArguments();
    if (positional.size() < 2)
        return fail(QStringLiteral("lock"), QStringLiteral("expected FILE -- CMD [ARGS…] (see --help)"));

    std::chrono::milliseconds wait = std::chrono::milliseconds::max();
    if (parser.isSet(timeout)) {
        bool ok = false;
        const double sec = parser.value(timeout).toDouble(&ok);
        if (!ok || !(sec >= 0)) // NaN fails every comparison
            return fail(QStringLiteral("lock"),
                QStringLiteral("--timeout takes a number of seconds, not '%1'").arg(parser.value(timeout)));
        // More milliseconds than an int64 holds (1e18 s, inf) is "as long as it takes", not an overflow.
        if (sec * 1000 < double(wait.count()))
            wait = std::chrono::milliseconds(qint64(sec * 1000));
    }
    const QString file = positional.first();
    if (!QFileInfo(QFileInfo(file).absolutePath()).isDir())
        return fail(QStringLiteral("lock"),
            QStringLiteral("%1: its directory %2 does not exist").arg(file, QFileInfo(file).absolutePath()));

    LockFile lock(file);
    if (!lock.lock(wait))
        return fail(QStringLiteral("lock"), lock.errorString());
    QString error;
    const int code = runChild(
        positional.mid(1), lock.handle(), 10000, [&lock] { lock.refresh(); }, &error);
    if (!lock.unlock() && !lock.errorString().isEmpty())
        std::fprintf(stderr, "stateward-cli lock: %s\n", qPrintable(terminalSafe(lock.errorString())));
    if (code < 0)
        return fail(QStringLiteral("lock"), error);
    return code;
}

} // namespace Stateward::Cli
