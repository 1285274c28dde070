// SPDX-License-Identifier: GPL-3.0-or-later
#include "codegraphsource.h"

#include "proc/regularfile.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

#include <unistd.h>

namespace Stateward {

namespace {

    const QByteArray kHeaderPrefix = "# codegraph-journal v1 ";

    // Reads the journal as codegraph's readJournal does (docs/formats/codegraph.md) and reports
    // what would make codegraph ignore it or lose entries.
    void checkJournal(Snapshot& s)
    {
        const QString path = QDir(s.stateDir).filePath(QStringLiteral("changes.journal"));
        const QFileInfo info(path);
        if (!info.exists() && !info.isSymLink())
            return;
        if (info.isSymLink()) {
            s.addFinding(QStringLiteral("journal-symlink"), Severity::Error, path,
                QStringLiteral("the journal is a symlink; not followed"),
                QStringLiteral("points to %1").arg(info.symLinkTarget()));
            return;
        }
        if (info.size() > CodegraphSource::kMaxJournalBytes) {
            s.addFinding(QStringLiteral("journal-too-large"), Severity::Warning, path,
                QStringLiteral("the journal is too large to check"),
                QStringLiteral("%1 bytes, more than the %2 bytes Stateward reads")
                    .arg(info.size())
                    .arg(CodegraphSource::kMaxJournalBytes));
            return;
        }
        const RegularFile file = readRegularFile(path, CodegraphSource::kMaxJournalBytes);
        if (file.status == RegularFile::Status::TooLarge) { // grew since the size was checked
            s.addFinding(QStringLiteral("journal-too-large"), Severity::Warning, path,
                QStringLiteral("the journal is too large to check"), file.problem);
            return;
        }
        if (!file.ok()) {
            s.addFinding(QStringLiteral("journal-unreadable"), Severity::Error, path,
                QStringLiteral("cannot read the journal"), file.problem);
            return;
        }
        const QByteArray& data = file.bytes;
        if (data.isEmpty()) {
            s.addFinding(QStringLiteral("journal-empty"), Severity::Warning, path,
                QStringLiteral("zero-byte journal: codegraph reads it as invalid"),
                QStringLiteral("no header line; the next build falls back to a full scan"));
            return;
        }
        const qsizetype firstNl = data.indexOf('\n');
        const QByteArray header = data.left(firstNl < 0 ? data.size() : firstNl);
        QList<QByteArray> lines = data.mid(firstNl < 0 ? data.size() : firstNl + 1).split('\n');
        const bool torn = !data.endsWith('\n');
        if (!lines.isEmpty() && lines.last().isEmpty())
            lines.removeLast();
        QSet<QByteArray> changed, removed;
        for (const QByteArray& raw : lines) {
            const QByteArray line = raw.trimmed();
            if (line.isEmpty() || line.startsWith('#'))
                continue;
            if (line.startsWith("DELETED "))
                removed.insert(line.mid(8));
            else
                changed.insert(line);
        }
        const QString counts = QStringLiteral("%1 changed and %2 removed paths in %3 bytes")
                                   .arg(changed.size())
                                   .arg(removed.size())
                                   .arg(data.size());
        if (!header.startsWith(kHeaderPrefix)) {
            s.addFinding(QStringLiteral("journal-bad-header"), Severity::Error, path,
                QStringLiteral("malformed journal header: codegraph ignores this journal"),
                QStringLiteral("line 1 is '%1', expected '%2<ms timestamp>'; %3")
                    .arg(QString::fromUtf8(header.left(80)), QString::fromLatin1(kHeaderPrefix), counts));
        } else {
            bool ok = false;
            const double ts = header.mid(kHeaderPrefix.size()).trimmed().toDouble(&ok);
            if (!ok || !(ts > 0)) {
                s.addFinding(QStringLiteral("journal-placeholder-header"), Severity::Warning, path,
                    QStringLiteral("journal header has no valid timestamp: codegraph reads it as invalid"),
                    QStringLiteral("header timestamp '%1' (appendJournalEntries writes 0 when it creates the file, "
                                   "and only a build stamps a real one); %2 are ignored until then")
                        .arg(QString::fromUtf8(header.mid(kHeaderPrefix.size()).trimmed()), counts));
            }
        }
        if (torn) {
            s.addFinding(QStringLiteral("journal-torn-line"), Severity::Warning, path,
                QStringLiteral("the journal's last line is incomplete"),
                QStringLiteral("'%1' has no newline: an append was cut short; %2")
                    .arg(QString::fromUtf8(lines.isEmpty() ? header.right(80) : lines.last().right(80)), counts));
        }
    }

    // Files that only optave codegraph writes in its state dir (docs/formats/codegraph.md).
    bool isOptaveFile(const QString& name)
    {
        static const QSet<QString> names { QStringLiteral("graph.db"), QStringLiteral("graph.db-wal"),
            QStringLiteral("graph.db-shm"), QStringLiteral("graph.db.lock"), QStringLiteral("changes.journal"),
            QStringLiteral("changes.journal.lock"), QStringLiteral("change-events.ndjson") };
        return names.contains(name) || recogniseTmpName(name).family == QLatin1String("codegraph");
    }

    // Files that only CodeGraph (npm @colbymchenry/codegraph) writes in its .codegraph/.
    bool isCodeGraphFile(const QString& name)
    {
        static const QSet<QString> names { QStringLiteral("codegraph.db"), QStringLiteral("codegraph.db-wal"),
            QStringLiteral("codegraph.db-shm"), QStringLiteral("codegraph.lock"), QStringLiteral("writer.pid"),
            QStringLiteral("rebuild.pid"), QStringLiteral("daemon.pid"), QStringLiteral("daemon.sock"),
            QStringLiteral("daemon.log") };
        // Its pid files' own tmp names: writer.pid.<pid>.tmp, writer.pid.<pid>.ready.tmp, daemon.pid.<pid>.tmp.
        static const QRegularExpression tmp(QStringLiteral("^(writer|rebuild|daemon)\\.pid\\.\\d+(\\.ready)?\\.tmp$"));
        return names.contains(name) || tmp.match(name).hasMatch();
    }

    // CodeGraph's `codegraph init` writes .codegraph/.gitignore with this first line.
    const QByteArray kCodeGraphGitignore = "# CodeGraph data files";

    struct Contents
    {
        QStringList optave; // file names, sorted
        QStringList codeGraph;
    };

    Contents contentsOf(const QString& stateDir)
    {
        Contents c;
        const QStringList names = QDir(stateDir).entryList(
            QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
        for (const QString& name : names) {
            if (isOptaveFile(name))
                c.optave.append(name);
            else if (isCodeGraphFile(name))
                c.codeGraph.append(name);
            else if (name == QLatin1String(".gitignore")) {
                const RegularFile gitignore = readRegularFile(QDir(stateDir).filePath(name), 4096);
                if (gitignore.ok() && gitignore.bytes.startsWith(kCodeGraphGitignore))
                    c.codeGraph.append(name);
            }
        }
        return c;
    }

    QString listed(const QStringList& names)
    {
        constexpr qsizetype kShown = 6;
        QString text = names.mid(0, kShown).join(QStringLiteral(", "));
        if (names.size() > kShown)
            text += QStringLiteral(" and %1 more").arg(names.size() - kShown);
        return text;
    }

    Recognition recognise(const Contents& c)
    {
        Recognition r;
        if (!c.optave.isEmpty()) {
            r.tool = QStringLiteral("@optave/codegraph");
            r.layout = c.optave.contains(QStringLiteral("graph.db")) ? QStringLiteral("3.x, journal beside graph.db")
                                                                     : QStringLiteral("3.x, no graph.db yet");
            r.evidence = listed(c.optave);
            if (!c.codeGraph.isEmpty()) {
                r.layout += QStringLiteral("; shares the folder with CodeGraph (@colbymchenry/codegraph)");
                r.evidence += QStringLiteral("; CodeGraph's: %1").arg(listed(c.codeGraph));
            }
        } else if (!c.codeGraph.isEmpty()) {
            r.tool = QStringLiteral("@colbymchenry/codegraph");
            r.layout = QStringLiteral("CodeGraph, not optave codegraph: shown, never judged or repaired");
            r.evidence = listed(c.codeGraph);
        } else {
            r.evidence = QStringLiteral("no file of optave codegraph (graph.db, changes.journal, …) nor of CodeGraph "
                                        "(codegraph.db, codegraph.lock, writer.pid, daemon.pid): not judged");
        }
        return r;
    }

    // Whether a process runs either tool's program: its interpreter, script or binary is named
    // `codegraph` (both tools' bin), `codegraph.js` (CodeGraph's bundle) or lies in either npm
    // package. Only the program's own first arguments count, not the paths it was given.
    bool runsCodegraph(const ProcessInfo& p)
    {
        constexpr qsizetype kProgramArgs = 4; // node, its flags, the script
        for (qsizetype i = 0; i < qMin(p.argv.size(), kProgramArgs); ++i) {
            const QString& arg = p.argv.at(i);
            const QString name = QFileInfo(arg).fileName();
            if (name == QLatin1String("codegraph") || name == QLatin1String("codegraph.js")
                || arg.contains(QLatin1String("/@optave/codegraph"))
                || arg.contains(QLatin1String("/@colbymchenry/codegraph")))
                return true;
        }
        return false;
    }

    // CodeGraph's codegraph.lock: its PID as text, written with O_EXCL; CodeGraph itself removes it
    // when that PID is dead, never by age (utils.js FileLock). Shown as it is, never removed by us.
    void showCodeGraphLock(Snapshot& s, ScanContext& context)
    {
        const QString path = QDir(s.stateDir).filePath(QStringLiteral("codegraph.lock"));
        if (!QFileInfo(path).isFile() || QFileInfo(path).isSymLink())
            return;
        LockHolder holder { QStringLiteral("lock:") + path, context.judge().judge(path, LockDialect::PidOnly) };
        holder.verdict.removable = false;
        holder.verdict.reason += QStringLiteral(
            "; CodeGraph's own lock: Stateward never removes it (CodeGraph clears a dead holder's lock itself)");
        s.locks.append(holder);
    }

    // CodeGraph's writer.pid and rebuild.pid ({"pid","mode","startedAt","ready"}) and daemon.pid
    // ({"pid","version","socketPath","startedAt"}, or a bare PID from older versions): who holds
    // them, and whether that process is alive and can be their writer. Shown, never repaired.
    void showCodeGraphPidFiles(Snapshot& s)
    {
        for (const QString& name :
            { QStringLiteral("daemon.pid"), QStringLiteral("writer.pid"), QStringLiteral("rebuild.pid") }) {
            const QString path = QDir(s.stateDir).filePath(name);
            if (!QFileInfo(path).isFile() || QFileInfo(path).isSymLink())
                continue;
            Broker b;
            b.id = QStringLiteral("codegraph-pid:") + path;
            b.stateFile = path;
            const RegularFile file = readRegularFile(path, 64 * 1024);
            QDateTime written;
            QString what;
            if (!file.ok()) {
                b.identityEvidence = QStringLiteral("%1 cannot be read: %2").arg(name, file.problem);
            } else if (const std::optional<qint64> bare = parsePid(QString::fromUtf8(file.bytes.trimmed()))) {
                b.pid = *bare; // daemon.pid of CodeGraph before its JSON record
                what = QStringLiteral("a bare PID (CodeGraph's older daemon.pid)");
            } else {
                QJsonParseError error;
                const QJsonObject o = QJsonDocument::fromJson(file.bytes, &error).object();
                if (o.value(QStringLiteral("pid")).isDouble())
                    b.pid = o.value(QStringLiteral("pid")).toInteger();
                if (o.value(QStringLiteral("startedAt")).isDouble())
                    written = QDateTime::fromMSecsSinceEpoch(o.value(QStringLiteral("startedAt")).toInteger(), Qt::UTC);
                const QString socket = o.value(QStringLiteral("socketPath")).toString();
                if (!socket.isEmpty())
                    b.endpoint = QStringLiteral("unix:") + socket;
                what = o.contains(QStringLiteral("mode"))
                    ? QStringLiteral("%1 mode").arg(o.value(QStringLiteral("mode")).toString())
                    : QStringLiteral("version %1").arg(o.value(QStringLiteral("version")).toString());
                if (b.pid <= 0)
                    b.identityEvidence
                        = QStringLiteral("%1 names no PID: %2")
                              .arg(name,
                                  error.error == QJsonParseError::NoError ? QStringLiteral("no \"pid\" number")
                                                                          : error.errorString());
            }
            if (b.pid > 0) {
                const ProcessInfo p = inspectProcess(b.pid);
                b.liveness = p.liveness;
                if (p.isAlive()) {
                    b.startTicks = p.startTicks;
                    const WriterJudgement w = judgeWriter(
                        p, written.isValid() ? written : QDateTime::fromMSecsSinceEpoch(file.stamp.mtimeMs(), Qt::UTC));
                    const bool named = runsCodegraph(p);
                    b.identityVerified = named && w.verdict == WriterVerdict::Plausible;
                    b.identityEvidence = QStringLiteral("%1 (%2): PID %3 is alive, %4; %5")
                                             .arg(name, what)
                                             .arg(b.pid)
                                             .arg(named ? QStringLiteral("it runs CodeGraph's program")
                                                        : QStringLiteral("it does not run CodeGraph's program"),
                                                 w.reason);
                } else {
                    b.identityEvidence = QStringLiteral("%1 (%2): PID %3 is %4; CodeGraph clears it itself")
                                             .arg(name, what)
                                             .arg(b.pid)
                                             .arg(nameOf(p.liveness));
                }
            }
            s.brokers.append(b);
        }
    }

    bool within(const QString& path, const QString& dir)
    {
        return path == dir || path.startsWith(dir + QLatin1Char('/'));
    }

    // codegraph's native engine (3.x, @optave/codegraph-<platform>) writes changes.journal.tmp and
    // renames it over the journal without taking changes.journal.lock, so neither the lock nor the
    // file's age says it is abandoned while a codegraph process may be running for this workspace:
    // one with graph.db open, or one running codegraph in the workspace or on a path inside it.
    QString journalTmpWriter(const Snapshot& s, const QString& path, ScanContext& context)
    {
        if (recogniseTmpName(QFileInfo(path).fileName()).pattern != QLatin1String("changes.journal.tmp"))
            return {};
        const QString dir = QFileInfo(path).path();
        for (const QString& db : { QStringLiteral("graph.db"), QStringLiteral("graph.db-wal") }) {
            if (const auto key = FileKey::ofPath(QDir(dir).filePath(db))) {
                if (const QList<qint64> holders = context.openFiles().holders(*key); !holders.isEmpty())
                    return QStringLiteral("PID %1 has %2 open (a codegraph build or watcher, whose native engine "
                                          "writes this file without the journal lock)")
                        .arg(holders.first())
                        .arg(db);
            }
        }
        const QString ws = QDir::cleanPath(s.workspace);
        for (const ProcessInfo& p : context.processes()) {
            if (p.pid == ::getpid() || !runsCodegraph(p))
                continue;
            const QString cwd = QFileInfo(QStringLiteral("/proc/%1/cwd").arg(p.pid)).symLinkTarget();
            bool forUs = !cwd.isEmpty() && within(QDir::cleanPath(cwd), ws);
            for (const QString& arg : p.argv)
                forUs |= QDir::isAbsolutePath(arg) && within(QDir::cleanPath(arg), ws);
            if (forUs)
                return QStringLiteral(
                    "codegraph process PID %1 runs in or for this workspace (its native engine writes "
                    "this file without the journal lock)")
                    .arg(p.pid);
        }
        return {};
    }

} // namespace

QStringList CodegraphSource::candidateStateDirs(const QString& workspace) const
{
    return { QDir(workspace).filePath(QStringLiteral(".codegraph")) };
}

Snapshot CodegraphSource::scan(const QString& workspace, const QString& stateDir, ScanContext& context) const
{
    Snapshot s;
    if (!beginSnapshot(s, Family::Codegraph, workspace, stateDir))
        return s;
    const Contents contents = contentsOf(stateDir);
    s.recognised = recognise(contents);
    if (!contents.codeGraph.isEmpty()) {
        showCodeGraphLock(s, context);
        showCodeGraphPidFiles(s);
    }
    if (contents.optave.isEmpty())
        return s; // CodeGraph's alone, or nobody's: never judged by optave's rules
    // The journal, its lock and its tmp files live beside graph.db: the state dir.
    checkJournal(s);
    LockScanOptions options;
    options.foreign = [](const QString& path) { return isCodeGraphFile(QFileInfo(path).fileName()); };
    options.liveWriter = [&s, &context](const QString& path) { return journalTmpWriter(s, path, context); };
    scanLocksAndTempFiles(s, context, options);
    return s;
}

} // namespace Stateward

namespace Stateward {

void CodegraphSource::groupProblems(ProblemBuilder& b) const
{
    const Snapshot& s = b.snapshot();
    // Every journal finding has one fix by hand: a build, which resets the journal.
    const QList<Finding> journal = b.take({ QStringLiteral("journal-symlink"), QStringLiteral("journal-too-large"),
        QStringLiteral("journal-unreadable"), QStringLiteral("journal-empty"), QStringLiteral("journal-bad-header"),
        QStringLiteral("journal-placeholder-header"), QStringLiteral("journal-torn-line") });
    if (journal.isEmpty())
        return;
    const auto has = [&journal](const char* code) {
        return std::any_of(
            journal.begin(), journal.end(), [code](const Finding& f) { return f.code == QLatin1String(code); });
    };
    // A torn line loses changes (the next append merges two paths); the rest make codegraph ignore
    // the journal, or keep Stateward from checking it.
    Problem p
        = b.start(QStringLiteral("journal"), has("journal-torn-line") ? Impact::LosesData : Impact::Blocks, journal);
    if (has("journal-torn-line"))
        p.title = QStringLiteral("changes.journal ends in a torn line: the next append merges two paths");
    else if (has("journal-placeholder-header"))
        p.title = QStringLiteral("changes.journal has no build timestamp: codegraph ignores its changes");
    else if (has("journal-bad-header") || has("journal-empty"))
        p.title = QStringLiteral("changes.journal has no valid header: codegraph ignores it");
    else
        p.title = QStringLiteral("changes.journal cannot be checked");
    QStringList lines;
    for (const Finding& f : journal)
        lines.append(QStringLiteral("%1: %2").arg(f.summary, f.evidence));
    p.explanation = lines.join(QStringLiteral(". "))
        + QStringLiteral(". Codegraph picks up the changes it misses only with a full build, which also writes a "
                         "fresh journal. Stateward never writes the journal.");
    p.manualFix = QStringLiteral("Run codegraph build in %1 (one full scan), or delete %2 while codegraph is not "
                                 "running.")
                      .arg(s.workspace, QDir(s.stateDir).filePath(QStringLiteral("changes.journal")));
    b.add(p);
}

} // namespace Stateward
