// SPDX-License-Identifier: GPL-3.0-or-later
#include "gstacksource.h"

#include "jsonfile.h"
#include "lock/tmpfiles.h"
#include "proc/probe.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace Stateward {

namespace {

    // Paths compare by the directory's real location: /tmp may be a symlink, and the daemon was
    // told an absolute path by its CLI.
    QString canonicalFilePath(const QString& path)
    {
        const QFileInfo info(path);
        const QString dir = QFileInfo(info.absolutePath()).canonicalFilePath();
        return dir.isEmpty() ? info.absoluteFilePath() : QDir(dir).filePath(info.fileName());
    }

    bool runsFor(const ProcessInfo& p, const QString& canonicalStateFile)
    {
        const QString env = p.environmentValue(u"BROWSE_STATE_FILE");
        return !env.isEmpty() && canonicalFilePath(env) == canonicalStateFile;
    }

    QString argOk(bool ok)
    {
        return ok ? QStringLiteral("matches bun run …/server.ts") : QStringLiteral("does not match");
    }

    QString argvText(const ProcessInfo& p)
    {
        return p.argv.isEmpty() ? QStringLiteral("(no argv)") : p.argv.join(QLatin1Char(' ')).left(200);
    }

    QString num(qint64 value)
    {
        return QString::number(value);
    }

    // gstack by what its files are: browse.json of the daemon's shape, its lock and tmp names, the
    // /codex skill's scratch files in tmp/. The era from browse.json's fields and the tmp naming.
    Recognition recognise(const Snapshot& s, const JsonFile& state, const QStringList& scratch)
    {
        QStringList files;
        QString layout;
        if (state.ok() && state.object.value(QStringLiteral("pid")).isDouble()
            && state.object.contains(QStringLiteral("port"))) {
            files.append(QStringLiteral("browse.json {pid, port, …}"));
            layout = state.object.contains(QStringLiteral("configHash"))
                    || state.object.contains(QStringLiteral("xvfbPid"))
                ? QStringLiteral("browse daemon, v1.68-style browse.json")
                : QStringLiteral("browse daemon");
        }
        const QString ownDir = s.stateDir + QLatin1Char('/');
        for (const LockHolder& l : s.locks) {
            if (QFileInfo(l.verdict.path).fileName() == QLatin1String("browse.json.lock"))
                files.append(QStringLiteral("browse.json.lock"));
        }
        int tmpFiles = 0;
        bool perWriterTmp = false;
        for (const TempFile& t : s.tempFiles) {
            if (t.name.family == QLatin1String("gstack") && t.path.startsWith(ownDir)) {
                ++tmpFiles;
                perWriterTmp |= t.name.pattern.startsWith(QLatin1String("browse.json.tmp.<pid>"));
            }
        }
        if (tmpFiles > scratch.size())
            files.append(
                QStringLiteral("%1 gstack tmp files%2")
                    .arg(tmpFiles - scratch.size())
                    .arg(perWriterTmp ? QStringLiteral(" (browse.json.tmp.<pid>.<hex>: v1.30 or later)") : QString()));
        if (!scratch.isEmpty())
            files.append(QStringLiteral("%1 /codex scratch files in tmp/").arg(scratch.size()));
        if (!state.ok() && !s.brokers.isEmpty()) // orphans: gstack's argv, started for this browse.json
            files.append(QStringLiteral("a gstack daemon started for this browse.json"));
        Recognition r;
        if (files.isEmpty()) {
            r.evidence
                = QStringLiteral("none of browse.json, browse.json.lock or a gstack tmp name in %1").arg(s.stateDir);
            return r;
        }
        r.tool = QStringLiteral("gstack (garrytan/gstack)");
        r.layout = layout.isEmpty() ? QStringLiteral("no daemon state") : layout;
        r.evidence = files.join(QStringLiteral(", "));
        return r;
    }

} // namespace

bool looksLikeGstackDaemon(const ProcessInfo& p)
{
    // Exactly what cli.ts spawns: `bun run <abs>/server.ts`, nothing before or after.
    return p.argv.size() == 3 && QFileInfo(p.argv.at(0)).fileName() == QLatin1String("bun")
        && p.argv.at(1) == QLatin1String("run") && QFileInfo(p.argv.at(2)).fileName() == QLatin1String("server.ts")
        && QFileInfo(p.argv.at(2)).isAbsolute();
}

QString GstackSource::chromiumProfileLock()
{
    // resolveGstackHome(): $GSTACK_HOME, else ~/.gstack.
    const QString home = qEnvironmentVariable("GSTACK_HOME", QDir::home().filePath(QStringLiteral(".gstack")));
    return QDir(home).filePath(QStringLiteral("chromium-profile/SingletonLock"));
}

QStringList GstackSource::candidateStateDirs(const QString& workspace) const
{
    return { QDir(workspace).filePath(QStringLiteral(".gstack")) };
}

QString GstackSource::orphanMismatch(const ProcessInfo& p, const QString& stateDir, const Broker&) const
{
    return orphanDaemonMismatch(p, QDir(stateDir).filePath(QStringLiteral("browse.json")), namedDaemonPid(stateDir));
}

QString GstackSource::orphanDaemonMismatch(const ProcessInfo& p, const QString& stateFile, qint64 namedPid)
{
    if (!p.isAlive())
        return QStringLiteral("PID %1 is %2").arg(p.pid).arg(nameOf(p.liveness));
    if (!p.sameUser())
        return QStringLiteral("PID %1 belongs to uid %2, not to us").arg(p.pid).arg(p.uid);
    // The environment is inherited by everything the daemon starts, and anyone can set it: it only
    // narrows a process that already has the daemon's own argv down to this workspace.
    if (!looksLikeGstackDaemon(p))
        return QStringLiteral("PID %1 is not a gstack daemon (argv %2)").arg(num(p.pid), argvText(p));
    if (p.startTicks < 0)
        return QStringLiteral("PID %1's start time is unreadable: it cannot be told from a later process").arg(p.pid);
    if (!runsFor(p, canonicalFilePath(stateFile)))
        return QStringLiteral("PID %1 is not started for %2 (BROWSE_STATE_FILE %3)")
            .arg(num(p.pid), stateFile, p.environReadable ? p.environmentValue(u"BROWSE_STATE_FILE") : p.environError);
    if (p.pid == namedPid)
        return QStringLiteral("PID %1 is the daemon browse.json names").arg(p.pid);
    // What the daemon starts (Playwright's Chromium, the terminal agent) inherits its environment.
    if (descendsFrom(p, namedPid))
        return QStringLiteral("PID %1 was started by the daemon browse.json names (PID %2)").arg(p.pid).arg(namedPid);
    return {};
}

qint64 GstackSource::namedDaemonPid(const QString& stateDir)
{
    const JsonFile f = readJsonFile(QDir(stateDir).filePath(QStringLiteral("browse.json")), kMaxStateBytes);
    const QJsonValue pid = f.object.value(QStringLiteral("pid"));
    return f.ok() && pid.isDouble() ? pid.toInteger() : -1;
}

Snapshot GstackSource::scan(const QString& workspace, const QString& stateDir, ScanContext& context) const
{
    Snapshot s;
    if (!beginSnapshot(s, Family::Gstack, workspace, stateDir))
        return s;
    const QString stateFile = QDir(stateDir).filePath(QStringLiteral("browse.json"));
    const QString canonicalState = canonicalFilePath(stateFile);
    qint64 namedPid = -1;

    using Status = JsonFile::Status;
    const JsonFile file = readJsonFile(stateFile, kMaxStateBytes); // never blocks on a FIFO
    if (file.exists()) {
        if (file.status == Status::Symlink) {
            s.addFinding(QStringLiteral("state-file-symlink"), Severity::Error, stateFile,
                QStringLiteral("browse.json is a symlink; not followed"),
                QStringLiteral("points to %1").arg(QFileInfo(stateFile).symLinkTarget()));
        } else if (file.status == Status::TooLarge) {
            s.addFinding(QStringLiteral("state-file-too-large"), Severity::Warning, stateFile,
                QStringLiteral("browse.json is too large to be gstack's"),
                QStringLiteral("%1 bytes; gstack writes a few hundred").arg(file.stamp.size));
        } else if (file.status == Status::Unreadable) {
            s.addFinding(QStringLiteral("state-file-unreadable"), Severity::Error, stateFile,
                QStringLiteral("cannot read browse.json"), file.problem);
        } else if (file.status == Status::Empty) {
            s.addFinding(QStringLiteral("state-file-empty"), Severity::Warning, stateFile,
                QStringLiteral("browse.json is empty"),
                QStringLiteral("%1 bytes; gstack reads it as no state and starts a new daemon").arg(file.bytes.size()),
                { RepairKind::RemoveStateFile });
        } else if (!file.ok() || !file.object.value(QStringLiteral("pid")).isDouble()) {
            s.addFinding(QStringLiteral("state-file-malformed"), Severity::Warning, stateFile,
                QStringLiteral("browse.json is not gstack's daemon state"),
                file.ok() ? QStringLiteral("no numeric \"pid\" field") : file.problem, { RepairKind::RemoveStateFile });
        } else {
            const QJsonObject& state = file.object;
            Broker b;
            b.id = QStringLiteral("gstack:") + stateFile;
            b.pid = state.value(QStringLiteral("pid")).toInteger();
            namedPid = b.pid;
            const int port = state.value(QStringLiteral("port")).toInt();
            b.endpoint = QStringLiteral("http://127.0.0.1:%1").arg(port);
            b.stateFile = stateFile;
            b.referencedBy = { stateFile };
            const QString serverPath = state.value(QStringLiteral("serverPath")).toString();
            const QDateTime startedAt
                = QDateTime::fromString(state.value(QStringLiteral("startedAt")).toString(), Qt::ISODateWithMs);
            const ProcessInfo p = inspectProcess(b.pid);
            b.liveness = p.liveness;
            b.startTicks = p.startTicks;
            const WriterJudgement writer = judgeWriter(p, startedAt);
            if (!p.isAlive()) {
                s.addFinding(QStringLiteral("daemon-dead"), Severity::Warning, FindingTarget::item(stateFile, b.id),
                    QStringLiteral("browse.json names a daemon that is gone"), writer.reason,
                    { RepairKind::RemoveStateFile });
            } else if (writer.verdict == WriterVerdict::Reused) {
                s.addFinding(QStringLiteral("daemon-pid-reused"), Severity::Warning,
                    FindingTarget::item(stateFile, b.id),
                    QStringLiteral("browse.json names a PID now used by another process"), writer.reason,
                    { RepairKind::RemoveStateFile });
            } else {
                const bool argvOk = looksLikeGstackDaemon(p) && (serverPath.isEmpty() || p.argv.contains(serverPath));
                const bool envOk = runsFor(p, canonicalState);
                // The argv proves a daemon; an environment naming another state file disproves it is
                // this one. An environment alone proves nothing (any child of the daemon has it).
                const bool envOther = !envOk && !p.environmentValue(u"BROWSE_STATE_FILE").isEmpty();
                b.identityVerified = argvOk && !envOther;
                b.identityEvidence = QStringLiteral("argv %1 (%2); BROWSE_STATE_FILE %3")
                                         .arg(argOk(argvOk), argvText(p),
                                             p.environReadable ? (envOk ? QStringLiteral("names this file")
                                                                        : QStringLiteral("does not name this file"))
                                                               : QStringLiteral("unreadable"));
                if (!b.identityVerified) {
                    s.addFinding(QStringLiteral("daemon-unverified"), Severity::Warning,
                        FindingTarget::item(stateFile, b.id),
                        QStringLiteral("PID %1 is alive but is not this workspace's gstack daemon").arg(b.pid),
                        b.identityEvidence, { RepairKind::RemoveStateFile });
                } else if (port <= 0 || port > 65535) {
                    s.addFinding(QStringLiteral("daemon-unhealthy"), Severity::Warning,
                        FindingTarget::item(stateFile, b.id), QStringLiteral("browse.json carries no usable port"),
                        QStringLiteral("port %1").arg(state.value(QStringLiteral("port")).toVariant().toString()));
                } else {
                    const ProbeResult health = probeHttpLoopback(quint16(port), "/health", kHealthTimeoutMs);
                    const QString status
                        = QJsonDocument::fromJson(health.body).object().value(QStringLiteral("status")).toString();
                    const bool healthy = health.httpStatus == 200 && status == QLatin1String("healthy");
                    b.reachable = health.connected;
                    if (!healthy) {
                        // gstack's own rule: a live but unresponsive daemon is never killed automatically.
                        s.addFinding(QStringLiteral("daemon-unhealthy"), Severity::Warning,
                            FindingTarget::item(stateFile, b.id),
                            QStringLiteral("gstack daemon PID %1 does not report healthy").arg(b.pid),
                            health.connected
                                ? QStringLiteral("GET /health on port %1: HTTP %2, status '%3' after %4 ms")
                                      .arg(port)
                                      .arg(health.httpStatus)
                                      .arg(status)
                                      .arg(health.elapsedMs)
                                : QStringLiteral("port %1: %2").arg(port).arg(health.error));
                    }
                }
            }
            s.brokers.append(b);
        }
    }

    // Daemons started for this state file that no browse.json names (it was deleted or
    // overwritten by a racing start): they hold a port and a browser until their idle timeout.
    for (const ProcessInfo& p : context.processes()) {
        if (!orphanDaemonMismatch(p, stateFile, namedPid).isEmpty())
            continue;
        // Not written yet by a daemon still starting; the repair acts only on this very process.
        if (!startupGraceLeft(p, context.now(), kDaemonGraceSecs).isEmpty())
            continue;
        Broker orphan;
        orphan.id = QStringLiteral("gstack-orphan:%1:%2").arg(stateFile).arg(p.pid);
        orphan.pid = p.pid;
        orphan.startTicks = p.startTicks;
        orphan.liveness = p.liveness;
        orphan.identityVerified = true;
        orphan.identityEvidence = QStringLiteral("BROWSE_STATE_FILE names %1; argv %2").arg(stateFile, argvText(p));
        orphan.stateFile = stateFile;
        s.brokers.append(orphan);
        s.addFinding(QStringLiteral("daemon-orphan"), Severity::Warning,
            FindingTarget::process(stateFile, p.pid, orphan.id),
            QStringLiteral("gstack daemon PID %1 runs for this workspace but browse.json does not name it").arg(p.pid),
            orphan.identityEvidence, { RepairKind::TerminateOrphan });
    }

    scanLocksAndTempFiles(s, context);

    // .gstack/tmp/: gstack's TMP_ROOT when neither TMPDIR nor TMP is set, where the /codex skill's
    // mktemp scratch files stay behind when a run is cut short (gstack #2627). Listed without
    // following anything; a name of no gstack file there is left alone.
    QStringList scratch;
    const QString tmpArea = QDir(stateDir).filePath(QStringLiteral("tmp"));
    if (const std::optional<FileStamp> area = FileStamp::ofPath(tmpArea); area && area->isDirectory) {
        for (const QString& name :
            QDir(tmpArea).entryList(QDir::Files | QDir::System | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name)) {
            const TmpFileName tmp = recogniseGstackScratchName(name);
            const QString path = QDir(tmpArea).filePath(name);
            const std::optional<FileStamp> st = FileStamp::ofPath(path);
            if (tmp.recognised && st && !st->isDirectory) {
                addTempFile(s, context, path, st->isSymlink, tmp);
                scratch.append(QStringLiteral("tmp/") + name);
            }
        }
    }

    // Chromium's SingletonLock: one profile for every project, so it is shown with each.
    const QString profileLock = chromiumProfileLock();
    if (FileStamp::ofPath(profileLock)) {
        LockHolder holder { QStringLiteral("lock:") + profileLock,
            context.judge().judge(profileLock, LockDialect::ChromiumSingleton) };
        // Shown with its verdict and never a finding here: a dead holder's lock is Chromium's to
        // take over (on this host) and gstack's to clear before its next launch, never ours.
        s.locks.append(holder);
    }

    s.recognised = recognise(s, file, scratch);
    return s;
}

} // namespace Stateward

namespace Stateward {

void GstackSource::groupProblems(ProblemBuilder& b) const
{
    const Snapshot& s = b.snapshot();
    const QString stateFile = QDir(s.stateDir).filePath(QStringLiteral("browse.json"));

    if (const QList<Finding> dark = b.take({ QStringLiteral("state-file-symlink"),
            QStringLiteral("state-file-too-large"), QStringLiteral("state-file-unreadable") });
        !dark.isEmpty()) {
        const Finding& f = dark.first();
        Problem p = b.start(QStringLiteral("state-file-unchecked"), Impact::Blocks, dark);
        p.title = QStringLiteral("%1: the gstack daemon is not checked").arg(f.summary);
        p.explanation = f.evidence + QLatin1Char('.');
        p.manualFix = f.code == QLatin1String("state-file-unreadable")
            ? QStringLiteral("Fix the permissions of %1 (gstack writes it with mode 0600 for its own user).")
                  .arg(stateFile)
            : f.code == QLatin1String("state-file-symlink")
            ? QStringLiteral("Remove the link %1: gstack writes a new file when it starts its daemon.").arg(stateFile)
            : QStringLiteral("Look at what %1 is, then remove it.").arg(stateFile);
        b.add(p);
    }

    // browse.json naming no daemon of its own: one file, one fix.
    if (const QList<Finding> state
        = b.take({ QStringLiteral("state-file-empty"), QStringLiteral("state-file-malformed"),
            QStringLiteral("daemon-dead"), QStringLiteral("daemon-pid-reused"), QStringLiteral("daemon-unverified") });
        !state.isEmpty()) {
        const Finding& f = state.first();
        Problem p = b.start(QStringLiteral("state-file"), Impact::Litter, state);
        p.title = f.summary;
        p.explanation = QStringLiteral("%1. gstack starts a new daemon when it needs one, so the file is only stale; "
                                       "Stateward never signals the process it names.")
                            .arg(f.evidence);
        p.fixLabel = QStringLiteral("Remove stale browse.json");
        b.add(p);
    }

    for (const Finding& f : b.take(QStringLiteral("daemon-unhealthy"))) {
        qint64 pid = -1;
        for (const Broker& daemon : s.brokers) {
            if (daemon.id == f.target.itemId)
                pid = daemon.pid;
        }
        Problem p = b.start(QStringLiteral("daemon-unhealthy"), Impact::Blocks, { f });
        p.title = QStringLiteral("the gstack daemon does not report healthy");
        p.explanation = QStringLiteral("%1: %2. gstack never kills a live daemon that is merely busy, and neither "
                                       "does Stateward.")
                            .arg(f.summary, f.evidence);
        p.manualFix = QStringLiteral("Wait; if it stays so, stop it: browse stop, or kill -9 %1 (a headless daemon "
                                     "ignores SIGTERM).")
                          .arg(pid);
        b.add(p);
    }

    for (const Finding& f : b.take(QStringLiteral("daemon-orphan"))) {
        Problem p = b.start(QStringLiteral("daemon-orphan:%1").arg(f.target.pid), Impact::WastesMemory, { f });
        p.title = QStringLiteral("orphan gstack daemon PID %1 runs for nobody").arg(f.target.pid);
        p.explanation = QStringLiteral("It was started for this browse.json, which does not name it: the loser of "
                                       "two racing starts. It holds a port and a browser until its idle timeout. "
                                       "%1.")
                            .arg(f.evidence);
        p.fixLabel = QStringLiteral("Stop orphan daemon");
        b.add(p);
    }
}

} // namespace Stateward
