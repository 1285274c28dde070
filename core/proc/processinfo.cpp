// SPDX-License-Identifier: GPL-3.0-or-later
#include "processinfo.h"

#include "procfs.h"

#include <QJsonArray>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace Stateward {

namespace ProcParse {

    // The comm field is in parentheses and may itself contain spaces and ')': the fields that
    // follow start after the *last* ')'.
    std::optional<StatFields> parseStat(const QByteArray& stat)
    {
        const qsizetype open = stat.indexOf('(');
        const qsizetype close = stat.lastIndexOf(')');
        if (open < 0 || close < open)
            return std::nullopt;
        StatFields f;
        f.comm = QString::fromUtf8(stat.mid(open + 1, close - open - 1));
        const QList<QByteArray> rest = stat.mid(close + 1).simplified().split(' ');
        // rest[0] is field 3 (state); field N is rest[N - 3].
        if (rest.size() < 20 || rest[0].isEmpty())
            return std::nullopt;
        f.state = QLatin1Char(rest[0].at(0));
        f.ppid = rest[1].toLongLong();
        f.pgid = rest[2].toLongLong();
        f.sid = rest[3].toLongLong();
        bool ok = false;
        f.startTicks = rest[19].toLongLong(&ok);
        if (!ok)
            f.startTicks = -1;
        return f;
    }

    void parseStatus(QByteArrayView status, ProcessInfo& info)
    {
        for (QByteArrayView line : ProcFs::split(status, '\n')) {
            if (line.startsWith("Uid:")) {
                const QByteArray ids = line.sliced(4).toByteArray().simplified();
                const QList<QByteArrayView> fields = ProcFs::split(ids, ' ');
                if (fields.size() >= 2) {
                    info.uid = fields[0].toLongLong();
                    info.euid = fields[1].toLongLong();
                }
            } else if (line.startsWith("Tgid:")) {
                info.tgid = line.sliced(5).trimmed().toLongLong();
            }
        }
    }

    QStringList splitNulSeparated(QByteArrayView data)
    {
        QStringList out;
        for (QByteArrayView part : ProcFs::split(data, '\0', ProcFs::SplitBehavior::SkipEmpty))
            out.append(QString::fromUtf8(part));
        return out;
    }

} // namespace ProcParse

using namespace ProcParse;

namespace {

    bool isDeadState(QChar state)
    {
        return state == QLatin1Char('Z') || state == QLatin1Char('X');
    }

    void noteProblem(ProcessInfo& info, const char* what, int error)
    {
        info.problems.append(QStringLiteral("%1: %2").arg(QLatin1String(what), ProcFs::errorText(error)));
    }

    QDateTime startTimeFromTicks(qint64 ticks)
    {
        const qint64 ms = ProcFs::bootTimeMsecs() + ticks * 1000 / ProcFs::clockTicksPerSecond();
        return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
    }

} // namespace

QString nameOf(Liveness liveness)
{
    switch (liveness) {
    case Liveness::Alive:
        return QStringLiteral("alive");
    case Liveness::Zombie:
        return QStringLiteral("zombie");
    case Liveness::Dead:
        return QStringLiteral("dead");
    case Liveness::Invalid:
        return QStringLiteral("invalid");
    }
    return {};
}

QString nameOf(WriterVerdict verdict)
{
    switch (verdict) {
    case WriterVerdict::Plausible:
        return QStringLiteral("plausible");
    case WriterVerdict::Reused:
        return QStringLiteral("reused");
    case WriterVerdict::Dead:
        return QStringLiteral("dead");
    case WriterVerdict::Unknown:
        return QStringLiteral("unknown");
    }
    return {};
}

QString validatePid(qint64 pid)
{
    if (pid <= 0)
        return QStringLiteral("PID %1 is not a process: PIDs start at 1 (0 and negative numbers name process groups)")
            .arg(pid);
    if (pid > ProcFs::pidMax())
        return QStringLiteral("PID %1 is out of range: this kernel's pid_max is %2").arg(pid).arg(ProcFs::pidMax());
    return {};
}

QString pidList(const QList<qint64>& pids, QStringView separator)
{
    QString out;
    for (qint64 pid : pids) {
        if (!out.isEmpty())
            out += separator;
        out += QString::number(pid);
    }
    return out;
}

std::optional<qint64> parsePid(QStringView text, QString* error)
{
    bool ok = false;
    const qint64 pid = text.trimmed().toLongLong(&ok);
    QString why;
    if (!ok)
        why = QStringLiteral("'%1' is not a PID: expected a whole number").arg(text);
    else
        why = validatePid(pid);
    if (!why.isEmpty()) {
        if (error)
            *error = why;
        return std::nullopt;
    }
    return pid;
}

Liveness livenessOf(qint64 pid)
{
    if (!validatePid(pid).isEmpty())
        return Liveness::Invalid;
    if (::kill(pid_t(pid), 0) != 0 && errno != EPERM)
        return Liveness::Dead;
    char path[32];
    std::snprintf(path, sizeof path, "/proc/%lld/stat", static_cast<long long>(pid));
    const ProcFs::ReadResult stat = ProcFs::readAt(AT_FDCWD, path, 4096);
    if (!stat.ok()) // exited between kill() and the read, or /proc hides it (hidepid): trust kill()
        return stat.error == ENOENT || stat.error == ESRCH ? Liveness::Dead : Liveness::Alive;
    const auto fields = parseStat(stat.data);
    return fields && isDeadState(fields->state) ? Liveness::Zombie : Liveness::Alive;
}

QList<qint64> listPids()
{
    QList<qint64> pids;
    DIR* proc = ::opendir("/proc");
    if (!proc)
        return pids;
    while (const dirent* e = ::readdir(proc)) {
        char* end = nullptr;
        const long long pid = std::strtoll(e->d_name, &end, 10);
        if (end != e->d_name && *end == '\0' && pid > 0)
            pids.append(pid);
    }
    ::closedir(proc);
    std::sort(pids.begin(), pids.end());
    return pids;
}

qint64 startTicksOf(qint64 pid)
{
    const auto stat = statOf(pid);
    return stat ? stat->startTicks : -1;
}

std::optional<ProcessStat> statOf(qint64 pid)
{
    if (!validatePid(pid).isEmpty())
        return std::nullopt;
    char path[32];
    std::snprintf(path, sizeof path, "/proc/%lld/stat", static_cast<long long>(pid));
    const ProcFs::ReadResult stat = ProcFs::readAt(AT_FDCWD, path, 4096);
    const auto fields = stat.ok() ? parseStat(stat.data) : std::nullopt;
    if (!fields)
        return std::nullopt;
    ProcessStat out;
    out.state = fields->state;
    out.ppid = fields->ppid;
    out.pgid = fields->pgid;
    out.sid = fields->sid;
    out.startTicks = fields->startTicks;
    return out;
}

bool descendsFrom(const ProcessInfo& process, qint64 ancestor)
{
    qint64 pid = process.ppid;
    for (int depth = 0; ancestor > 1 && pid > 1 && depth < 4096; ++depth) {
        if (pid == ancestor)
            return true;
        const std::optional<ProcessStat> stat = statOf(pid);
        if (!stat)
            return false;
        pid = stat->ppid;
    }
    return false;
}

ProcessInfo inspectProcess(qint64 pid)
{
    ProcessInfo info;
    info.pid = pid;
    if (const QString why = validatePid(pid); !why.isEmpty()) {
        info.liveness = Liveness::Invalid;
        info.problems.append(why);
        return info;
    }
    if (::kill(pid_t(pid), 0) == 0) {
        info.signalPermitted = true;
    } else if (errno != EPERM) {
        info.liveness = Liveness::Dead;
        return info;
    }

    char path[32];
    std::snprintf(path, sizeof path, "/proc/%lld", static_cast<long long>(pid));
    const int dirFd = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd < 0) {
        info.liveness = (errno == ENOENT || errno == ESRCH) ? Liveness::Dead : Liveness::Alive;
        if (info.liveness == Liveness::Alive)
            noteProblem(info, "/proc entry", errno);
        return info;
    }

    const ProcFs::ReadResult stat = ProcFs::readAt(dirFd, "stat", 4096);
    if (!stat.ok()) {
        ::close(dirFd);
        info.liveness = Liveness::Dead; // exited mid-read
        return info;
    }
    if (const auto fields = parseStat(stat.data)) {
        info.comm = fields->comm;
        info.state = fields->state;
        info.ppid = fields->ppid;
        info.pgid = fields->pgid;
        info.sid = fields->sid;
        info.startTicks = fields->startTicks;
        if (fields->startTicks >= 0)
            info.startTime = startTimeFromTicks(fields->startTicks);
    } else {
        info.problems.append(QStringLiteral("stat: unexpected format"));
    }
    info.liveness = isDeadState(info.state) ? Liveness::Zombie : Liveness::Alive;

    if (const ProcFs::ReadResult status = ProcFs::readAt(dirFd, "status", 64 * 1024); status.ok()) {
        parseStatus(status.data, info);
    } else {
        noteProblem(info, "status", status.error);
    }

    if (const ProcFs::ReadResult cmdline = ProcFs::readAt(dirFd, "cmdline"); cmdline.ok())
        info.argv = splitNulSeparated(cmdline.data);
    else
        noteProblem(info, "cmdline", cmdline.error);

    if (const ProcFs::ReadResult environ = ProcFs::readAt(dirFd, "environ"); environ.ok()) {
        info.environReadable = true;
        info.environment = splitNulSeparated(environ.data);
    } else {
        info.environError = ProcFs::errorText(environ.error);
    }

    if (const ProcFs::ReadResult exe = ProcFs::readLinkAt(dirFd, "exe"); exe.ok())
        info.exe = QString::fromUtf8(exe.data);
    else if (exe.error != EACCES && exe.error != EPERM && exe.error != ENOENT)
        noteProblem(info, "exe", exe.error);

    ::close(dirFd);
    return info;
}

bool ProcessInfo::sameUser() const
{
    return uid >= 0 && uid == qint64(::getuid());
}

QString ProcessInfo::environmentValue(QStringView key) const
{
    for (const QString& entry : environment) {
        if (entry.size() > key.size() && entry.startsWith(key) && entry.at(key.size()) == QLatin1Char('='))
            return entry.mid(key.size() + 1);
    }
    return {};
}

QJsonObject ProcessInfo::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("pid"), pid);
    o.insert(QStringLiteral("liveness"), nameOf(liveness));
    o.insert(QStringLiteral("alive"), isAlive());
    if (liveness == Liveness::Dead || liveness == Liveness::Invalid) {
        if (!problems.isEmpty())
            o.insert(QStringLiteral("problems"), QJsonArray::fromStringList(problems));
        return o;
    }
    o.insert(QStringLiteral("signalPermitted"), signalPermitted);
    if (!state.isNull())
        o.insert(QStringLiteral("state"), QString(state));
    o.insert(QStringLiteral("comm"), comm);
    o.insert(QStringLiteral("ppid"), ppid);
    o.insert(QStringLiteral("pgid"), pgid);
    o.insert(QStringLiteral("sid"), sid);
    o.insert(QStringLiteral("tgid"), tgid);
    o.insert(QStringLiteral("uid"), uid);
    o.insert(QStringLiteral("euid"), euid);
    o.insert(QStringLiteral("startTicks"), startTicks);
    if (startTime.isValid())
        o.insert(QStringLiteral("startTime"), startTime.toString(Qt::ISODateWithMs));
    o.insert(QStringLiteral("argv"), QJsonArray::fromStringList(argv));
    o.insert(QStringLiteral("exe"), exe);
    o.insert(QStringLiteral("environReadable"), environReadable);
    if (environReadable)
        o.insert(QStringLiteral("environ"), QJsonArray::fromStringList(environment));
    else
        o.insert(QStringLiteral("environError"), environError);
    if (!problems.isEmpty())
        o.insert(QStringLiteral("problems"), QJsonArray::fromStringList(problems));
    return o;
}

WriterJudgement judgeWriter(
    const ProcessInfo& process, const QDateTime& recordTime, std::chrono::milliseconds recordPrecision)
{
    WriterJudgement j;
    if (!process.isAlive()) {
        j.verdict = WriterVerdict::Dead;
        j.reason = QStringLiteral("no live process at PID %1 (%2)").arg(process.pid).arg(nameOf(process.liveness));
        return j;
    }
    if (!process.startTime.isValid() || !recordTime.isValid()) {
        j.verdict = WriterVerdict::Unknown;
        j.reason = process.startTime.isValid()
            ? QStringLiteral("PID %1 is alive; the record carries no time to compare its start with").arg(process.pid)
            : QStringLiteral("PID %1 is alive; its start time is unreadable").arg(process.pid);
        return j;
    }
    // Start times are truncated to clock ticks and file mtimes come from the coarse kernel clock
    // (one jiffy behind): allow two ticks besides the record's own precision.
    const qint64 slackMs = 2 * 1000 / ProcFs::clockTicksPerSecond() + recordPrecision.count();
    j.startedAfterMs = recordTime.msecsTo(process.startTime);
    if (j.startedAfterMs > slackMs) {
        j.verdict = WriterVerdict::Reused;
        j.reason = QStringLiteral("PID %1 is alive but started %2 ms after the record was written (%3 > %4): "
                                  "the PID was reused by another process")
                       .arg(process.pid)
                       .arg(j.startedAfterMs)
                       .arg(process.startTime.toString(Qt::ISODateWithMs), recordTime.toString(Qt::ISODateWithMs));
    } else {
        j.verdict = WriterVerdict::Plausible;
        j.reason = QStringLiteral("PID %1 is alive and started %2 ms before the record was written")
                       .arg(process.pid)
                       .arg(-j.startedAfterMs);
    }
    return j;
}

} // namespace Stateward
