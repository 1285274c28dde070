// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QMetaType>
#include <QStringList>

#include <chrono>
#include <optional>

namespace Stateward {

enum class Liveness
{
    Alive, // kill(pid, 0) succeeds or fails with EPERM, and the process is not a zombie
    Zombie, // exited, not yet reaped by its parent: dead for every purpose of ours
    Dead, // no such process
    Invalid, // not a PID at all (0, negative, above pid_max)
};
QString nameOf(Liveness liveness);

// What /proc says about one process at one moment. A plain value: copy it across threads.
struct ProcessInfo
{
    qint64 pid = 0;
    Liveness liveness = Liveness::Dead;
    bool signalPermitted = false; // kill(pid, 0) succeeded, i.e. we may signal it (not EPERM)
    QChar state; // letter from /proc/<pid>/stat ('R', 'S', 'Z', …); null when unreadable
    qint64 ppid = -1;
    qint64 pgid = -1;
    qint64 sid = -1;
    qint64 tgid = -1; // differs from pid when the number names a thread, not a process
    qint64 uid = -1; // real uid
    qint64 euid = -1;
    qint64 startTicks = -1; // stat field 22, clock ticks after boot
    QDateTime startTime; // UTC, absolute
    QString comm;
    QStringList argv;
    bool environReadable = false;
    QStringList environment; // KEY=VALUE entries, only when readable (same uid or root)
    QString environError; // why environ was unreadable (ptrace policy can refuse even root)
    QString exe;
    QStringList problems; // why a part could not be read, e.g. "environ: Permission denied"

    bool isAlive() const { return liveness == Liveness::Alive; }
    bool isThread() const { return tgid > 0 && tgid != pid; }
    bool sameUser() const;
    QString environmentValue(QStringView key) const;
    QJsonObject toJson() const;
};

// Returns an empty string when pid can name a process, otherwise why it cannot. PID 0 and
// negative numbers must never reach kill(2): they address process groups.
QString validatePid(qint64 pid);
std::optional<qint64> parsePid(QStringView text, QString* error = nullptr);
// "12, 345, 6789": PIDs as messages and views list them.
QString pidList(const QList<qint64>& pids, QStringView separator = u", ");

// Cheap liveness check: kill(pid, 0) plus the state letter from /proc/<pid>/stat.
Liveness livenessOf(qint64 pid);

// Every PID in /proc right now (processes, not threads), ascending.
QList<qint64> listPids();

// Start time of pid in clock ticks after boot (stat field 22), -1 when unreadable. Cheap: one read.
qint64 startTicksOf(qint64 pid);

// The fields of /proc/<pid>/stat that place a process in the tree, from one read: cheap enough to
// run over every process (inspectProcess reads six files).
struct ProcessStat
{
    QChar state;
    qint64 ppid = -1;
    qint64 pgid = -1;
    qint64 sid = -1;
    qint64 startTicks = -1;
    bool isDead() const { return state == QLatin1Char('Z') || state == QLatin1Char('X'); }
};
std::optional<ProcessStat> statOf(qint64 pid);

// Whether ancestor is process's parent, grandparent, … (along the ppid chain in /proc now). False
// when a link is unreadable or ancestor is 1 or less (everything descends from init).
bool descendsFrom(const ProcessInfo& process, qint64 ancestor);

// Reads every field through one directory fd of /proc/<pid>, so a PID reused mid-read fails the
// later reads (ESRCH) instead of mixing two processes.
ProcessInfo inspectProcess(qint64 pid);

// PID reuse (docs/architecture.md, Safety rules): a live process that started after the record
// naming it was written cannot be the record's writer.
enum class WriterVerdict
{
    Plausible, // alive and started no later than the record: may be its writer
    Reused, // alive, but started after the record was written
    Dead, // nobody is running at that PID
    Unknown, // alive but start time unreadable, or no record time given
};
struct WriterJudgement
{
    WriterVerdict verdict = WriterVerdict::Unknown;
    QString reason; // one line, with figures
    qint64 startedAfterMs = 0; // process start minus record time, when both are known
    friend bool operator==(const WriterJudgement&, const WriterJudgement&) = default;
};
// recordPrecision: how coarse the record's own timestamp is (e.g. 1 s for second-resolution
// fields); the comparison allows that much plus the clock-tick granularity of the start time.
WriterJudgement judgeWriter(const ProcessInfo& process, const QDateTime& recordTime,
    std::chrono::milliseconds recordPrecision = std::chrono::milliseconds(0));
QString nameOf(WriterVerdict verdict);

// The parsers inspectProcess applies to what it reads from /proc/<pid>: bytes in, fields out
// (tests/fuzz runs each over arbitrary bytes).
namespace ProcParse {
    struct StatFields
    {
        QString comm;
        QChar state;
        qint64 ppid = -1, pgid = -1, sid = -1, startTicks = -1;
    };
    std::optional<StatFields> parseStat(const QByteArray& stat); // nullopt: not stat's shape
    void parseStatus(QByteArrayView status, ProcessInfo& info); // sets uid, euid and tgid
    QStringList splitNulSeparated(QByteArrayView data); // cmdline, environ
} // namespace ProcParse

} // namespace Stateward

Q_DECLARE_METATYPE(Stateward::ProcessInfo)
