// SPDX-License-Identifier: GPL-3.0-or-later
#include "codexsource.h"

#include "jsonfile.h"
#include "proc/probe.h"
#include "proc/procfs.h"
#include "proc/regularfile.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Stateward {

namespace {

    // Upstream uses `git rev-parse --show-toplevel`; the nearest ancestor holding .git (a
    // directory, or a file for worktrees) is the same answer without running git.
    QString workspaceRoot(const QString& workspace)
    {
        const QString canonical = QFileInfo(workspace).canonicalFilePath();
        if (canonical.isEmpty()) // does not exist: upstream falls back to the path as given
            return QFileInfo(workspace).absoluteFilePath();
        for (QDir d(canonical);;) {
            if (QFileInfo::exists(d.filePath(QStringLiteral(".git"))))
                return d.path();
            if (!d.cdUp())
                break;
        }
        return QFileInfo(workspace).absoluteFilePath();
    }

    QJsonObject readStateFile(const QString& path, QString* problem)
    {
        const JsonFile f = readJsonFile(path, CodexSource::kMaxStateBytes);
        *problem = f.problem;
        return f.object;
    }

    // Paths compare by where they really are: $TMPDIR or the plugin data folder may be reached
    // through a symlink, and a broker's environment names them as its companion saw them.
    QString realDir(const QString& path)
    {
        const QString canonical = QFileInfo(path).canonicalFilePath();
        return canonical.isEmpty() ? QDir::cleanPath(QFileInfo(path).absoluteFilePath()) : canonical;
    }

    // "codex 1.0.5" from <plugin root>/.claude-plugin/plugin.json; "" when it cannot be read.
    QString pluginManifest(const QString& pluginRoot)
    {
        if (pluginRoot.isEmpty())
            return {};
        const JsonFile f = readJsonFile(pluginRoot + QLatin1String("/.claude-plugin/plugin.json"), 64 * 1024);
        const QString name = f.object.value(QStringLiteral("name")).toString();
        if (!f.ok() || name.isEmpty())
            return {};
        const QString version = f.object.value(QStringLiteral("version")).toString();
        return version.isEmpty() ? name : name + QLatin1Char(' ') + version;
    }

    // Why path (when it exists) cannot be opened for reading, "" when it can or is absent.
    QString openProblem(const QString& path, bool directory)
    {
        const QByteArray p = QFile::encodeName(path);
        struct stat st
        {
        };
        if (::lstat(p.constData(), &st) != 0)
            return errno == ENOENT ? QString() : QStringLiteral("%1: %2").arg(path, ProcFs::errorText(errno));
        if (directory != S_ISDIR(st.st_mode))
            return {}; // not what it should be: the scan reports that itself
        const int fd
            = ::open(p.constData(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | (directory ? O_DIRECTORY : 0));
        if (fd < 0)
            return QStringLiteral("%1: %2").arg(path, ProcFs::errorText(errno));
        // A directory we may list but not enter shows names whose files cannot be opened.
        const bool searchable = !directory || ::faccessat(fd, ".", X_OK, AT_EACCESS) == 0;
        const int error = errno;
        ::close(fd);
        return searchable ? QString() : QStringLiteral("%1: %2").arg(path, ProcFs::errorText(error));
    }

    QDateTime isoTime(const QJsonObject& o, const char* key)
    {
        return QDateTime::fromString(o.value(QLatin1String(key)).toString(), Qt::ISODateWithMs);
    }

    Job jobFrom(const QJsonObject& o, const QString& stateDir)
    {
        Job j;
        j.jobId = o.value(QStringLiteral("id")).toString();
        j.id = QStringLiteral("codex:%1:%2").arg(stateDir, j.jobId);
        j.title = o.value(QStringLiteral("title")).toString();
        j.kind = o.value(QStringLiteral("kind")).toString();
        j.status = o.value(QStringLiteral("status")).toString();
        j.pid = o.value(QStringLiteral("pid")).isDouble() ? o.value(QStringLiteral("pid")).toInteger() : -1;
        j.startedAt = isoTime(o, "startedAt").isValid() ? isoTime(o, "startedAt") : isoTime(o, "createdAt");
        j.updatedAt = isoTime(o, "updatedAt");
        return j;
    }

    // Every session dir the broker.json of a state dir other than stateDir names (in every state
    // root), to the broker.json files naming it.
    QMultiHash<QString, QString> sessionDirsNamed(const QString& exceptStateDir)
    {
        QMultiHash<QString, QString> named;
        for (const QString& root : CodexSource::stateRoots()) {
            for (const QString& name : QDir(root).entryList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::Hidden)) {
                const QString other = QDir(root).filePath(name);
                if (realDir(other) == realDir(exceptStateDir))
                    continue;
                const QString brokerJson = other + QLatin1String("/broker.json");
                const JsonFile f = readJsonFile(brokerJson, CodexSource::kMaxStateBytes);
                const QString session = f.object.value(QStringLiteral("sessionDir")).toString();
                if (f.ok() && !session.isEmpty())
                    named.insert(QDir::cleanPath(session), brokerJson);
            }
        }
        return named;
    }

    // What a session dir holds, and how long ago anything in it changed (lstat: never followed).
    QString describeSessionDir(const QString& dir, qint64* ageSecs)
    {
        QStringList contents;
        qint64 newestNs = FileStamp::ofPath(dir).value_or(FileStamp {}).mtimeNs;
        for (const QString& name :
            QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System, QDir::Name)) {
            const std::optional<FileStamp> st = FileStamp::ofPath(dir + QLatin1Char('/') + name);
            if (!st)
                continue;
            newestNs = std::max(newestNs, st->mtimeNs);
            contents.append(
                st->isDirectory ? name + QLatin1Char('/') : QStringLiteral("%1 (%2 bytes)").arg(name).arg(st->size));
        }
        *ageSecs = (QDateTime::currentMSecsSinceEpoch() - newestNs / 1000000) / 1000;
        return contents.isEmpty() ? QStringLiteral("empty") : contents.join(QStringLiteral(", "));
    }

    // What <dir>/broker.pid says, for the evidence (the broker writes it itself at startup).
    QString describePidFile(const QString& dir)
    {
        const QString path = dir + QLatin1String("/broker.pid");
        const std::optional<FileStamp> st = FileStamp::ofPath(path);
        if (!st)
            return QStringLiteral("no broker.pid");
        if (st->isSymlink || st->isDirectory || st->size > 64)
            return QStringLiteral("broker.pid is not a small regular file; not read");
        const RegularFile f = readRegularFile(path, 64);
        if (!f.ok())
            return QStringLiteral("broker.pid unreadable: %1").arg(f.problem);
        QString error;
        const std::optional<qint64> pid = parsePid(QString::fromLatin1(f.bytes).trimmed(), &error);
        if (!pid)
            return QStringLiteral("broker.pid holds no PID (%1)").arg(error);
        const ProcessInfo p = inspectProcess(*pid);
        if (!p.isAlive())
            return QStringLiteral("broker.pid names PID %1, which is %2").arg(*pid).arg(nameOf(p.liveness));
        return QStringLiteral("broker.pid names PID %1, alive but not a codex broker serving this dir (argv %2)")
            .arg(*pid)
            .arg(p.argv.join(QLatin1Char(' ')).left(160));
    }

    // $TMPDIR/cxc-XXXXXX session dirs (mkdtemp) that no live broker uses. Only upstream's
    // teardownBrokerSession removes one, and it never runs for a broker that died or lost the start
    // race, so they pile up (docs/formats/codex.md; upstream issues #543, #660). A session dir
    // names no workspace: every codex snapshot lists the unused ones, saying whether its
    // broker.json names it.
    void findOrphanSessionDirs(Snapshot& s, const QHash<QString, qint64>& liveSessions, const QString& namedSession)
    {
        const QDir tmp(QDir::tempPath());
        // Another workspace's broker.json naming a dir makes it that workspace's (its own scan
        // reports it, its repair keeps the files in its quarantine, its undo sees them).
        const QMultiHash<QString, QString> namedElsewhere = sessionDirsNamed(s.stateDir);
        for (const QFileInfo& d : tmp.entryInfoList(
                 { QStringLiteral("cxc-*") }, QDir::Dirs | QDir::NoDotAndDotDot | QDir::NoSymLinks | QDir::Hidden)) {
            const QString path = d.absoluteFilePath();
            if (!CodexSource::isSessionDirPath(path) || d.ownerId() != ::geteuid() || liveSessions.contains(path)
                || namedElsewhere.contains(path))
                continue;
            qint64 age = 0;
            const QString contents = describeSessionDir(path, &age);
            if (age < CodexSource::kSessionGraceSecs) // a broker may still be starting in it
                continue;
            const bool named = QFileInfo(namedSession).absoluteFilePath() == path && !namedSession.isEmpty();
            s.addFinding(QStringLiteral("session-dir-orphan"), Severity::Warning, path,
                QStringLiteral("codex broker session directory with no live broker"),
                QStringLiteral("%1; holds %2; unchanged for %3 s%4")
                    .arg(describePidFile(path), contents)
                    .arg(age)
                    .arg(named ? QStringLiteral("; this workspace's broker.json names it")
                               : QStringLiteral("; no live broker's --pid-file is in it")),
                { RepairKind::RemoveSessionDir });
        }
    }

} // namespace

namespace {
    // The companion's broker script and the root its companion falls back to without
    // $CLAUDE_PLUGIN_DATA: upstream's, and that of a plugin that copies it under other names
    // (thxCode/kimi-code-plugin-cc: acp-broker.mjs, $TMPDIR/kimi-companion, kxc-* session dirs).
    struct BrokerScript
    {
        QLatin1StringView script;
        QLatin1StringView tmpRoot;
    };
    constexpr BrokerScript kBrokerScripts[] {
        { QLatin1StringView("app-server-broker.mjs"), QLatin1StringView("codex-companion") },
        { QLatin1StringView("acp-broker.mjs"), QLatin1StringView("kimi-companion") },
    };

    const BrokerScript* brokerScriptOf(const ProcessInfo& p)
    {
        if (p.argv.size() < 3 || p.argv.at(2) != QLatin1String("serve"))
            return nullptr;
        const QString name = QFileInfo(p.argv.at(1)).fileName();
        for (const BrokerScript& b : kBrokerScripts) {
            if (name == b.script)
                return &b;
        }
        return nullptr;
    }
    // Which plugin's codex-companion layout this is, from its content and place (never the folder's
    // name alone): state.json of the companion's shape, job files, broker.json; the plugin from the
    // named broker's plugin.json, else the plugin data folder it lies in.
    Recognition recognise(
        const CodexSource::Placement& placement, const QString& stateDir, const Snapshot& s, const QString& namedPlugin)
    {
        const QDir dir(stateDir);
        QStringList files;
        const JsonFile state = readJsonFile(dir.filePath(QStringLiteral("state.json")), CodexSource::kMaxStateBytes);
        if (state.ok() && state.object.value(QStringLiteral("jobs")).isArray())
            files.append(QStringLiteral("state.json {version, config, jobs}"));
        else if (state.exists())
            files.append(QStringLiteral("state.json (unreadable as the companion's)"));
        const int jobFiles = int(QDir(dir.filePath(QStringLiteral("jobs")))
                                     .entryList({ QStringLiteral("*.json") }, QDir::Files | QDir::Hidden)
                                     .size());
        if (jobFiles > 0)
            files.append(QStringLiteral("%1 jobs/*.json").arg(jobFiles));
        if (QFileInfo::exists(dir.filePath(QStringLiteral("broker.json"))))
            files.append(QStringLiteral("broker.json"));
        Recognition r;
        if (files.isEmpty()) {
            r.evidence = QStringLiteral("none of state.json, jobs/*.json, broker.json in %1").arg(placement.where);
            return r;
        }
        // generateJobId: task-… and review-…; copies of the layout use their own prefixes.
        bool codexIds = !s.jobs.isEmpty();
        for (const Job& j : s.jobs)
            codexIds &= j.jobId.startsWith(QLatin1String("task-")) || j.jobId.startsWith(QLatin1String("review-"));
        const QString namedName = namedPlugin.section(QLatin1Char(' '), 0, 0);
        const bool codex = !namedName.isEmpty() ? namedName == QLatin1String("codex")
            : placement.pluginId.isEmpty()
            ? true // the companion's own tmp root
            : placement.pluginId == QLatin1String("codex") || placement.pluginId.startsWith(QLatin1String("codex-"))
                || (!placement.where.startsWith(QLatin1Char('~')) && (codexIds || s.jobs.isEmpty()));
        r.tool = codex ? QStringLiteral("codex companion (openai/codex-plugin-cc)")
                       : QStringLiteral("%1 (copies the codex companion's layout)")
                             .arg(namedName.isEmpty() ? placement.pluginId : namedName);
        r.layout
            = QStringLiteral("v1.0.5-style, state.json + jobs/%1")
                  .arg(files.contains(QStringLiteral("broker.json")) ? QStringLiteral(" + broker.json") : QString());
        r.evidence
            = QStringLiteral("%1 in %2%3")
                  .arg(files.join(QStringLiteral(", ")), placement.where,
                      namedPlugin.isEmpty() ? QString()
                                            : QStringLiteral("; the named broker runs plugin %1").arg(namedPlugin));
        return r;
    }
} // namespace

bool looksLikeCodexBroker(const ProcessInfo& p)
{
    return brokerScriptOf(p) != nullptr;
}

QString brokerPluginRoot(const ProcessInfo& p)
{
    if (p.argv.size() < 2)
        return {};
    const QFileInfo script(p.argv.at(1));
    if (!script.isAbsolute() || QFileInfo(script.path()).fileName() != QLatin1String("scripts"))
        return {};
    return QFileInfo(script.path()).path();
}

// Job ids become file names: anything but upstream's shape is a finding, never a path.
bool CodexSource::isSafeJobId(const QString& id)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"));
    return re.match(id).hasMatch() && !id.contains(QLatin1String(".."));
}

QString argumentAfter(const QStringList& argv, QStringView flag)
{
    const qsizetype i = argv.indexOf(flag.toString());
    return i >= 0 && i + 1 < argv.size() ? argv.at(i + 1) : QString();
}

QString CodexSource::orphanBrokerMismatch(const ProcessInfo& p, const QString& stateDir, qint64 namedPid)
{
    if (!p.isAlive())
        return QStringLiteral("PID %1 is %2").arg(p.pid).arg(nameOf(p.liveness));
    if (!p.sameUser())
        return QStringLiteral("PID %1 belongs to uid %2, not to us").arg(p.pid).arg(p.uid);
    if (!looksLikeCodexBroker(p))
        return QStringLiteral("PID %1 is not a codex broker (argv %2)")
            .arg(p.pid)
            .arg(p.argv.join(QLatin1Char(' ')).left(160));
    const QString cwd = argumentAfter(p.argv, u"--cwd");
    if (cwd.isEmpty() || stateDirName(cwd) != QFileInfo(stateDir).fileName())
        return QStringLiteral("PID %1 serves another workspace (--cwd %2)").arg(p.pid).arg(cwd);
    // Per plugin: the same workspace has a state dir under each plugin's data folder (and the tmp
    // root); a broker is an orphan only of the one its companion used.
    QString why;
    const QString root = brokerStateRoot(p, &why);
    if (root.isEmpty())
        return QStringLiteral("PID %1: %2; which plugin's state it serves cannot be told").arg(p.pid).arg(why);
    if (realDir(root) != realDir(QFileInfo(stateDir).path()))
        return QStringLiteral("PID %1 belongs to the state root %2 (its companion's environment), not %3")
            .arg(p.pid)
            .arg(root, QFileInfo(stateDir).path());
    if (p.pid == namedPid)
        return QStringLiteral("PID %1 is the broker broker.json names").arg(p.pid);
    if (descendsFrom(p, namedPid))
        return QStringLiteral("PID %1 was started by the broker broker.json names (PID %2)").arg(p.pid).arg(namedPid);
    return {};
}

const QStringList& CodexSource::keyOrder()
{
    static const QStringList order { QStringLiteral("version"), QStringLiteral("config"), QStringLiteral("jobs"),
        QStringLiteral("id"), QStringLiteral("kind"), QStringLiteral("kindLabel"), QStringLiteral("title"),
        QStringLiteral("workspaceRoot"), QStringLiteral("jobClass"), QStringLiteral("summary"), QStringLiteral("cwd"),
        QStringLiteral("model"), QStringLiteral("effort"), QStringLiteral("prompt"), QStringLiteral("write"),
        QStringLiteral("resumeLast"), QStringLiteral("jobId"), QStringLiteral("createdAt"), QStringLiteral("sessionId"),
        QStringLiteral("updatedAt"), QStringLiteral("status"), QStringLiteral("phase"), QStringLiteral("pid"),
        QStringLiteral("logFile"), QStringLiteral("request"), QStringLiteral("startedAt"), QStringLiteral("threadId"),
        QStringLiteral("turnId"), QStringLiteral("completedAt"), QStringLiteral("errorMessage"),
        QStringLiteral("result"), QStringLiteral("finalMessage"), QStringLiteral("rendered") };
    return order;
}

bool CodexSource::isSessionDirPath(const QString& path)
{
    static const QRegularExpression shape(QStringLiteral("^cxc-[A-Za-z0-9]{6}$"));
    const QFileInfo info(path);
    return info.isAbsolute() && QDir::cleanPath(info.path()) == QDir::cleanPath(QDir::tempPath())
        && shape.match(info.fileName()).hasMatch();
}

qint64 CodexSource::namedBrokerPid(const QString& stateDir)
{
    const JsonFile f = readJsonFile(QDir(stateDir).filePath(QStringLiteral("broker.json")), kMaxStateBytes);
    const QJsonValue pid = f.object.value(QStringLiteral("pid"));
    return f.ok() && pid.isDouble() ? pid.toInteger() : -1;
}

QString CodexSource::stateDirName(const QString& workspace)
{
    const QString root = workspaceRoot(workspace);
    QString slug = QFileInfo(root).fileName();
    slug.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]+")), QStringLiteral("-"));
    while (slug.startsWith(QLatin1Char('-')))
        slug.remove(0, 1);
    while (slug.endsWith(QLatin1Char('-')))
        slug.chop(1);
    if (slug.isEmpty())
        slug = QStringLiteral("workspace");
    const QString real = QFileInfo(root).canonicalFilePath();
    const QByteArray hash
        = QCryptographicHash::hash((real.isEmpty() ? root : real).toUtf8(), QCryptographicHash::Sha256).toHex();
    return slug + QLatin1Char('-') + QString::fromLatin1(hash.left(16));
}

QStringList CodexSource::stateRoots()
{
    QStringList roots;
    if (const QString data = qEnvironmentVariable("CLAUDE_PLUGIN_DATA"); !data.isEmpty())
        roots.append(QDir(data).filePath(QStringLiteral("state")));
    const QDir plugins(QDir::home().filePath(QStringLiteral(".claude/plugins/data")));
    for (const QString& name : plugins.entryList(QDir::Dirs | QDir::NoDotAndDotDot))
        roots.append(plugins.filePath(name + QLatin1String("/state")));
    roots.append(QDir(QDir::tempPath()).filePath(QStringLiteral("codex-companion")));
    roots.removeDuplicates();
    return roots;
}

CodexSource::Placement CodexSource::placementOf(const QString& stateDir)
{
    Placement p;
    p.root = QFileInfo(QDir::cleanPath(stateDir)).path();
    const QString tmpRoot = QDir(QDir::tempPath()).filePath(QStringLiteral("codex-companion"));
    if (realDir(p.root) == realDir(tmpRoot)) {
        p.where = QStringLiteral("$TMPDIR/codex-companion (a companion run without $CLAUDE_PLUGIN_DATA)");
        return p;
    }
    const QString pluginData = QFileInfo(p.root).path(); // <data>/<id> above state/
    p.pluginId = QFileInfo(pluginData).fileName();
    const QString plugins = QDir::home().filePath(QStringLiteral(".claude/plugins/data"));
    p.where = realDir(QFileInfo(pluginData).path()) == realDir(plugins)
        ? QStringLiteral("~/.claude/plugins/data/%1/state").arg(p.pluginId)
        : QStringLiteral("$CLAUDE_PLUGIN_DATA/state (%1)").arg(pluginData);
    return p;
}

QString CodexSource::brokerStateRoot(const ProcessInfo& p, QString* why)
{
    if (!p.environReadable) {
        *why = QStringLiteral("its environment is unreadable (%1)").arg(p.environError);
        return {};
    }
    if (const QString data = p.environmentValue(u"CLAUDE_PLUGIN_DATA"); !data.isEmpty())
        return QDir::cleanPath(data + QLatin1String("/state"));
    // node's os.tmpdir(): TMPDIR, TMP, TEMP, else /tmp; then the companion's (or copy's) folder.
    QString tmp;
    for (QStringView key : { u"TMPDIR", u"TMP", u"TEMP" }) {
        if (tmp.isEmpty())
            tmp = p.environmentValue(key);
    }
    const BrokerScript* script = brokerScriptOf(p);
    if (!script) {
        *why = QStringLiteral("not a broker");
        return {};
    }
    return QDir::cleanPath((tmp.isEmpty() ? QStringLiteral("/tmp") : tmp) + QLatin1Char('/') + script->tmpRoot);
}

QStringList CodexSource::sessionDirNamedElsewhere(const QString& sessionDir, const QString& stateDir)
{
    return sessionDirsNamed(stateDir).values(QDir::cleanPath(sessionDir));
}

QString CodexSource::unreadable(const QString& stateDir)
{
    QStringList problems;
    for (const auto& [path, directory] :
        { std::pair { stateDir, true }, std::pair { QDir(stateDir).filePath(QStringLiteral("jobs")), true },
            std::pair { QDir(stateDir).filePath(QStringLiteral("state.json")), false } }) {
        if (const QString why = openProblem(path, directory); !why.isEmpty()) {
            problems.append(why);
            if (path == stateDir)
                break; // nothing inside can be told apart
        }
    }
    return problems.join(QStringLiteral("; "));
}

QStringList CodexSource::candidateStateDirs(const QString& workspace) const
{
    const QString name = stateDirName(workspace);
    QStringList dirs;
    for (const QString& root : stateRoots())
        dirs.append(QDir(root).filePath(name));
    return dirs;
}

QString CodexSource::orphanMismatch(const ProcessInfo& p, const QString& stateDir, const Broker& seen) const
{
    if (const QString why = orphanBrokerMismatch(p, stateDir, namedBrokerPid(stateDir)); !why.isEmpty())
        return why;
    if (const QString endpoint = argumentAfter(p.argv, u"--endpoint"); endpoint != seen.endpoint)
        return QStringLiteral("PID %1 now serves --endpoint %2, not %3").arg(p.pid).arg(endpoint, seen.endpoint);
    if (const QString session = QFileInfo(argumentAfter(p.argv, u"--pid-file")).absolutePath();
        session != seen.sessionDir)
        return QStringLiteral("PID %1's --pid-file is in %2, not %3").arg(p.pid).arg(session, seen.sessionDir);
    return {};
}

Snapshot CodexSource::scan(const QString& workspace, const QString& stateDir, ScanContext& context) const
{
    Snapshot s;
    if (!beginSnapshot(s, Family::Codex, workspace, stateDir))
        return s;
    const Placement placement = placementOf(stateDir);
    // What cannot be read is a finding, never an empty state: listing a directory we may not read
    // gives nothing, and "0 jobs, 0 findings" would hide every job in it.
    if (const QString why = unreadable(stateDir); !why.isEmpty()) {
        s.recognised.evidence
            = QStringLiteral("%1 cannot be read, so its content cannot tell which tool wrote it").arg(placement.where);
        s.addFinding(QStringLiteral("state-unreadable"), Severity::Error, stateDir,
            QStringLiteral("the codex state directory cannot be read: its jobs are not seen"),
            QStringLiteral("%1; nothing in it is judged, rebuilt or exported until it can be read").arg(why));
        return s;
    }
    const QDir dir(stateDir);
    const QDir jobsDir(dir.filePath(QStringLiteral("jobs")));
    QSet<QString> jobFiles; // ids with jobs/<id>.json
    for (const QFileInfo& f : jobsDir.entryInfoList({ QStringLiteral("*.json") }, QDir::Files | QDir::Hidden))
        jobFiles.insert(f.completeBaseName());

    // state.json: upstream resets an unparsable one and then deletes every indexed job's files.
    const QString statePath = dir.filePath(QStringLiteral("state.json"));
    QSet<QString> indexed;
    if (QFileInfo::exists(statePath) || QFileInfo(statePath).isSymLink()) {
        QString problem;
        const QJsonObject state = readStateFile(statePath, &problem);
        if (problem.isEmpty() && !state.value(QStringLiteral("jobs")).isArray())
            problem = QStringLiteral("no \"jobs\" array");
        if (!problem.isEmpty()) {
            s.addFinding(QStringLiteral("state-corrupt"), Severity::Critical, statePath,
                QStringLiteral("state.json cannot be read: codex-companion will reset it and delete job files"),
                QStringLiteral("%1; on its next save upstream treats every job as pruned and deletes its .json and "
                               ".log: %2 job files in jobs/ are at risk")
                    .arg(problem)
                    .arg(jobFiles.size()),
                { RepairKind::ReplaceCorruptIndex });
        }
        const QJsonArray jobs = state.value(QStringLiteral("jobs")).toArray();
        if (jobs.size() > kUpstreamJobLimit) {
            s.addFinding(QStringLiteral("jobs-over-limit"), Severity::Warning, statePath,
                QStringLiteral("%1 jobs in state.json; upstream keeps %2").arg(jobs.size()).arg(kUpstreamJobLimit),
                QStringLiteral("on its next save codex-companion keeps the %1 most recently updated and deletes the "
                               "files of the other %2")
                    .arg(kUpstreamJobLimit)
                    .arg(jobs.size() - kUpstreamJobLimit));
        }
        for (const QJsonValue& value : jobs) {
            const QJsonObject o = value.toObject();
            Job j = jobFrom(o, stateDir);
            if (!isSafeJobId(j.jobId)) {
                s.addFinding(QStringLiteral("job-id-unsafe"), Severity::Error, statePath,
                    QStringLiteral("a job id that is not a plain file name"),
                    QStringLiteral("id '%1' would name a path outside jobs/; never used as a path")
                        .arg(j.jobId.left(120)));
                continue;
            }
            indexed.insert(j.jobId);
            j.inIndex = true;
            if (jobFiles.contains(j.jobId))
                j.recordFile = jobsDir.filePath(j.jobId + QLatin1String(".json"));
            const QString log = o.value(QStringLiteral("logFile")).toString();
            if (!log.isEmpty()) {
                if (QFileInfo(log).absoluteFilePath().startsWith(
                        QFileInfo(stateDir).absoluteFilePath() + QLatin1Char('/')))
                    j.logFile = log;
                else
                    s.addFinding(QStringLiteral("path-outside-state-dir"), Severity::Warning, statePath,
                        QStringLiteral("job %1 names a log file outside its state directory").arg(j.jobId),
                        QStringLiteral("logFile '%1'; Stateward never touches it").arg(log));
            }
            if (!jobFiles.contains(j.jobId)) {
                s.addFinding(QStringLiteral("job-file-missing"), Severity::Warning,
                    FindingTarget::entry(statePath, j.jobId, j.id),
                    QStringLiteral("state.json lists job %1 but jobs/%1.json does not exist").arg(j.jobId),
                    QStringLiteral("status '%1', updated %2").arg(j.status, j.updatedAt.toString(Qt::ISODate)),
                    { RepairKind::DropDanglingEntry });
            }
            if ((j.status == QLatin1String("queued") || j.status == QLatin1String("running")) && j.pid > 0) {
                const ProcessInfo p = inspectProcess(j.pid);
                j.liveness = p.liveness;
                const WriterJudgement w = judgeWriter(p, j.startedAt);
                if (w.verdict == WriterVerdict::Dead || w.verdict == WriterVerdict::Reused) {
                    s.addFinding(QStringLiteral("job-dead-running"), Severity::Warning,
                        FindingTarget::entry(statePath, j.jobId, j.id),
                        QStringLiteral("job %1 is '%2' but its process is gone").arg(j.jobId, j.status), w.reason,
                        { RepairKind::MarkFailed });
                }
            }
            s.jobs.append(j);
        }
    }
    for (const QString& id : std::as_const(jobFiles)) {
        if (indexed.contains(id))
            continue;
        const QString path = jobsDir.filePath(id + QLatin1String(".json"));
        QString problem;
        Job j = jobFrom(readStateFile(path, &problem), stateDir);
        j.jobId = id;
        j.id = QStringLiteral("codex:%1:%2").arg(stateDir, id);
        j.recordFile = path;
        s.jobs.append(j);
        s.addFinding(QStringLiteral("job-file-unindexed"), Severity::Warning, FindingTarget::item(path, j.id),
            QStringLiteral("job %1 has a file but state.json does not list it").arg(id),
            problem.isEmpty() ? QStringLiteral("status '%1'; lost from the index by a racing save").arg(j.status)
                              : QStringLiteral("and the file itself is unreadable: %1").arg(problem),
            { RepairKind::Reindex });
    }

    // broker.json: the broker it names must be alive, be that broker, and answer on its socket.
    const QString brokerPath = dir.filePath(QStringLiteral("broker.json"));
    qint64 namedBroker = -1;
    QString namedSession;
    QString namedPlugin; // plugin.json of the named broker's plugin root, when it is verified
    if (QFileInfo::exists(brokerPath) || QFileInfo(brokerPath).isSymLink()) {
        QString problem;
        const QJsonObject o = readStateFile(brokerPath, &problem);
        if (!problem.isEmpty()) {
            s.addFinding(QStringLiteral("broker-state-malformed"), Severity::Warning, brokerPath,
                QStringLiteral("broker.json cannot be read"), problem, { RepairKind::RemoveStateFile });
        } else {
            Broker b;
            b.id = QStringLiteral("codex:") + brokerPath;
            b.pid = o.value(QStringLiteral("pid")).isDouble() ? o.value(QStringLiteral("pid")).toInteger() : -1;
            namedBroker = b.pid;
            b.endpoint = o.value(QStringLiteral("endpoint")).toString();
            b.sessionDir = o.value(QStringLiteral("sessionDir")).toString();
            namedSession = b.sessionDir;
            b.stateFile = brokerPath;
            b.referencedBy = { brokerPath };
            const QString pidFile = o.value(QStringLiteral("pidFile")).toString();
            const ProcessInfo p = b.pid > 0 ? inspectProcess(b.pid) : ProcessInfo {};
            b.liveness = b.pid > 0 ? p.liveness : Liveness::Invalid;
            b.startTicks = p.startTicks;
            if (!b.sessionDir.isEmpty() && !QFileInfo(b.sessionDir).isDir()) {
                s.addFinding(QStringLiteral("broker-session-missing"), Severity::Warning,
                    FindingTarget::item(brokerPath, b.id),
                    QStringLiteral("broker.json names a session directory that does not exist"), b.sessionDir,
                    { RepairKind::RemoveStateFile });
            }
            if (!p.isAlive()) {
                s.addFinding(QStringLiteral("broker-dead"), Severity::Warning, FindingTarget::item(brokerPath, b.id),
                    QStringLiteral("broker.json names a broker that is gone"),
                    b.pid > 0 ? QStringLiteral("no live process at PID %1 (%2)").arg(b.pid).arg(nameOf(p.liveness))
                              : QStringLiteral("no PID recorded"),
                    { RepairKind::RemoveStateFile });
            } else {
                // The PID alone proves nothing (stale broker.json files name unrelated live
                // processes): the argv must be the broker's, and the process must have started
                // before broker.json was written (upstream writes it once the broker answers).
                const std::optional<FileStamp> written = FileStamp::ofPath(brokerPath);
                const WriterJudgement start = judgeWriter(
                    p, written ? QDateTime::fromMSecsSinceEpoch(written->mtimeMs(), Qt::UTC) : QDateTime());
                b.identityVerified = looksLikeCodexBroker(p) && argumentAfter(p.argv, u"--endpoint") == b.endpoint
                    && argumentAfter(p.argv, u"--pid-file") == pidFile && start.verdict != WriterVerdict::Reused;
                b.identityEvidence
                    = QStringLiteral("argv %1; %2").arg(p.argv.join(QLatin1Char(' ')).left(240), start.reason);
                if (b.identityVerified)
                    namedPlugin = pluginManifest(brokerPluginRoot(p));
                if (!b.identityVerified) {
                    s.addFinding(QStringLiteral("broker-unverified"), Severity::Warning,
                        FindingTarget::item(brokerPath, b.id),
                        QStringLiteral("PID %1 is alive but is not the broker broker.json describes").arg(b.pid),
                        b.identityEvidence, { RepairKind::RemoveStateFile });
                } else if (b.endpoint.startsWith(QLatin1String("unix:"))) {
                    const ProbeResult r = probeUnixSocket(b.endpoint.mid(5), kSocketTimeoutMs);
                    b.reachable = r.connected;
                    if (!r.connected)
                        s.addFinding(QStringLiteral("broker-unreachable"), Severity::Warning,
                            FindingTarget::item(brokerPath, b.id),
                            QStringLiteral("broker PID %1 does not accept connections").arg(b.pid),
                            QStringLiteral("%1: %2").arg(b.endpoint, r.error));
                }
            }
            s.brokers.append(b);
        }
    }

    // Brokers started for this workspace that broker.json does not name: the lost side of a
    // racing start (upstream issue #286), alive until someone kills them.
    QHash<QString, qint64> liveSessions; // cxc dir → the live broker whose --pid-file is in it
    for (const ProcessInfo& p : context.processes()) {
        if (looksLikeCodexBroker(p))
            liveSessions.insert(QFileInfo(argumentAfter(p.argv, u"--pid-file")).absolutePath(), p.pid);
    }
    for (const ProcessInfo& p : context.processes()) {
        if (!orphanBrokerMismatch(p, stateDir, namedBroker).isEmpty())
            continue;
        // A broker still starting is named by nobody yet. The repair acts only on the very process
        // (its start ticks) the scan judged past this grace.
        if (!startupGraceLeft(p, context.now(), kBrokerGraceSecs).isEmpty())
            continue;
        Broker orphan;
        orphan.id = QStringLiteral("codex-orphan:%1:%2").arg(stateDir).arg(p.pid);
        orphan.pid = p.pid;
        orphan.startTicks = p.startTicks;
        orphan.liveness = p.liveness;
        orphan.identityVerified = true;
        orphan.endpoint = argumentAfter(p.argv, u"--endpoint");
        orphan.sessionDir = QFileInfo(argumentAfter(p.argv, u"--pid-file")).absolutePath();
        orphan.identityEvidence = QStringLiteral("argv %1").arg(p.argv.join(QLatin1Char(' ')).left(240));
        s.brokers.append(orphan);
        s.addFinding(QStringLiteral("broker-orphan"), Severity::Warning,
            FindingTarget::process(brokerPath, p.pid, orphan.id),
            QStringLiteral("codex broker PID %1 serves this workspace but broker.json does not name it").arg(p.pid),
            orphan.identityEvidence, { RepairKind::TerminateOrphan });
    }
    findOrphanSessionDirs(s, liveSessions, namedSession);

    scanLocksAndTempFiles(s, context);
    s.recognised = recognise(placement, stateDir, s, namedPlugin);
    return s;
}

} // namespace Stateward

namespace Stateward {

void CodexSource::groupProblems(ProblemBuilder& b) const
{
    const Snapshot& s = b.snapshot();
    const QString statePath = QDir(s.stateDir).filePath(QStringLiteral("state.json"));
    const QString jobs = QStringLiteral("job"); // counted() nouns
    const auto countOf = [](const QList<Finding>& findings, const char* code) {
        return std::count_if(
            findings.begin(), findings.end(), [code](const Finding& f) { return f.code == QLatin1String(code); });
    };

    if (const QList<Finding> dark = b.take(QStringLiteral("state-unreadable")); !dark.isEmpty()) {
        Problem p = b.start(QStringLiteral("state-unreadable"), Impact::Blocks, dark);
        p.title = QStringLiteral("the codex state directory cannot be read: its jobs are not checked");
        p.explanation = QStringLiteral("%1. An empty listing would read as \"0 jobs\", so nothing in it is judged, "
                                       "rebuilt or exported.")
                            .arg(dark.first().evidence);
        p.manualFix
            = QStringLiteral("Restore the permissions of %1 (or scan as the user who owns it).").arg(s.stateDir);
        b.add(p);
    }

    // Everything one rewrite of state.json fixes is one problem, named by its worst part.
    const QList<Finding> index = b.take(
        { QStringLiteral("state-corrupt"), QStringLiteral("job-file-unindexed"), QStringLiteral("job-file-missing") });
    if (!index.isEmpty()) {
        const qsizetype unindexed = countOf(index, "job-file-unindexed");
        const qsizetype missing = countOf(index, "job-file-missing");
        const qsizetype onDisk
            = std::count_if(s.jobs.begin(), s.jobs.end(), [](const Job& j) { return !j.recordFile.isEmpty(); });
        Problem p = b.start(QStringLiteral("index"),
            unindexed > 0 || countOf(index, "state-corrupt") > 0 ? Impact::LosesData : Impact::Litter, index);
        if (countOf(index, "state-corrupt") > 0) {
            p.title = QStringLiteral("state.json is corrupt: codex-companion's next save deletes the files of %1")
                          .arg(counted(onDisk, jobs));
            p.explanation = QStringLiteral("%1. codex-companion reads a broken state.json as empty and, on its next "
                                           "save, deletes the .json and .log of every job the old file listed. "
                                           "Rewrite it from the job files before the plugin runs again.")
                                .arg(index.first().evidence);
        } else if (unindexed > 0) {
            p.title = QStringLiteral("state.json lost %1 of %2 (concurrent saves)")
                          .arg(unindexed)
                          .arg(counted(onDisk, jobs));
            p.explanation = QStringLiteral("%1 on disk, but state.json lists only %2 of them. codex-companion saves "
                                           "state.json without a lock: two saves at once lose one job (upstream issue "
                                           "#286). The plugin no longer knows the %3 missing, so their status and "
                                           "results are unreachable through it.")
                                .arg(counted(onDisk, QStringLiteral("job file")))
                                .arg(onDisk - unindexed)
                                .arg(unindexed);
        } else {
            p.title = QStringLiteral("state.json lists %1 whose files are gone").arg(counted(missing, jobs));
            p.explanation = QStringLiteral("Their records and results are gone; the entries point at nothing.");
        }
        if (missing > 0 && p.impact == Impact::LosesData)
            p.explanation += QStringLiteral(" Also: %1 listed whose files are gone.").arg(counted(missing, jobs));
        p.explanation
            += QStringLiteral(" Rewriting state.json from the job files fixes it; the old file is kept in the "
                              "quarantine for Undo.");
        p.fixLabel = QStringLiteral("Rewrite state.json");
        b.add(p);
    }

    if (const QList<Finding> dead = b.take(QStringLiteral("job-dead-running")); !dead.isEmpty()) {
        Problem p = b.start(QStringLiteral("job-dead-running"), Impact::LosesData, dead);
        p.title = QStringLiteral("%1 still %2 'running' but %3 process is gone")
                      .arg(counted(dead.size(), QStringLiteral("codex job")),
                          dead.size() == 1 ? QStringLiteral("says") : QStringLiteral("say"),
                          dead.size() == 1 ? QStringLiteral("its") : QStringLiteral("their"));
        p.explanation = QStringLiteral("Their process died (or its PID now belongs to a later process) before it "
                                       "wrote a result: that work is lost. codex-companion never notices, so "
                                       "/codex:status shows them running for ever. First: %1. Marking them failed "
                                       "records the end in state.json and the job files.")
                            .arg(dead.first().evidence);
        p.fixLabel = QStringLiteral("Mark failed");
        b.add(p);
    }

    if (const QList<Finding> over = b.take(QStringLiteral("jobs-over-limit")); !over.isEmpty()) {
        const qsizetype listed = std::count_if(s.jobs.begin(), s.jobs.end(), [](const Job& j) { return j.inIndex; });
        Problem p = b.start(QStringLiteral("jobs-over-limit"), Impact::LosesData, over);
        p.title = QStringLiteral("codex-companion's next save deletes the files of %1 (over its %2-job limit)")
                      .arg(counted(std::max<qsizetype>(listed - kUpstreamJobLimit, 0), jobs))
                      .arg(kUpstreamJobLimit);
        p.explanation = over.first().evidence + QLatin1Char('.');
        p.manualFix = QStringLiteral("If you need those jobs' results, copy them before the plugin runs again: "
                                     "cp -a '%1/jobs' ~/codex-jobs-backup")
                          .arg(s.stateDir);
        b.add(p);
    }

    if (const QList<Finding> unsafe = b.take(QStringLiteral("job-id-unsafe")); !unsafe.isEmpty()) {
        Problem p = b.start(QStringLiteral("job-id-unsafe"), Impact::LosesData, unsafe);
        p.title = QStringLiteral("state.json holds %1 naming a path outside jobs/")
                      .arg(counted(unsafe.size(), QStringLiteral("job id")));
        p.explanation = QStringLiteral("%1. codex-companion builds jobs/<id>.json from the id and deletes that file "
                                       "when it prunes the job, so this one points outside its directory.")
                            .arg(unsafe.first().evidence);
        p.manualFix = QStringLiteral("With the plugin stopped, remove that entry from %1.").arg(statePath);
        b.add(p);
    }

    if (const QList<Finding> outside = b.take(QStringLiteral("path-outside-state-dir")); !outside.isEmpty()) {
        Problem p = b.start(QStringLiteral("path-outside-state-dir"), Impact::LosesData, outside);
        p.title = QStringLiteral("%1 outside the codex state directory that codex-companion deletes when it prunes")
                      .arg(counted(outside.size(), QStringLiteral("log file")));
        p.explanation = QStringLiteral("%1. Stateward never touches it, but the plugin deletes the logFile of every "
                                       "job it prunes, wherever it is.")
                            .arg(outside.first().evidence);
        p.manualFix
            = QStringLiteral("Find out who wrote those entries in %1 and correct or remove them.").arg(statePath);
        b.add(p);
    }

    // broker.json naming something that is not its broker: one file, one fix.
    if (const QList<Finding> state
        = b.take({ QStringLiteral("broker-state-malformed"), QStringLiteral("broker-session-missing"),
            QStringLiteral("broker-dead"), QStringLiteral("broker-unverified") });
        !state.isEmpty()) {
        Problem p = b.start(QStringLiteral("broker-state"), Impact::Litter, state);
        const Finding& f = state.first();
        if (countOf(state, "broker-unverified") > 0)
            p.title = QStringLiteral("broker.json names a PID that is now another program");
        else if (countOf(state, "broker-dead") > 0)
            p.title = QStringLiteral("broker.json names a codex broker that is gone");
        else if (countOf(state, "broker-session-missing") > 0)
            p.title = QStringLiteral("broker.json names a session directory that is gone");
        else
            p.title = QStringLiteral("broker.json cannot be read");
        p.explanation = QStringLiteral("%1: %2. The plugin starts a new broker when it cannot reach this one, so the "
                                       "file is only stale; Stateward never signals the process it names.")
                            .arg(f.summary, f.evidence);
        p.fixLabel = QStringLiteral("Remove stale broker.json");
        b.add(p);
    }

    for (const Finding& f : b.take(QStringLiteral("broker-unreachable"))) {
        qint64 pid = -1;
        for (const Broker& broker : s.brokers) {
            if (broker.id == f.target.itemId)
                pid = broker.pid;
        }
        Problem p = b.start(QStringLiteral("broker-unreachable:%1").arg(f.target.itemId), Impact::WastesMemory, { f });
        p.title = QStringLiteral("the codex broker does not answer: the plugin will start a second one");
        p.explanation = QStringLiteral("%1 (%2). codex-companion then starts another broker and leaves this one "
                                       "running.")
                            .arg(f.summary, f.evidence);
        p.manualFix = QStringLiteral("If it stays unreachable, stop it: kill %1 (the next scan offers to remove "
                                     "broker.json).")
                          .arg(pid);
        b.add(p);
    }

    for (const Finding& f : b.take(QStringLiteral("broker-orphan"))) {
        Problem p = b.start(QStringLiteral("broker-orphan:%1").arg(f.target.pid), Impact::WastesMemory, { f });
        p.title = QStringLiteral("orphan codex broker PID %1 runs for nobody").arg(f.target.pid);
        p.explanation = QStringLiteral("It serves this workspace but broker.json does not name it: it lost a race "
                                       "between two starting sessions, or its session ended without finding it. It "
                                       "keeps its memory and its codex app-server child until killed. %1.")
                            .arg(f.evidence);
        p.fixLabel = QStringLiteral("Stop orphan broker");
        b.add(p);
    }

    if (const QList<Finding> dirs = b.take(QStringLiteral("session-dir-orphan")); !dirs.isEmpty()) {
        Problem p = b.start(QStringLiteral("session-dir-orphan"), Impact::Litter, dirs);
        p.title = QStringLiteral("%1 that no live broker uses")
                      .arg(counted(dirs.size(), QStringLiteral("codex session directory"),
                          QStringLiteral("codex session directories")));
        p.explanation = QStringLiteral("The plugin removes a $TMPDIR/cxc-* directory only when it tears down a session "
                                       "whose broker it knows, so these pile up. First: %1: %2.")
                            .arg(dirs.first().subject, dirs.first().evidence);
        p.fixLabel = QStringLiteral("Remove unused session dirs");
        b.add(p);
    }
}

} // namespace Stateward
