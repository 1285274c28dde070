// SPDX-License-Identifier: GPL-3.0-or-later
#include "profileadapter.h"

#include "jsonfile.h"
#include "proc/paths.h"
#include "proc/probe.h"
#include "proc/procfs.h"
#include "proc/regularfile.h"
#include "repair/statedir.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QJsonDocument>
#include <QStandardPaths>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Stateward {

namespace {

    constexpr qint64 kMaxStateBytes = 1024 * 1024;
    constexpr qint64 kMaxRecogniseBytes = 4096;
    constexpr int kProbeTimeoutMs = 1000;
    // A state dir is a handful of files; a listing this long is not one, and is cut short.
    constexpr int kMaxEntries = 5000;

    QString baseDir(ProfileBase base, const QString& workspace)
    {
        switch (base) {
        case ProfileBase::Workspace:
            return cleanAbsolute(workspace);
        case ProfileBase::Tmp:
            return cleanAbsolute(QDir::tempPath()); // $TMPDIR, else /tmp
        case ProfileBase::Home:
            return cleanAbsolute(QDir::homePath());
        case ProfileBase::XdgCache:
            return cleanAbsolute(QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation));
        case ProfileBase::XdgState: {
            const QString state = qEnvironmentVariable("XDG_STATE_HOME");
            return cleanAbsolute(
                state.startsWith(QLatin1Char('/')) ? state : QDir::home().filePath(QStringLiteral(".local/state")));
        }
        case ProfileBase::XdgRuntime: {
            const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
            return runtime.startsWith(QLatin1Char('/')) ? cleanAbsolute(runtime) : QString();
        }
        }
        return {};
    }

    // The workspace as tools hash it: its real location, no trailing slash.
    QString canonicalWorkspace(const QString& workspace)
    {
        const QString canonical = QFileInfo(workspace).canonicalFilePath();
        return canonical.isEmpty() ? cleanAbsolute(workspace) : canonical;
    }

    bool samePath(const QString& a, const QString& b)
    {
        if (cleanAbsolute(a) == cleanAbsolute(b))
            return true;
        const QString ca = QFileInfo(a).canonicalFilePath();
        return !ca.isEmpty() && ca == QFileInfo(b).canonicalFilePath();
    }

    QString argvText(const ProcessInfo& p)
    {
        return p.argv.isEmpty() ? QStringLiteral("(no argv)") : p.argv.join(QLatin1Char(' ')).left(200);
    }

    QString cwdOf(qint64 pid)
    {
        const ProcFs::ReadResult r
            = ProcFs::readLinkAt(AT_FDCWD, QStringLiteral("/proc/%1/cwd").arg(pid).toLatin1().constData());
        return r.ok() ? QFile::decodeName(r.data) : QString();
    }

    // One entry of a state dir, relative to it, as lstat saw it.
    struct Entry
    {
        QString relative;
        QString path;
        FileStamp stamp;
        bool isSocket = false;
    };

    // Every entry under stateDir, never through a symlink, Stateward's own area left out.
    QList<Entry> listStateDir(const QString& stateDir, bool* truncated)
    {
        QList<Entry> out;
        *truncated = false;
        const QString prefix = stateDir + QLatin1Char('/');
        QDirIterator it(stateDir, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
            QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            const QString relative = path.mid(prefix.size());
            if (relative == QLatin1String(StateDir::kAreaName)
                || relative.startsWith(QLatin1String(StateDir::kAreaName) + QLatin1Char('/')))
                continue;
            if (relative.count(QLatin1Char('/')) >= 8)
                continue;
            struct stat st
            {
            };
            if (::lstat(QFile::encodeName(path).constData(), &st) != 0)
                continue; // gone since listed
            out.append({ relative, path, FileStamp::fromStat(st), S_ISSOCK(st.st_mode) });
            if (out.size() >= kMaxEntries) {
                *truncated = true;
                break;
            }
        }
        std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.relative < b.relative; });
        return out;
    }

    bool matches(const QString& glob, const QString& relative)
    {
        return profileGlob(glob).match(relative).hasMatch();
    }

    // For a state dir outside the workspace (a shared place such as $TMPDIR): every folder from the
    // base down to it must be a real directory of ours, or anyone could point it elsewhere.
    QString sharedPlaceProblem(const QString& base, const QString& stateDir)
    {
        QString path = base;
        const QStringList parts = stateDir.mid(base.size() + 1).split(QLatin1Char('/'));
        for (const QString& part : parts) {
            path += QLatin1Char('/') + part;
            struct stat st
            {
            };
            if (::lstat(QFile::encodeName(path).constData(), &st) != 0)
                return QStringLiteral("%1: %2").arg(path, ProcFs::errorText(errno));
            if (S_ISLNK(st.st_mode))
                return QStringLiteral("%1 is a symlink; not followed").arg(path);
            if (!S_ISDIR(st.st_mode))
                return QStringLiteral("%1 is not a directory").arg(path);
            if (st.st_uid != ::geteuid())
                return QStringLiteral("%1 belongs to uid %2, not to us").arg(path).arg(st.st_uid);
        }
        return {};
    }

    // What a pid file says, read once.
    struct PidFileRead
    {
        bool exists = false;
        QString problem; // why it names no PID; empty when pid > 0
        QString code; // the finding code for `problem`
        qint64 pid = -1;
        QString socket;
        int port = 0;
        QString version;
        QDateTime written;
    };

    PidFileRead readPidFile(const ProfilePidFile& rule, const QString& path)
    {
        PidFileRead r;
        const auto bad = [&r](const char* code, const QString& why) {
            r.code = QLatin1String(code);
            r.problem = why;
        };
        if (rule.json) {
            const JsonFile f = readJsonFile(path, kMaxStateBytes);
            r.exists = f.exists();
            if (!r.exists)
                return r;
            r.written = QDateTime::fromMSecsSinceEpoch(f.stamp.mtimeMs(), Qt::UTC);
            using Status = JsonFile::Status;
            if (f.status == Status::Symlink)
                bad("state-file-symlink", f.problem);
            else if (f.status == Status::Empty)
                bad("state-file-empty", f.problem);
            else if (f.status == Status::TooLarge)
                bad("state-file-too-large", f.problem);
            else if (f.status == Status::Unreadable)
                bad("state-file-unreadable", f.problem);
            else if (!f.ok())
                bad("state-file-malformed", f.problem);
            else if (const QJsonValue pid = f.object.value(rule.pidKey);
                     !pid.isDouble() || pid.toDouble() != double(pid.toInteger()) || pid.toInteger() <= 0)
                bad("state-file-malformed", QStringLiteral("no positive integer \"%1\" field").arg(rule.pidKey));
            else {
                r.pid = pid.toInteger();
                if (!rule.socketKey.isEmpty())
                    r.socket = f.object.value(rule.socketKey).toString();
                if (!rule.portKey.isEmpty())
                    r.port = f.object.value(rule.portKey).toInt();
                if (!rule.versionKey.isEmpty())
                    r.version = f.object.value(rule.versionKey).toVariant().toString();
            }
            return r;
        }
        const RegularFile f = readRegularFile(path, 64);
        r.exists = f.exists();
        if (!r.exists)
            return r;
        r.written = QDateTime::fromMSecsSinceEpoch(f.stamp.mtimeMs(), Qt::UTC);
        if (f.status == RegularFile::Status::Symlink)
            bad("state-file-symlink", f.problem);
        else if (f.status == RegularFile::Status::TooLarge)
            bad("state-file-too-large", f.problem);
        else if (!f.ok())
            bad("state-file-unreadable", f.problem);
        else if (f.bytes.trimmed().isEmpty())
            bad("state-file-empty", QStringLiteral("zero bytes"));
        else if (QString why; const std::optional<qint64> pid = parsePid(QString::fromLatin1(f.bytes.trimmed()), &why))
            r.pid = *pid;
        else
            bad("state-file-malformed", QStringLiteral("not one decimal PID: %1").arg(why));
        return r;
    }

    QString substitute(QString value, const QString& workspace, const QString& stateDir)
    {
        return value.replace(QLatin1String("{workspace}"), workspace).replace(QLatin1String("{stateDir}"), stateDir);
    }

} // namespace

ProfileAdapter::ProfileAdapter(ToolProfile profile, Family family, QString origin)
    : m_profile(std::move(profile))
    , m_family(family)
    , m_origin(std::move(origin))
{ }

QString ProfileAdapter::stateDirFor(const ProfileStateDir& spec, const QString& workspace)
{
    const QString base = baseDir(spec.base, workspace);
    if (base.isEmpty())
        return {};
    QString path = spec.path;
    path.replace(QLatin1String("{uid}"), QString::number(::getuid()));
    static const QRegularExpression hash(QStringLiteral("\\{workspace-sha256:([0-9]+)\\}"));
    for (QRegularExpressionMatch m = hash.match(path); m.hasMatch(); m = hash.match(path)) {
        const QByteArray digest
            = QCryptographicHash::hash(canonicalWorkspace(workspace).toUtf8(), QCryptographicHash::Sha256).toHex();
        path.replace(m.capturedStart(), m.capturedLength(), QString::fromLatin1(digest.left(m.captured(1).toInt())));
    }
    return base + QLatin1Char('/') + path;
}

QStringList ProfileAdapter::candidateStateDirs(const QString& workspace) const
{
    QStringList dirs;
    for (const ProfileStateDir& spec : m_profile.stateDirs) {
        const QString dir = stateDirFor(spec, workspace);
        if (!dir.isEmpty() && !dirs.contains(dir))
            dirs.append(dir);
    }
    return dirs;
}

const ProfileStateDir* ProfileAdapter::specOf(const QString& workspace, const QString& stateDir) const
{
    for (const ProfileStateDir& spec : m_profile.stateDirs) {
        if (stateDirFor(spec, workspace) == cleanAbsolute(stateDir))
            return &spec;
    }
    return nullptr;
}

bool ProfileAdapter::agesWithTime(const Snapshot& snapshot) const
{
    for (const ProfileStateDir& spec : m_profile.stateDirs) {
        if (spec.daemon)
            return true;
    }
    return SourceAdapter::agesWithTime(snapshot);
}

QString ProfileAdapter::daemonNoun() const
{
    for (const ProfileStateDir& spec : m_profile.stateDirs) {
        if (spec.daemon)
            return spec.daemon->noun;
    }
    return {};
}

QString ProfileAdapter::shapeMismatch(const ProfileDaemon& d, const ProcessInfo& p)
{
    if (!d.exe.isEmpty()) {
        // The program's file name, as /proc/<pid>/exe or argv[0] gives it: node run through a version
        // manager's shim, or a binary under another name, still names itself in argv[0].
        const QString exe = QFileInfo(p.exe).fileName();
        const QString arg0 = QFileInfo(p.argv.value(0)).fileName();
        bool ok = false;
        for (const QString& glob : d.exe) {
            const QRegularExpression re = profileArgGlob(glob);
            ok |= (!exe.isEmpty() && re.match(exe).hasMatch()) || (!arg0.isEmpty() && re.match(arg0).hasMatch());
        }
        if (!ok)
            return QStringLiteral("PID %1 runs %2, not %3")
                .arg(p.pid)
                .arg(exe.isEmpty() ? QStringLiteral("(unreadable exe)") : exe, d.exe.join(QStringLiteral(" or ")));
    }
    if (!d.argvTail.isEmpty()) {
        bool ok = p.argv.size() >= d.argvTail.size();
        for (qsizetype i = 0; ok && i < d.argvTail.size(); ++i) {
            const QString& arg = p.argv.at(p.argv.size() - d.argvTail.size() + i);
            // {workspace}: an absolute path here; which workspace it names is servesMismatch()'s test.
            ok = d.argvTail.at(i) == QLatin1String("{workspace}")
                ? arg.startsWith(QLatin1Char('/'))
                : profileArgGlob(d.argvTail.at(i)).match(arg).hasMatch();
        }
        if (!ok)
            return QStringLiteral("PID %1's argv (%2) does not end in %3")
                .arg(p.pid)
                .arg(argvText(p), d.argvTail.join(QLatin1Char(' ')));
    }
    return {};
}

QString ProfileAdapter::servesMismatch(const ProfileStateDir& spec, const ProcessInfo& p, const QString& stateDir)
{
    const ProfileDaemon& d = *spec.daemon;
    if (d.cwdIsWorkspace) {
        const QString cwd = cwdOf(p.pid);
        if (cwd.isEmpty())
            return QStringLiteral("PID %1's working directory is unreadable").arg(p.pid);
        if (!samePath(stateDirFor(spec, cwd), stateDir))
            return QStringLiteral("PID %1 runs in %2, a workspace whose state dir is not %3")
                .arg(p.pid)
                .arg(cwd, stateDir);
    }
    // An argument the profile names {workspace} (claude-flow's `--workspace <root>`) must be this workspace.
    for (qsizetype i = 0; i < d.argvTail.size(); ++i) {
        if (d.argvTail.at(i) != QLatin1String("{workspace}") || p.argv.size() < d.argvTail.size())
            continue;
        const QString arg = p.argv.at(p.argv.size() - d.argvTail.size() + i);
        if (!samePath(stateDirFor(spec, arg), stateDir))
            return QStringLiteral("PID %1 serves the workspace %2, whose state dir is not %3")
                .arg(p.pid)
                .arg(arg.left(200), stateDir);
    }
    // The environment is inherited by whatever the daemon starts and anyone may set it: it only
    // narrows a process that already has the daemon's shape.
    for (const auto& [name, pattern] : d.env) {
        if (!p.environReadable)
            return QStringLiteral("PID %1's environment is unreadable: %2").arg(p.pid).arg(p.environError);
        const QString value = p.environmentValue(name);
        const bool ok = pattern.contains(QLatin1String("{workspace}"))
            ? !value.isEmpty() && substitute(pattern, value, stateDir) == value
                && samePath(stateDirFor(spec, value), stateDir)
            : samePath(value, substitute(pattern, QString(), stateDir))
                || value == substitute(pattern, QString(), stateDir);
        if (!ok)
            return QStringLiteral("PID %1's %2 is '%3', not this state dir's").arg(p.pid).arg(name, value.left(200));
    }
    return {};
}

qint64 ProfileAdapter::namedPid(const ProfileStateDir& spec, const QString& stateDir)
{
    if (!spec.pidFile)
        return -1;
    return readPidFile(*spec.pidFile, QDir(stateDir).filePath(spec.pidFile->file)).pid;
}

QString ProfileAdapter::orphanMismatchFor(
    const ProfileStateDir& spec, const ProcessInfo& p, const QString& stateDir, qint64 named)
{
    if (!p.isAlive())
        return QStringLiteral("PID %1 is %2").arg(p.pid).arg(nameOf(p.liveness));
    if (!p.sameUser())
        return QStringLiteral("PID %1 belongs to uid %2, not to us").arg(p.pid).arg(p.uid);
    if (const QString why = shapeMismatch(*spec.daemon, p); !why.isEmpty())
        return why;
    if (p.startTicks < 0)
        return QStringLiteral("PID %1's start time is unreadable: it cannot be told from a later process").arg(p.pid);
    if (const QString why = servesMismatch(spec, p, stateDir); !why.isEmpty())
        return why;
    if (p.pid == named)
        return QStringLiteral("PID %1 is the daemon the pid file names").arg(p.pid);
    if (named > 0 && descendsFrom(p, named))
        return QStringLiteral("PID %1 was started by the daemon the pid file names (PID %2)").arg(p.pid).arg(named);
    return {};
}

QString ProfileAdapter::orphanMismatch(const ProcessInfo& p, const QString& stateDir, const Broker&) const
{
    // The workspace comes from the process itself (its cwd): the state dir must be exactly the one a
    // daemon there would use.
    QString why = QStringLiteral("%1 describes no daemon for %2").arg(m_profile.name, stateDir);
    for (const ProfileStateDir& spec : m_profile.stateDirs) {
        if (!spec.daemon || !spec.repairs.contains(RepairKind::TerminateOrphan))
            continue;
        why = orphanMismatchFor(spec, p, stateDir, namedPid(spec, stateDir));
        if (why.isEmpty())
            return {};
    }
    return why;
}

Snapshot ProfileAdapter::scan(const QString& workspace, const QString& stateDir, ScanContext& context) const
{
    Snapshot s;
    if (!beginSnapshot(s, m_family, workspace, stateDir))
        return s;
    const ProfileStateDir* specPtr = specOf(workspace, stateDir);
    if (!specPtr) {
        s.recognised.evidence = QStringLiteral("%1 is no state dir of the %2 profile").arg(stateDir, m_profile.name);
        return s;
    }
    const ProfileStateDir& spec = *specPtr;
    if (spec.base != ProfileBase::Workspace) {
        const QString base = baseDir(spec.base, workspace);
        if (const QString why = sharedPlaceProblem(base, cleanAbsolute(stateDir)); !why.isEmpty()) {
            s.addFinding(QStringLiteral("state-dir-not-ours"), Severity::Error, stateDir,
                QStringLiteral("the state directory is not a plain directory of ours; not scanned"), why);
            return s;
        }
    }

    bool truncated = false;
    const QList<Entry> entries = listStateDir(cleanAbsolute(stateDir), &truncated);
    if (truncated)
        s.addFinding(QStringLiteral("state-dir-too-large"), Severity::Warning, stateDir,
            QStringLiteral("more than %1 entries: the rest were not looked at").arg(kMaxEntries),
            QStringLiteral("%1 is no %2 state dir of the usual size").arg(stateDir, m_profile.tool));

    // Recognition: by content, never by the folder's name.
    QStringList evidence;
    QString layout;
    for (const ProfileRecognise& rule : spec.recognise) {
        for (const Entry& e : entries) {
            if (e.stamp.isSymlink || e.stamp.isDirectory
                || !(rule.file.isEmpty() ? matches(rule.glob, e.relative) : e.relative == rule.file))
                continue;
            bool ok = true;
            if (!rule.jsonKeys.isEmpty()) {
                const JsonFile f = readJsonFile(e.path, kMaxStateBytes);
                for (const QString& key : rule.jsonKeys)
                    ok &= f.ok() && f.object.contains(key);
            }
            if (ok && !rule.content.isEmpty()) {
                const RegularFile f = readRegularFile(e.path, kMaxRecogniseBytes, Overflow::KeepPrefix);
                ok = (f.ok() || f.status == RegularFile::Status::TooLarge)
                    && QRegularExpression(rule.content).match(QString::fromUtf8(f.bytes)).hasMatch();
            }
            if (ok) {
                evidence.append(rule.describe());
                if (layout.isEmpty())
                    layout = rule.layout;
                break;
            }
        }
    }
    if (evidence.isEmpty()) {
        s.recognised.evidence = QStringLiteral("none of %1 in %2")
                                    .arg(
                                        [&spec] {
                                            QStringList what;
                                            for (const ProfileRecognise& r : spec.recognise)
                                                what.append(r.describe());
                                            return what.join(QStringLiteral(", "));
                                        }(),
                                        stateDir);
        return s; // judged by nobody's rules
    }

    const auto allowed = [&spec](QList<RepairKind> kinds) {
        kinds.removeIf([&spec](RepairKind k) { return !spec.repairs.contains(k); });
        return kinds;
    };

    // The daemon the pid file names.
    qint64 named = -1;
    bool namedHealthy = false;
    QString version;
    const QString noun = spec.daemon ? spec.daemon->noun : m_profile.tool;
    if (spec.pidFile) {
        const QString pidPath = QDir(stateDir).filePath(spec.pidFile->file);
        const PidFileRead f = readPidFile(*spec.pidFile, pidPath);
        if (f.exists && f.pid <= 0) {
            // A symlink is moved aside as a link (rename never follows it), never read through.
            s.addFinding(f.code, f.code == QLatin1String("state-file-symlink") ? Severity::Error : Severity::Warning,
                pidPath, QStringLiteral("%1 names no %2").arg(spec.pidFile->file, noun), f.problem,
                allowed({ RepairKind::RemoveStateFile }));
        } else if (f.exists) {
            named = f.pid;
            if (!f.version.isEmpty())
                version = f.version;
            Broker b;
            b.id = QStringLiteral("%1:%2").arg(m_profile.name, pidPath);
            b.pid = f.pid;
            b.stateFile = pidPath;
            b.referencedBy = { pidPath };
            if (!f.socket.isEmpty())
                b.endpoint = QStringLiteral("unix:") + f.socket;
            else if (f.port > 0)
                b.endpoint = QStringLiteral("http://127.0.0.1:%1").arg(f.port);
            else if (!spec.sockets.isEmpty())
                b.endpoint = QStringLiteral("unix:") + QDir(stateDir).filePath(spec.sockets.constFirst());
            const ProcessInfo p = inspectProcess(f.pid);
            b.liveness = p.liveness;
            b.startTicks = p.startTicks;
            const WriterJudgement writer = judgeWriter(p, f.written);
            const FindingTarget target = FindingTarget::item(pidPath, b.id);
            if (!p.isAlive()) {
                s.addFinding(QStringLiteral("daemon-dead"), Severity::Warning, target,
                    QStringLiteral("%1 names a %2 that is gone").arg(spec.pidFile->file, noun), writer.reason,
                    allowed({ RepairKind::RemoveStateFile }));
            } else if (writer.verdict == WriterVerdict::Reused) {
                s.addFinding(QStringLiteral("daemon-pid-reused"), Severity::Warning, target,
                    QStringLiteral("%1 names a PID now used by another process").arg(spec.pidFile->file), writer.reason,
                    allowed({ RepairKind::RemoveStateFile }));
            } else {
                QString why = shapeMismatch(*spec.daemon, p);
                if (why.isEmpty())
                    why = servesMismatch(spec, p, stateDir);
                b.identityVerified = why.isEmpty();
                b.identityEvidence = b.identityVerified
                    ? QStringLiteral("exe %1, argv %2%3")
                          .arg(QFileInfo(p.exe).fileName(), argvText(p),
                              spec.daemon->cwdIsWorkspace ? QStringLiteral(", runs in the workspace") : QString())
                    : why;
                if (!b.identityVerified) {
                    s.addFinding(QStringLiteral("daemon-unverified"), Severity::Warning, target,
                        QStringLiteral("PID %1 is alive but is not this workspace's %2").arg(b.pid).arg(noun),
                        b.identityEvidence, allowed({ RepairKind::RemoveStateFile }));
                } else if (spec.daemon->health != ProfileHealth::None) {
                    const QString socket = !f.socket.isEmpty() ? f.socket
                        : spec.sockets.isEmpty()               ? QString()
                                                               : QDir(stateDir).filePath(spec.sockets.constFirst());
                    const ProbeResult health = spec.daemon->health == ProfileHealth::Http
                        ? (f.port > 0 && f.port < 65536
                                ? probeHttpLoopback(quint16(f.port), "/health", kProbeTimeoutMs)
                                : ProbeResult { false, 0, {}, QStringLiteral("no usable port"), 0 })
                        : probeUnixSocket(socket, kProbeTimeoutMs);
                    const bool healthy
                        = health.connected && (spec.daemon->health != ProfileHealth::Http || health.httpStatus == 200);
                    b.reachable = health.connected;
                    namedHealthy = healthy;
                    if (!healthy) // a live but unresponsive daemon is never signalled for it
                        s.addFinding(QStringLiteral("daemon-unhealthy"), Severity::Warning, target,
                            QStringLiteral("%1 PID %2 does not answer").arg(noun).arg(b.pid),
                            health.connected
                                ? QStringLiteral("HTTP %1 after %2 ms").arg(health.httpStatus).arg(health.elapsedMs)
                                : QStringLiteral("%1: %2").arg(b.endpoint, health.error));
                } else {
                    namedHealthy = true;
                }
            }
            s.brokers.append(b);
        }
    }

    // Daemons of this state dir that no pid file names: they hold a socket and memory forever.
    if (spec.daemon) {
        for (const ProcessInfo& p : context.processes()) {
            if (!shapeMismatch(*spec.daemon, p).isEmpty() || !orphanMismatchFor(spec, p, stateDir, named).isEmpty())
                continue;
            if (!startupGraceLeft(p, context.now(), spec.daemon->graceSecs).isEmpty())
                continue; // may still be starting; the repair acts only on this very process
            Broker orphan;
            orphan.id = QStringLiteral("%1-orphan:%2:%3").arg(m_profile.name, stateDir).arg(p.pid);
            orphan.pid = p.pid;
            orphan.startTicks = p.startTicks;
            orphan.liveness = p.liveness;
            orphan.identityVerified = true;
            orphan.identityEvidence
                = QStringLiteral("exe %1, argv %2, serves %3").arg(QFileInfo(p.exe).fileName(), argvText(p), stateDir);
            orphan.stateFile = spec.pidFile ? QDir(stateDir).filePath(spec.pidFile->file) : stateDir;
            s.brokers.append(orphan);
            s.addFinding(QStringLiteral("daemon-orphan"), Severity::Warning,
                FindingTarget::process(orphan.stateFile, p.pid, orphan.id),
                QStringLiteral("%1 PID %2 runs for this workspace but no pid file names it").arg(noun).arg(p.pid),
                orphan.identityEvidence, allowed({ RepairKind::TerminateOrphan }));
        }
    }

    // Sockets: one nobody listens on, with no live daemon named, is litter the tool replaces.
    for (const QString& socket : spec.sockets) {
        for (const Entry& e : entries) {
            if (e.relative != socket)
                continue;
            if (!e.isSocket) {
                s.addFinding(QStringLiteral("socket-not-socket"), Severity::Warning, e.path,
                    QStringLiteral("%1 is not a socket").arg(socket),
                    e.stamp.isSymlink ? QStringLiteral("a symlink; not followed") : QStringLiteral("some other file"));
            } else if (!namedHealthy) {
                const ProbeResult probe = probeUnixSocket(e.path, kProbeTimeoutMs);
                if (!probe.connected)
                    s.addFinding(QStringLiteral("socket-stale"), Severity::Warning, e.path,
                        QStringLiteral("%1: no %2 listens on it").arg(socket, noun), probe.error,
                        allowed({ RepairKind::RemoveStateFile }));
            }
        }
    }

    // Locks and tmp files the profile names, judged by the rules every adapter shares.
    QList<std::pair<QString, LockDialect>> locks;
    QList<std::pair<const Entry*, const ProfileTmp*>> tmps;
    for (const Entry& e : entries) {
        for (const ProfileLock& rule : spec.locks) {
            // A directory is a lock only in the directory dialects; an owner-dir lock is never a file.
            const bool dirDialect = rule.dialect == LockDialect::Mkdir || rule.dialect == LockDialect::OwnerDir;
            if ((e.stamp.isDirectory ? dirDialect : rule.dialect != LockDialect::OwnerDir)
                && matches(rule.glob, e.relative)) {
                locks.append({ e.path, rule.dialect });
                break;
            }
        }
        for (const ProfileTmp& rule : spec.tmp) {
            if (!e.stamp.isDirectory && rule.regex.match(e.relative).hasMatch()) {
                tmps.append({ &e, &rule });
                break;
            }
        }
    }
    LockScanOptions options;
    options.foreign = [&locks, &tmps](const QString& path) {
        for (const auto& [p, d] : locks) {
            if (p == path)
                return true;
        }
        for (const auto& [e, r] : tmps) {
            if (e->path == path)
                return true;
        }
        return false;
    };
    scanLocksAndTempFiles(s, context, options);
    const LockJudge judge = context.judge();
    for (const auto& [path, dialect] : std::as_const(locks))
        addLockHolder(s, { QStringLiteral("lock:") + path, judge.judge(path, dialect) });
    for (const auto& [e, rule] : std::as_const(tmps)) {
        TmpFileName name;
        name.recognised = true;
        name.family = m_profile.name;
        name.pattern = rule->pattern;
        const QRegularExpressionMatch m = rule->regex.match(e->relative);
        name.ownerPid
            = m.captured(QStringLiteral("pid")).isEmpty() ? -1 : m.captured(QStringLiteral("pid")).toLongLong();
        name.target = QFileInfo(e->relative).fileName();
        name.idleLimitMs = rule->idleSecs * 1000;
        addTempFile(s, context, e->path, e->stamp.isSymlink, name);
    }

    for (const ProfileMarker& marker : spec.markers) {
        for (const Entry& e : entries) {
            if (e.relative == marker.file && !e.stamp.isDirectory)
                s.addFinding(QStringLiteral("tool-marker"), Severity::Info, e.path, marker.summary,
                    QStringLiteral("%1 exists (%2 bytes)").arg(marker.file).arg(e.stamp.size));
        }
    }

    // Whatever the shared scan proposes, only the repairs the profile allows.
    for (Finding& f : s.findings)
        f.repairs = allowed(f.repairs);

    int logs = 0;
    for (const Entry& e : entries) {
        for (const QString& glob : spec.logs)
            logs += !e.stamp.isDirectory && matches(glob, e.relative) ? 1 : 0;
    }
    if (logs > 0)
        evidence.append(QStringLiteral("%1 log file%2").arg(logs).arg(logs == 1 ? QString() : QStringLiteral("s")));
    s.recognised.tool = m_profile.tool;
    s.recognised.layout = layout.isEmpty() ? QStringLiteral("profile %1").arg(m_profile.name) : layout;
    if (!version.isEmpty())
        s.recognised.layout += QStringLiteral(", version %1").arg(version.left(40));
    s.recognised.evidence = evidence.join(QStringLiteral(", "));
    return s;
}

// The profile's own codes (docs/problems.md, Profile tools), worded with the daemon's noun; the
// shared codes (locks, tmp files, symlinks) are grouped by the default rules after this.
void ProfileAdapter::groupProblems(ProblemBuilder& b) const
{
    const Snapshot& s = b.snapshot();
    QString noun = daemonNoun();
    if (noun.isEmpty())
        noun = m_profile.tool + QLatin1String(" daemon");

    if (const QList<Finding> dark
        = b.take({ QStringLiteral("state-file-symlink"), QStringLiteral("state-file-too-large"),
            QStringLiteral("state-file-unreadable"), QStringLiteral("state-dir-not-ours") });
        !dark.isEmpty()) {
        const Finding& f = dark.first();
        Problem p = b.start(QStringLiteral("state-unchecked"), Impact::Blocks, dark);
        p.title = QStringLiteral("%1: the %2 is not checked").arg(f.summary, noun);
        p.explanation = f.evidence + QLatin1Char('.');
        p.manualFix = QStringLiteral("Look at what %1 is (Stateward never follows a link or reads another user's "
                                     "files), then remove or fix it.")
                          .arg(f.target.path);
        b.add(p);
    }

    // A pid file naming no daemon of its own: the tool starts a new one when it needs one.
    if (const QList<Finding> state = b.take({ QStringLiteral("state-file-empty"),
            QStringLiteral("state-file-malformed"), QStringLiteral("daemon-dead"), QStringLiteral("daemon-pid-reused"),
            QStringLiteral("daemon-unverified"), QStringLiteral("socket-stale"), QStringLiteral("socket-not-socket") });
        !state.isEmpty()) {
        const Finding& f = state.first();
        Problem p = b.start(QStringLiteral("state-file"), Impact::Litter, state);
        p.title = state.size() == 1
            ? f.summary
            : QStringLiteral("%1 (and %2)").arg(f.summary, counted(state.size() - 1, QStringLiteral("more file")));
        p.explanation = QStringLiteral("%1. The files name no running %2; %3 starts a new one when it needs one. "
                                       "Stateward never signals a process a stale file names.")
                            .arg(f.evidence, noun, m_profile.tool);
        b.add(p);
    }

    for (const Finding& f : b.take(QStringLiteral("daemon-unhealthy"))) {
        Problem p = b.start(QStringLiteral("daemon-unhealthy"), Impact::Blocks, { f });
        p.title = QStringLiteral("the %1 does not answer").arg(noun);
        p.explanation
            = QStringLiteral("%1: %2. A live daemon is never signalled for being slow.").arg(f.summary, f.evidence);
        p.manualFix = QStringLiteral("Wait; if it stays so, stop it with %1's own command, or kill the process.")
                          .arg(m_profile.tool);
        b.add(p);
    }

    for (const Finding& f : b.take(QStringLiteral("daemon-orphan"))) {
        Problem p = b.start(QStringLiteral("daemon-orphan:%1").arg(f.target.pid), Impact::WastesMemory, { f });
        p.title = QStringLiteral("orphan %1 PID %2 runs for nobody").arg(noun).arg(f.target.pid);
        p.explanation = QStringLiteral("No state file in %1 names it, so %2 will never stop it. %3.")
                            .arg(s.stateDir, m_profile.tool, f.evidence);
        p.fixLabel = QStringLiteral("Stop orphan daemon");
        b.add(p);
    }
}

} // namespace Stateward
