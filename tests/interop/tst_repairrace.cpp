// SPDX-License-Identifier: GPL-3.0-or-later
// Repair racing live writers (docs/architecture.md, Safety rules): two real agent-trajectories 0.4.1 processes keep
// saving, real codegraph appenders take their journal lock, and a codex-companion-format writer
// rewrites state.json in place, while this process scans, plans and applies every default repair
// in a loop. Nothing anyone wrote may be lost or damaged; a writer without a lock may clobber a
// repair, never the reverse (the codex writer's writerSeq sentinel, codegraph's lock checked at
// each append, every job file still as the writer last wrote it); with the writers stopped, one
// more repair leaves every index complete and a second one plans nothing; every rewrite kept a
// complete version of what it replaced.
#include "childprocess.h"
#include "nodetools.h"
#include "repair/quarantine.h"
#include "repair/repair.h"
#include "sources/source.h"
#include "testfiles.h"
#include "trajectorytools.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <csignal>
#include <memory>
#include <vector>

using namespace Stateward;
using namespace TestFiles;

namespace {

// Sized for about 15 s of writing (and under a minute in all) on a loaded 2-core machine.
constexpr int kSaves = 40; // per save-loop.mjs, two of them
constexpr int kCodexJobs = 40; // two state.json writes each; with the fixture's 5, under upstream's 50
constexpr int kAppends = 200; // per appender, three of them
constexpr int kRoundPauseMs = 100;
constexpr int kWritersTimeoutMs = 150000;
constexpr int kTrailListLimit = 50; // 0.4.1's `trail list` shows at most 50

const QStringList kRewriteKinds { QStringLiteral("replace-corrupt-index"), QStringLiteral("reindex"),
    QStringLiteral("drop-dangling-entry"), QStringLiteral("fix-index-entry"), QStringLiteral("mark-failed") };

QJsonObject parseObject(const QByteArray& bytes, QString* problem)
{
    QJsonParseError e;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &e);
    if (e.error != QJsonParseError::NoError || !doc.isObject()) {
        *problem = QStringLiteral("not a JSON object (%1 bytes): %2").arg(bytes.size()).arg(e.errorString());
        return {};
    }
    problem->clear();
    return doc.object();
}

RepairPlan planFor(const QString& ws)
{
    ScanContext context;
    return planRepairs(scanWorkspace(ws, context));
}

QString planText(const RepairPlan& plan)
{
    return QString::fromUtf8(QJsonDocument(plan.toJson()).toJson(QJsonDocument::Compact).left(3000));
}

// One writer process and what it printed.
struct Writer
{
    QString name;
    QProcess process;
    QElapsedTimer clock;
    qint64 ranMs = -1;
    QStringList lines; // stdout, after finish()
    QByteArray err;

    void start(const QString& script, const QStringList& arguments)
    {
        clock.start();
        QObject::connect(&process, &QProcess::finished, [this] { ranMs = clock.elapsed(); });
        process.start(NodeTools::node(), QStringList { script } + arguments);
    }
    bool running() const { return process.state() != QProcess::NotRunning; }
    // Once it ended: its output read, and whether it exited 0.
    bool finish()
    {
        for (const QByteArray& line : process.readAllStandardOutput().split('\n')) {
            if (!line.trimmed().isEmpty())
                lines.append(QString::fromUtf8(line.trimmed()));
        }
        err = process.readAllStandardError();
        return process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
    }
    QStringList withPrefix(const QString& prefix) const
    {
        QStringList out;
        for (const QString& line : lines) {
            if (line.startsWith(prefix))
                out.append(line);
        }
        return out;
    }
    QString what() const
    {
        return QStringLiteral("%1 (exit %2): %3")
            .arg(name)
            .arg(process.exitCode())
            .arg(QString::fromUtf8(err.trimmed().right(600)));
    }
};

// What the repairs did over the run.
struct Tally
{
    QString ws;
    QString codex;
    int rounds = 0;
    qint64 roundMsTotal = 0;
    qint64 roundMsMax = 0;
    QMap<QString, int> applied; // by kind
    QMap<QString, int> skipped; // by kind
    QMap<QString, int> appliedIn; // by state dir: what its audit log must show
    QMap<QString, int> rewritesIn; // index rewrites applied, by family
    QMap<QString, int> retriedIn; // of those, applied after others wrote meanwhile, by family
    int retried = 0; // rewrites applied after others wrote the file meanwhile
    int othersWrites = 0; // those writes, in all
    int gaveUp = 0; // "changed under every one of 5 attempts"
    QMap<QString, int> reasons; // skip details, paths and numbers blanked
    QStringList failed;

    void add(const RepairPlan& plan, const QList<RepairResult>& results)
    {
        static const QRegularExpression retry(QStringLiteral("after (\\d+) writes by others meanwhile"));
        static const QRegularExpression digits(QStringLiteral("\\d+"));
        static const QRegularExpression ids(QStringLiteral("\\b(task|review)-[0-9a-z]+-[0-9a-z]+|traj_[0-9a-z]+"));
        for (qsizetype i = 0; i < results.size() && i < plan.actions.size(); ++i) {
            const RepairAction& a = plan.actions.at(i);
            const RepairResult& r = results.at(i);
            switch (r.outcome) {
            case RepairResult::Outcome::Applied:
                ++applied[nameOf(a.kind)];
                ++appliedIn[a.stateDir];
                if (kRewriteKinds.contains(nameOf(a.kind)))
                    ++rewritesIn[nameOf(a.family)];
                if (const QRegularExpressionMatch m = retry.match(r.detail); m.hasMatch()) {
                    ++retried;
                    ++retriedIn[nameOf(a.family)];
                    othersWrites += m.captured(1).toInt();
                }
                break;
            case RepairResult::Outcome::Skipped: {
                ++skipped[nameOf(a.kind)];
                gaveUp += r.detail.contains(QLatin1String("changed under every one of"));
                QString reason = r.detail;
                for (const auto& [path, name] : { std::pair { codex, "$CODEX" }, { ws, "$WS" } }) {
                    if (!path.isEmpty())
                        reason.replace(path, QLatin1String(name));
                }
                reason.replace(ids, QStringLiteral("ID"));
                ++reasons[nameOf(a.kind) + QLatin1String(": ") + reason.replace(digits, QStringLiteral("N")).left(160)];
                break;
            }
            case RepairResult::Outcome::Failed:
                failed.append(a.id + QLatin1String(": ") + r.detail);
                break;
            }
        }
    }
};

QString counts(const QMap<QString, int>& map)
{
    QStringList parts;
    for (auto it = map.begin(); it != map.end(); ++it)
        parts.append(QStringLiteral("%1 %2").arg(it.key()).arg(it.value()));
    return parts.isEmpty() ? QStringLiteral("none") : parts.join(QStringLiteral(", "));
}

} // namespace

class TestRepairRace : public QObject
{
    Q_OBJECT

    QTemporaryDir m_data; // $CLAUDE_PLUGIN_DATA, where the codex state dir lives

    // Every saved trajectory is on disk exactly once, where and as its saver left it; the
    // index lists each at that place, and 0.4.1's own `trail list` shows the newest 50.
    void checkTrajectories(const QString& ws, const QMap<QString, QString>& saved)
    {
        const QDir root(ws + QLatin1String("/.trajectories"));
        QMap<QString, QString> found; // id → record file
        QDirIterator it(root.path(), { QStringLiteral("*.json") }, QDir::Files | QDir::Hidden | QDir::System,
            QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            const QString relative = root.relativeFilePath(path);
            if (relative == QLatin1String("index.json") || relative.startsWith(QLatin1String(".stateward/")))
                continue;
            const bool active = relative.startsWith(QLatin1String("active/")) && relative.count(u'/') == 1;
            const bool settled = relative.startsWith(QLatin1String("completed/")) && relative.count(u'/') == 2;
            QVERIFY2(active || settled, qPrintable(QStringLiteral("a record where no saver put one: ") + relative));
            QString problem;
            const QJsonObject record = parseObject(readAll(path), &problem);
            QVERIFY2(problem.isEmpty(), qPrintable(relative + QLatin1String(": ") + problem));
            const QString id = record.value(QStringLiteral("id")).toString();
            QCOMPARE(id + QLatin1String(".json"), it.fileName());
            QVERIFY2(
                !found.contains(id), qPrintable(QStringLiteral("%1 twice: %2, %3").arg(id, found.value(id), path)));
            found.insert(id, path);
            QVERIFY2(saved.contains(id), qPrintable(QStringLiteral("%1: saved by nobody").arg(relative)));
            const QString status = record.value(QStringLiteral("status")).toString();
            QCOMPARE(status, saved.value(id));
            QCOMPARE(active, status == QLatin1String("active"));
        }
        QCOMPARE(found.keys(), saved.keys());

        QString problem;
        const QJsonObject index = parseObject(readAll(root.filePath(QStringLiteral("index.json"))), &problem);
        QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("index.json: ") + problem));
        const QJsonObject entries = index.value(QStringLiteral("trajectories")).toObject();
        QCOMPARE(entries.keys(), saved.keys());
        QMap<QString, QString> startedAt;
        for (auto e = entries.begin(); e != entries.end(); ++e) {
            const QJsonObject entry = e.value().toObject();
            QCOMPARE(entry.value(QStringLiteral("status")).toString(), saved.value(e.key()));
            QCOMPARE(QFileInfo(entry.value(QStringLiteral("path")).toString()).canonicalFilePath(),
                QFileInfo(found.value(e.key())).canonicalFilePath());
            startedAt.insert(e.key(), entry.value(QStringLiteral("startedAt")).toString());
        }

        QString error;
        const QStringList listed = TrajectoryTools::trailList(ws, QStringLiteral("041"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(listed.size(), qMin(kTrailListLimit, int(saved.size())));
        // trail lists the newest by startedAt: none it leaves out is newer than one it shows.
        QString oldestListed = QStringLiteral("~");
        for (const QString& id : listed) {
            QVERIFY2(saved.contains(id), qPrintable(id));
            oldestListed = qMin(oldestListed, startedAt.value(id));
        }
        for (auto s = startedAt.begin(); s != startedAt.end(); ++s) {
            if (!listed.contains(s.key()))
                QVERIFY2(s.value() <= oldestListed,
                    qPrintable(QStringLiteral("trail list leaves out %1 (%2), newer than %3")
                                   .arg(s.key(), s.value(), oldestListed)));
        }
    }

    // state.json lists every job file, each once, and still carries the writer's last write.
    void checkCodex(const QString& dir, const QStringList& writerJobs, int lastSeq, const QString& deadJob)
    {
        QString problem;
        const QJsonObject state = parseObject(readAll(dir + QLatin1String("/state.json")), &problem);
        QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("state.json: ") + problem));
        QCOMPARE(state.value(QStringLiteral("writerSeq")).toInt(-1), lastSeq);
        QMap<QString, QString> status; // id → status in state.json
        const QJsonArray jobs = state.value(QStringLiteral("jobs")).toArray();
        for (const QJsonValue& v : jobs) {
            const QString id = v.toObject().value(QStringLiteral("id")).toString();
            QVERIFY2(!status.contains(id), qPrintable(QStringLiteral("job %1 listed twice").arg(id)));
            status.insert(id, v.toObject().value(QStringLiteral("status")).toString());
        }
        QVERIFY(jobs.size() <= 50);
        const QDir jobsDir(dir + QLatin1String("/jobs"));
        QStringList files;
        for (const QString& name : jobsDir.entryList({ QStringLiteral("*.json") }, QDir::Files | QDir::Hidden)) {
            const QJsonObject job = parseObject(readAll(jobsDir.filePath(name)), &problem);
            QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("jobs/%1: %2").arg(name, problem)));
            QCOMPARE(job.value(QStringLiteral("id")).toString() + QLatin1String(".json"), name);
            files.append(name.chopped(5));
            if (writerJobs.contains(name.chopped(5))) // the writer's last write of it: completed
                QVERIFY2(job.value(QStringLiteral("status")).toString() == QLatin1String("completed"),
                    qPrintable(QStringLiteral("jobs/%1 says '%2': %3")
                                   .arg(name, job.value(QStringLiteral("status")).toString(),
                                       job.value(QStringLiteral("errorMessage")).toString())));
        }
        files.sort();
        QCOMPARE(status.keys(), files); // both sorted: every job file listed, no entry without one
        for (const QString& id : writerJobs)
            QCOMPARE(status.value(id), QStringLiteral("completed"));
        QCOMPARE(status.value(deadJob), QStringLiteral("failed"));
    }

    // Every appended entry exactly once, the header intact, no lock or steal tmp left.
    void checkJournal(const QString& codegraph, const QStringList& prefixes)
    {
        const QByteArray journal = readAll(codegraph + QLatin1String("/changes.journal"));
        QVERIFY(journal.endsWith('\n'));
        QList<QByteArray> lines = journal.chopped(1).split('\n');
        QVERIFY2(lines.takeFirst().startsWith("# codegraph-journal v1 "), journal.left(80).constData());
        QMap<QByteArray, int> seen;
        for (const QByteArray& line : std::as_const(lines))
            ++seen[line];
        QMap<QByteArray, int> expected;
        for (const QString& prefix : prefixes) {
            for (int i = 0; i < kAppends; ++i)
                expected.insert(prefix.toUtf8() + '-' + QByteArray::number(i), 1);
        }
        if (seen != expected) {
            QStringList diff;
            for (auto it = expected.begin(); it != expected.end(); ++it) {
                if (seen.value(it.key()) != 1)
                    diff.append(QStringLiteral("%1 ×%2").arg(QString::fromUtf8(it.key())).arg(seen.value(it.key())));
            }
            for (auto it = seen.begin(); it != seen.end(); ++it) {
                if (!expected.contains(it.key()))
                    diff.append(QStringLiteral("unexpected '%1' ×%2").arg(QString::fromUtf8(it.key())).arg(it.value()));
            }
            QFAIL(qPrintable(QStringLiteral("journal: ") + diff.mid(0, 20).join(QStringLiteral(", "))));
        }
        QVERIFY(!QFile::exists(codegraph + QLatin1String("/changes.journal.lock")));
        QCOMPARE(
            QDir(codegraph).entryList({ QStringLiteral("changes.journal.lock.*.tmp") }, QDir::Files | QDir::Hidden),
            QStringList());
    }

    // The audit log has a line for every applied action, and every rewrite kept a complete JSON
    // version of what it replaced: what it read, which is what the compare-before-rename held to
    // (a corrupt index replaced is kept as it was; `corrupt` says what it was: a torn file left by
    // two overlapping saves, or a zero-byte one caught in mid-write). The only stale lock there
    // ever was is the planted one: every lock cleared was that one.
    void checkAudit(
        const QString& stateDir, int appliedHere, const QByteArray& staleLock, int* rewrites, QStringList* corrupt)
    {
        QHash<QString, QuarantineInfo> quarantines;
        for (const QuarantineInfo& q : listQuarantines(stateDir))
            quarantines.insert(q.id, q);
        int applied = 0;
        for (const QByteArray& line : readAll(stateDir + QLatin1String("/.stateward/audit.jsonl")).split('\n')) {
            if (line.isEmpty())
                continue;
            QString problem;
            const QJsonObject o = parseObject(line, &problem);
            QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("audit line: ") + problem));
            if (o.value(QStringLiteral("op")).toString() != QLatin1String("repair")
                || o.value(QStringLiteral("outcome")).toString() != QLatin1String("applied"))
                continue;
            ++applied;
            if (o.value(QStringLiteral("kind")).toString() == QLatin1String("clear-stale-lock")) {
                const QuarantineInfo q = quarantines.value(o.value(QStringLiteral("quarantine")).toString());
                QCOMPARE(q.entries.size(), 1);
                QVERIFY2(readAll(q.path + QLatin1Char('/') + q.entries.first().stored).startsWith(staleLock),
                    qPrintable(QStringLiteral("a lock cleared that was not the planted stale one: ") + q.path));
            }
            const QString kind = o.value(QStringLiteral("kind")).toString();
            if (!kRewriteKinds.contains(kind))
                continue;
            ++*rewrites;
            const QString id = o.value(QStringLiteral("quarantine")).toString();
            QVERIFY2(quarantines.contains(id),
                qPrintable(QStringLiteral("rewrite without a quarantine: ") + QString::fromUtf8(line.left(300))));
            const QuarantineInfo& q = quarantines.value(id);
            QVERIFY2(q.problem.isEmpty(), qPrintable(id + QLatin1String(": ") + q.problem));
            int replaced = 0;
            for (const QuarantineEntry& e : q.entries) {
                if (e.op != QuarantineEntry::Op::Replaced)
                    continue;
                ++replaced;
                const QByteArray kept = readAll(q.path + QLatin1Char('/') + e.stored);
                QCOMPARE(sha256Hex(kept), e.sha256);
                parseObject(kept, &problem);
                if (!problem.isEmpty() && kind == QLatin1String("replace-corrupt-index"))
                    corrupt->append(QStringLiteral("%1 %2").arg(e.path, problem));
                else
                    QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("%1/%2: %3").arg(id, e.path, problem)));
            }
            QVERIFY2(replaced > 0, qPrintable(id));
        }
        QCOMPARE(applied, appliedHere);
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(NodeTools::missing().isEmpty(), qPrintable(NodeTools::missing()));
        QVERIFY2(TrajectoryTools::missing().isEmpty(), qPrintable(TrajectoryTools::missing()));
        QVERIFY(m_data.isValid());
        qputenv("CLAUDE_PLUGIN_DATA", m_data.path().toLocal8Bit());
        // A $TMPDIR of our own: codex repairs look there for unused cxc-* session dirs, and
        // other tests' dirs in the shared one are none of this test's business.
        QVERIFY(QDir(m_data.path()).mkpath(QStringLiteral("tmp")));
        qputenv("TMPDIR", QFile::encodeName(m_data.filePath(QStringLiteral("tmp"))));
    }

    void repairWhileWritersRun()
    {
        QTemporaryDir ws;
        QVERIFY(ws.isValid());
        const QString trajectories = ws.filePath(QStringLiteral(".trajectories"));
        const QString codegraph = ws.filePath(QStringLiteral(".codegraph"));
        const QString journalLock = codegraph + QLatin1String("/changes.journal.lock");

        // Work for the repairs besides the races. codegraph: a holder killed inside the journal
        // lock (a stale lock that the appenders and we both go for) ...
        qint64 dead = -1;
        {
            ChildProcess holder;
            QVERIFY(holder.start(NodeTools::node(), { NodeTools::script("cg-hold.mjs"), ws.path() }));
            QVERIFY(!holder.waitForLine("inside", 20000).isEmpty());
            dead = holder.pid();
            QVERIFY(holder.signal(SIGKILL));
            QVERIFY(holder.reap() >= 0);
        }
        const QByteArray deadLine = QByteArray::number(dead) + '\n';
        QVERIFY(readAll(journalLock).startsWith(deadLine));
        // ... and a dead stealer's tmp, fresh (codegraph sweeps only after 30 s; we judge its PID).
        const QString stealTmp = codegraph + QStringLiteral("/changes.journal.lock.%1-00c0ffee00c0ffee.tmp").arg(dead);
        writeFile(stealTmp, deadLine + QByteArray::number(dead) + "-00c0ffee00c0ffee\n");
        // trajectories: a dead writer's torn index tmp (0.5.7's name).
        QVERIFY(QDir().mkpath(trajectories));
        const QString indexTmp
            = trajectories + QStringLiteral("/index.json.%1.5f0c1d2e-0a1b-4c3d-8e9f-0123456789ab.tmp").arg(dead);
        writeFile(indexTmp, "{\"version\":1,\"lastUpdated\":\"2026-01-01T00:00:00.000Z\",\"traj");
        backdate(indexTmp, 120);
        // codex: 3 jobs, one more running under a dead PID, one whose state.json entry was lost.
        const QString codex = NodeTools::makeCodexState(m_data.path(), ws.path(),
            { QStringLiteral("--jobs"), QStringLiteral("3"), QStringLiteral("--dead-running"),
                QStringLiteral("--orphan-job-file") });
        QVERIFY(!codex.isEmpty());
        if (QTest::currentTestFailed())
            return;

        const RepairPlan initial = planFor(ws.path());
        QStringList initialKinds;
        QString deadJob;
        for (const RepairAction& a : initial.actions) {
            initialKinds.append(nameOf(a.kind));
            if (a.kind == RepairKind::MarkFailed)
                deadJob = a.jobId;
        }
        QVERIFY2(initialKinds.contains(QStringLiteral("clear-stale-lock"))
                && initialKinds.count(QStringLiteral("sweep-tmp")) == 2
                && initialKinds.contains(QStringLiteral("reindex")) && !deadJob.isEmpty(),
            qPrintable(planText(initial)));

        // The writers. Two codegraph appenders wait until the stale lock is gone: until then one
        // codegraph process races us for it, so anyone inside the lock with it can only be us
        // (later, codegraph's appenders break into each other's lock by its own protocol, A.5).
        std::vector<std::unique_ptr<Writer>> writers;
        const auto start = [&](const QString& name, const QString& script, const QStringList& arguments) {
            writers.push_back(std::make_unique<Writer>());
            writers.back()->name = name;
            writers.back()->start(script, arguments);
        };
        const QString saveLoop = TrajectoryTools::driver("save-loop.mjs");
        const QString appendLoop = NodeTools::script("cg-append-loop.mjs");
        const QString count = QString::number(kAppends);
        QElapsedTimer clock;
        clock.start();
        start(QStringLiteral("save-loop a"), saveLoop,
            { ws.path(), QStringLiteral("a"), QString::number(kSaves), QStringLiteral("120") });
        start(QStringLiteral("save-loop b"), saveLoop,
            { ws.path(), QStringLiteral("b"), QString::number(kSaves), QStringLiteral("150") });
        start(QStringLiteral("codex-writer-loop"), NodeTools::script("codex-writer-loop.mjs"),
            { codex, QString::number(kCodexJobs), QStringLiteral("80") });
        start(QStringLiteral("cg-append-loop cgc"), appendLoop, { ws.path(), QStringLiteral("cgc"), count });
        bool lateStarted = false;
        qint64 lateStartMs = 0; // epoch ms

        Tally tally;
        tally.ws = ws.path();
        tally.codex = codex;
        const QDeadlineTimer deadline(kWritersTimeoutMs);
        const auto anyRunning
            = [&] { return std::any_of(writers.begin(), writers.end(), [](const auto& w) { return w->running(); }); };
        while (!lateStarted || anyRunning()) {
            if (!lateStarted && !readAll(journalLock).startsWith(deadLine)) {
                lateStartMs = QDateTime::currentMSecsSinceEpoch();
                start(QStringLiteral("cg-append-loop cga"), appendLoop,
                    { ws.path(), QStringLiteral("cga"), count, QStringLiteral("40") });
                start(QStringLiteral("cg-append-loop cgb"), appendLoop,
                    { ws.path(), QStringLiteral("cgb"), count, QStringLiteral("25") });
                lateStarted = true;
            }
            QElapsedTimer round;
            round.start();
            {
                ScanContext context;
                const RepairPlan plan = planRepairs(scanWorkspace(ws.path(), context));
                tally.add(plan, applyPlan(plan));
            }
            ++tally.rounds;
            tally.roundMsTotal += round.elapsed();
            tally.roundMsMax = qMax(tally.roundMsMax, round.elapsed());
            if (deadline.hasExpired()) {
                for (const auto& w : writers) {
                    if (w->running())
                        qWarning("%s still running", qPrintable(w->name));
                }
                QFAIL(lateStarted ? "the writers did not finish in time"
                                  : "nobody cleared the stale journal lock: the late appenders never started");
            }
            QTest::qWait(kRoundPauseMs);
        }
        const qint64 writersMs = clock.elapsed();
        // The figures first: they explain a failure below as well.
        int appliedInRun = 0;
        for (const int n : tally.applied)
            appliedInRun += n;
        QStringList ran;
        for (const auto& w : writers)
            ran.append(QStringLiteral("%1 %2 ms").arg(w->name).arg(w->ranMs));
        qInfo("writers: %lld ms; %s", writersMs, qPrintable(ran.join(QStringLiteral(", "))));
        qInfo("repair rounds while writing: %d, %lld ms mean, %lld ms max", tally.rounds,
            tally.rounds ? tally.roundMsTotal / tally.rounds : 0, tally.roundMsMax);
        qInfo("applied while writing: %d (%s)", appliedInRun, qPrintable(counts(tally.applied)));
        qInfo("rewrites applied after others wrote meanwhile: %d (%d writes by others); gave up after every "
              "attempt: %d",
            tally.retried, tally.othersWrites, tally.gaveUp);
        qInfo("index rewrites while writing by family: %s; of them retried: %s", qPrintable(counts(tally.rewritesIn)),
            qPrintable(counts(tally.retriedIn)));
        qInfo("skipped while writing: %s", qPrintable(counts(tally.skipped)));
        for (auto it = tally.reasons.begin(); it != tally.reasons.end(); ++it)
            qInfo("  %4d × %s", it.value(), qPrintable(it.key()));
        QVERIFY2(tally.failed.isEmpty(), qPrintable(tally.failed.join(u'\n')));

        // What the writers say they wrote, and that none saw its work undone.
        QMap<QString, QString> saved; // trajectory id → final status
        QStringList writerJobs;
        int lastSeq = -1;
        int keptByWriter = 0; // the codex writer's reads that found state.json rewritten by a repair
        QStringList prefixes;
        int torn041 = 0; // 0.4.1 reading the other saver's half-written index (its own race)
        QStringList codegraphOwn; // one codegraph appender inside the lock with another
        const QString us = QString::number(QCoreApplication::applicationPid());
        for (const auto& w : writers) {
            QVERIFY2(w->finish(), qPrintable(w->what()));
            QVERIFY2(!w->lines.isEmpty() && w->lines.last().startsWith(QLatin1String("done ")), qPrintable(w->what()));
            if (w->name.startsWith(QLatin1String("save-loop"))) {
                torn041 += int(w->err.count("Error loading trajectory index"));
                for (const QString& line : w->withPrefix(QStringLiteral("saved "))) {
                    const QStringList parts = line.split(u' ');
                    QVERIFY2(parts.size() == 3 && !saved.contains(parts[1]), qPrintable(line));
                    saved.insert(parts[1], parts[2]);
                }
            } else if (w->name.startsWith(QLatin1String("codex"))) {
                QStringList anomalies;
                for (const char* bad : { "regressed ", "vanished ", "reverted ", "damaged " })
                    anomalies += w->withPrefix(QLatin1String(bad));
                QVERIFY2(anomalies.isEmpty(),
                    qPrintable(QStringLiteral("a repair undid the codex writer's work: ") + anomalies.join(u'|')));
                int seq = 0;
                for (const QString& line : w->withPrefix(QStringLiteral("wrote "))) {
                    const QStringList parts = line.split(u' ');
                    QVERIFY2(parts.size() == 3 && parts[2].toInt() == ++seq, qPrintable(line));
                    if (!writerJobs.contains(parts[1]))
                        writerJobs.append(parts[1]);
                }
                lastSeq = seq;
                const QStringList done = w->lines.last().split(u' '); // done COUNT SEQ FOREIGN
                QCOMPARE(done.mid(0, 3),
                    QStringList({ QStringLiteral("done"), QString::number(kCodexJobs), QString::number(seq) }));
                keptByWriter = done.value(3).toInt();
            } else {
                const QStringList breaches = w->withPrefix(QStringLiteral("breach "));
                for (const QString& line : breaches) {
                    const QStringList parts = line.split(u' '); // breach I HOLDER EPOCH_MS
                    QVERIFY2(parts.size() == 4, qPrintable(line));
                    const bool alone = w->name.endsWith(QLatin1String("cgc")) && parts[3].toLongLong() < lateStartMs;
                    QVERIFY2(parts[2] != us && !alone,
                        qPrintable(QStringLiteral("%1 %2: a repair was inside codegraph's journal lock with it (test "
                                                  "PID %3; other appenders started at %4)")
                                       .arg(w->name, line, us)
                                       .arg(lateStartMs)));
                    codegraphOwn.append(w->name.section(u' ', 1) + QLatin1Char(' ') + line);
                }
                QCOMPARE(w->lines.last(), QStringLiteral("done %1 %2").arg(kAppends).arg(breaches.size()));
                prefixes.append(w->name.section(u' ', 1));
            }
        }
        QCOMPARE(saved.size(), 2 * kSaves);
        QCOMPARE(writerJobs.size(), kCodexJobs);
        QCOMPARE(prefixes.size(), 3);

        // Writers stopped: one more repair completes every index; a second one plans nothing.
        QElapsedTimer finalClock;
        finalClock.start();
        const RepairPlan finalPlan = planFor(ws.path());
        const QList<RepairResult> finalResults = applyPlan(finalPlan);
        const qint64 finalMs = finalClock.elapsed();
        for (const RepairResult& r : finalResults)
            QVERIFY2(
                r.outcome == RepairResult::Outcome::Applied, qPrintable(r.actionId + QLatin1String(": ") + r.detail));
        Tally last;
        last.add(finalPlan, finalResults);
        const RepairPlan again = planFor(ws.path());
        QVERIFY2(again.actions.isEmpty(), qPrintable(planText(again)));

        checkTrajectories(ws.path(), saved);
        if (QTest::currentTestFailed())
            return;
        checkCodex(codex, writerJobs, lastSeq, deadJob);
        if (QTest::currentTestFailed())
            return;
        checkJournal(codegraph, prefixes);
        if (QTest::currentTestFailed())
            return;
        QVERIFY(!QFile::exists(stealTmp));
        QVERIFY(!QFile::exists(indexTmp));
        int rewrites = 0;
        QStringList corrupt;
        for (const QString& dir : { trajectories, codex, codegraph }) {
            checkAudit(dir, tally.appliedIn.value(dir) + last.appliedIn.value(dir), deadLine, &rewrites, &corrupt);
            if (QTest::currentTestFailed())
                return;
        }

        // A swap that met a writer keeps both versions, one under our tmp name: count any left.
        QStringList ownTmps;
        for (const QString& dir : { trajectories, codex, codegraph }) {
            QDirIterator it(
                dir, { QStringLiteral("*.stateward.tmp") }, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
            while (it.hasNext()) {
                const QString path = it.next();
                if (!path.contains(QLatin1String("/.stateward/")))
                    ownTmps.append(path);
            }
        }

        qInfo("final repair: %lld ms, %s; audited rewrites: %d, of them of a corrupt index: %lld %s", finalMs,
            qPrintable(counts(last.applied)), rewrites, qint64(corrupt.size()),
            qPrintable(corrupt.join(QStringLiteral("; "))));
        qInfo("0.4.1 read a torn index.json %d times (the savers' own race)", torn041);
        qInfo("the codex writer found state.json rewritten by a repair %d times and built on it", keptByWriter);
        qInfo("versions kept aside under our tmp names: %lld %s", qint64(ownTmps.size()),
            qPrintable(ownTmps.join(QStringLiteral(", "))));
        qInfo("codegraph appenders inside the journal lock with another appender: %lld (its own race) %s",
            qint64(codegraphOwn.size()), qPrintable(codegraphOwn.join(QStringLiteral("; "))));
    }
};

QTEST_GUILESS_MAIN(TestRepairRace)
#include "tst_repairrace.moc"
