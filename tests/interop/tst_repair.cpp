// SPDX-License-Identifier: GPL-3.0-or-later
// core/repair and `stateward-cli repair|undo`: plans from real scans, applied under the tools'
// locks, quarantined and undone byte-identically; the real agent-trajectories@0.4.1 seed race
// repaired until that version's own `trail list` shows every trajectory.
#include "childprocess.h"
#include "clirun.h"
#include "nodetools.h"
#include "proc/processinfo.h"
#include "repair/quarantine.h"
#include "repair/repair.h"
#include "sources/codexsource.h"
#include "sources/jsonfile.h"
#include "sources/source.h"
#include "testfiles.h"
#include "trajectorytools.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <functional>
#include <sys/stat.h>

using namespace Stateward;
using namespace TestFiles;

namespace {

RepairPlan planFor(const QString& ws, const QList<RepairKind>& kinds = {})
{
    ScanContext context;
    // As of past every start-up grace: the brokers these tests start are orphans from their start.
    context.setNow(QDateTime::currentDateTimeUtc().addSecs(CodexSource::kBrokerGraceSecs + 60));
    return planRepairs(scanWorkspace(ws, context), kinds);
}

QStringList kindsOf(const RepairPlan& plan)
{
    QStringList kinds;
    for (const RepairAction& a : plan.actions)
        kinds.append(nameOf(a.kind));
    return kinds;
}

// <ws>/.trajectories with one active trajectory and an empty index: one reindex to do.
QDir oneUnindexedRecord(const QTemporaryDir& ws)
{
    const QDir root(ws.filePath(QStringLiteral(".trajectories")));
    root.mkpath(QStringLiteral("active"));
    TestFiles::writeFile(root.filePath(QStringLiteral("active/traj_a1.json")),
        R"({"id":"traj_a1","version":1,"task":{"title":"one"},"status":"active","startedAt":"2026-11-01T10:00:00.000Z"})");
    TestFiles::writeFile(root.filePath(QStringLiteral("index.json")), R"({"version":1,"trajectories":{}})");
    return root;
}

} // namespace

class TestRepair : public QObject
{
    Q_OBJECT

    QTemporaryDir m_data;
    QTemporaryDir m_tmp; // our $TMPDIR: the cxc-* session dirs a repair may remove are only the test's

    // A stand-in broker started the way upstream's spawnBrokerProcess does, in a fresh mkdtemp-style
    // $TMPDIR/cxc-XXXXXX dir; true once it listens.
    static bool startBroker(ChildProcess& broker, const QString& ws, QString* session,
        const QString& script = NodeTools::standin("app-server-broker.mjs"))
    {
        QTemporaryDir dir(QDir::tempPath() + QLatin1String("/cxc-XXXXXX"));
        dir.setAutoRemove(false);
        *session = dir.path();
        if (!dir.isValid()
            || !broker.start(NodeTools::node(),
                { script, QStringLiteral("serve"), QStringLiteral("--endpoint"),
                    QStringLiteral("unix:") + *session + QLatin1String("/broker.sock"), QStringLiteral("--cwd"), ws,
                    QStringLiteral("--pid-file"), *session + QLatin1String("/broker.pid") }))
            return false;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 20000) {
            if (QFile::exists(*session + QLatin1String("/broker.sock")))
                return true;
            QThread::msleep(20);
        }
        return false;
    }

    QString makeCodexState(const QString& ws, const QStringList& options)
    {
        return NodeTools::makeCodexState(m_data.path(), ws, options);
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(NodeTools::missing().isEmpty(), qPrintable(NodeTools::missing()));
        QVERIFY2(TrajectoryTools::missing().isEmpty(), qPrintable(TrajectoryTools::missing()));
        qputenv("CLAUDE_PLUGIN_DATA", m_data.path().toLocal8Bit());
        QVERIFY(m_tmp.isValid());
        qputenv("TMPDIR", m_tmp.path().toLocal8Bit());
        qputenv("STANDIN_BROKER_LOG", "1"); // brokers leave a broker.log for the quarantine to keep
    }

    // The seed: 20 concurrent real 0.4.1 saves; repair makes trail list show all 20, a second
    // repair plans nothing, undo puts the raced index back byte for byte.
    void seedRaceRepairedAndUndone()
    {
        QTemporaryDir ws;
        QStringList ids;
        QCOMPARE(TrajectoryTools::runSeedRace(ws.path(), 20, &ids), 20);
        QString error;
        const QStringList before = TrajectoryTools::trailList(ws.path(), QStringLiteral("041"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QString index = ws.filePath(QStringLiteral(".trajectories/index.json"));
        const QByteArray raced = readAll(index);

        const RepairPlan plan = planFor(ws.path());
        if (before.size() < 20 && !raced.isEmpty() && QJsonDocument::fromJson(raced).isObject()) {
            QCOMPARE(kindsOf(plan), QStringList { QStringLiteral("reindex") });
            QCOMPARE(plan.actions.first().add.size(), qsizetype(20 - before.size()));
        } else { // a torn or empty index: replaced by the recovered one
            QCOMPARE(kindsOf(plan), QStringList { QStringLiteral("replace-corrupt-index") });
        }
        // As a user runs it: `stateward-cli repair WS --yes`.
        const CliRun run
            = runCli({ QStringLiteral("repair"), ws.path(), QStringLiteral("--yes"), QStringLiteral("--json") });
        QVERIFY2(run.exitCode == 0, run.out + run.err);
        const QJsonArray results = QJsonDocument::fromJson(run.out).object().value(QStringLiteral("results")).toArray();
        QCOMPARE(results.size(), 1);
        QCOMPARE(results.first().toObject().value(QStringLiteral("outcome")).toString(), QStringLiteral("applied"));
        const QString quarantineId = results.first().toObject().value(QStringLiteral("quarantine")).toString();

        QStringList after = TrajectoryTools::trailList(ws.path(), QStringLiteral("041"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        after.sort();
        ids.sort();
        QCOMPARE(after, ids);
        QVERIFY2(planFor(ws.path()).actions.isEmpty(), "a second repair plans nothing");

        const UndoResult undo = undoQuarantine(ws.filePath(QStringLiteral(".trajectories")), quarantineId);
        QVERIFY2(undo.ok, qPrintable(undo.refused.join(u'|') + undo.error));
        QCOMPARE(readAll(index), raced);
        const QList<QByteArray> audit
            = readAll(ws.filePath(QStringLiteral(".trajectories/.stateward/audit.jsonl"))).trimmed().split('\n');
        QCOMPARE(audit.size(), 2);
        QCOMPARE(QJsonDocument::fromJson(audit.at(0)).object().value(QStringLiteral("outcome")).toString(),
            QStringLiteral("applied"));
        QCOMPARE(QJsonDocument::fromJson(audit.at(1)).object().value(QStringLiteral("op")).toString(),
            QStringLiteral("undo"));
    }

    // Every kind on a small fixture, then undo of each quarantine restores the bytes.
    void locksTmpFilesAndIndexEntries()
    {
        QTemporaryDir ws;
        const QDir root(ws.filePath(QStringLiteral(".trajectories")));
        QVERIFY(root.mkpath(QStringLiteral("active")));
        QVERIFY(root.mkpath(QStringLiteral("completed/2026-10")));
        const QByteArray a1 = R"({"id":"traj_a1","version":1,"task":{"title":"one"},"status":"active",
            "startedAt":"2026-11-01T10:00:00.000Z","agents":[],"chapters":[],"commits":[],"filesChanged":[],"tags":[]})";
        const QByteArray c1 = R"({"id":"traj_c1","version":1,"task":{"title":"two"},"status":"completed",
            "startedAt":"2026-10-01T10:00:00.000Z","completedAt":"2026-10-01T11:00:00.000Z","agents":[],"chapters":[],
            "commits":[],"filesChanged":[],"tags":[]})";
        writeFile(root.filePath(QStringLiteral("active/traj_a1.json")), a1);
        writeFile(root.filePath(QStringLiteral("completed/2026-10/traj_c1.json")), c1);
        // c1 is listed as active at its old place (stale), gone1 names no file (dangling), a1 is missing.
        const QByteArray original
            = QStringLiteral(R"({"version":1,"lastUpdated":"2026-10-01T10:00:00.000Z","trajectories":{
            "traj_c1":{"title":"two","status":"active","startedAt":"2026-10-01T10:00:00.000Z","path":"%1/active/traj_c1.json"},
            "traj_gone1":{"title":"gone","status":"active","startedAt":"2026-10-01T10:00:00.000Z","path":"/etc/passwd"}}})")
                  .arg(root.path())
                  .toUtf8();
        writeFile(root.filePath(QStringLiteral("index.json")), original);
        // A dead writer's index tmp (0.5.7's name), and a stale lock of ours left by a dead PID.
        const qint64 dead = ChildProcess::deadPid();
        QVERIFY(dead > 0);
        const QString tmp
            = root.filePath(QStringLiteral("index.json.%1.0b7c1f5e-94a4-4d59-8d7c-3e0f2f1e9a11.tmp").arg(dead));
        writeFile(tmp, "{\"version\":1,\"trajec");
        backdate(tmp, 120);
        const QString lock = root.filePath(QStringLiteral("index.json.lock"));
        writeFile(lock, QByteArray::number(dead) + '\n' + QByteArray::number(dead) + "-0123456789abcdef\n");
        backdate(lock, 120);
        // A symlinked tmp name pointing outside: reported, and only the link itself is moved aside.
        QTemporaryDir outside;
        writeFile(outside.filePath(QStringLiteral("precious")), "keep me");
        QVERIFY(QFile::link(outside.filePath(QStringLiteral("precious")),
            root.filePath(QStringLiteral("index.json.%1.aaaaaaaa-94a4-4d59-8d7c-3e0f2f1e9a11.tmp").arg(dead))));
        const QMap<QString, QByteArray> outsideBefore = treeContents(outside.path());

        const RepairPlan plan = planFor(ws.path());
        QCOMPARE(kindsOf(plan),
            QStringList({ QStringLiteral("clear-stale-lock"), QStringLiteral("sweep-tmp"), QStringLiteral("sweep-tmp"),
                QStringLiteral("reindex") }));
        const RepairAction& rewrite = plan.actions.at(3);
        QCOMPARE(rewrite.add, QSet<QString> { QStringLiteral("traj_a1") });
        QCOMPARE(rewrite.drop, QSet<QString> { QStringLiteral("traj_gone1") });
        QCOMPARE(rewrite.fix, QSet<QString> { QStringLiteral("traj_c1") });

        const QList<RepairResult> results = applyPlan(plan);
        for (const RepairResult& r : results)
            QVERIFY2(
                r.outcome == RepairResult::Outcome::Applied, qPrintable(r.actionId + QLatin1String(": ") + r.detail));
        QVERIFY(!QFile::exists(lock));
        QVERIFY(!QFile::exists(tmp));
        const QJsonObject entries = QJsonDocument::fromJson(readAll(root.filePath(QStringLiteral("index.json"))))
                                        .object()
                                        .value(QStringLiteral("trajectories"))
                                        .toObject();
        QCOMPARE(entries.keys(), QStringList({ QStringLiteral("traj_a1"), QStringLiteral("traj_c1") }));
        QCOMPARE(entries.value(QStringLiteral("traj_c1")).toObject().value(QStringLiteral("status")).toString(),
            QStringLiteral("completed"));
        QCOMPARE(treeContents(outside.path()), outsideBefore);
        QVERIFY2(planFor(ws.path()).actions.isEmpty(), "idempotent");

        // Undo: the tmp file and the index come back byte-identical; the lock stays cleared.
        for (const RepairResult& r : results) {
            const UndoResult u = undoQuarantine(root.path(), r.quarantineId);
            QVERIFY2(u.error.isEmpty(), qPrintable(u.error));
            if (r.actionId.startsWith(QLatin1String("clear-stale-lock")))
                QCOMPARE(u.notRestorable.size(), 1);
            else
                QVERIFY2(u.ok && u.restored.size() == 1, qPrintable(u.refused.join(u'|')));
        }
        QCOMPARE(readAll(tmp), QByteArray("{\"version\":1,\"trajec"));
        QCOMPARE(readAll(root.filePath(QStringLiteral("index.json"))), original);
        QVERIFY(!QFile::exists(lock));
        const UndoResult again = undoQuarantine(root.path(), results.last().quarantineId);
        QVERIFY(again.error.contains(QLatin1String("already undone")));
    }

    // Seed 003 race 3: two brokers started at once for one workspace; broker.json names the last
    // writer's. The one-click cleanup terminates the other and removes its session dir and a dead
    // broker's leftover dir; the named broker, a decoy with a look-alike argv and a PID that was
    // reused by an unrelated process are never signalled.
    void orphanBrokersCleanedUp()
    {
        QTemporaryDir ws;
        ChildProcess named, orphan, decoy;
        QString namedSession, orphanSession, decoySession;
        QVERIFY(startBroker(named, ws.path(), &namedSession));
        QVERIFY(startBroker(orphan, ws.path(), &orphanSession));
        // Same workspace and flags, but not the broker script (a backup copy someone runs).
        const QString lookAlike = m_tmp.filePath(QStringLiteral("app-server-broker.orig.mjs"));
        QVERIFY(QFile::copy(NodeTools::standin("app-server-broker.mjs"), lookAlike));
        QVERIFY(startBroker(decoy, ws.path(), &decoySession, lookAlike));
        const QString dir = makeCodexState(ws.path(),
            { QStringLiteral("--jobs"), QStringLiteral("1"), QStringLiteral("--broker-session"), namedSession,
                QStringLiteral("--broker-pid"), QString::number(named.pid()) });
        QVERIFY(!dir.isEmpty());
        // A broker that died without teardown long ago: its dir holds a pid file and a log.
        QTemporaryDir leakedDir(QDir::tempPath() + QLatin1String("/cxc-XXXXXX"));
        leakedDir.setAutoRemove(false);
        const QString leaked = leakedDir.path();
        writeFile(leaked + QLatin1String("/broker.pid"), QByteArray::number(ChildProcess::deadPid()) + '\n');
        writeFile(leaked + QLatin1String("/broker.log"), "listening\nclient connected\n");
        for (const QString& p :
            { leaked + QLatin1String("/broker.pid"), leaked + QLatin1String("/broker.log"), leaked })
            backdate(p, 60);
        const QMap<QString, QByteArray> leakedBefore = treeContents(leaked);

        // Without a kind nothing is signalled: termination needs someone to ask for it.
        QVERIFY(!kindsOf(planFor(ws.path())).contains(QStringLiteral("terminate-orphan")));
        ScanContext seen;
        seen.setNow(QDateTime::currentDateTimeUtc().addSecs(CodexSource::kBrokerGraceSecs + 60));
        const QList<Snapshot> before = scanWorkspace(ws.path(), seen);
        RepairPlan plan = planRepairs(before, orphanCleanupKinds());
        QCOMPARE(
            kindsOf(plan), QStringList({ QStringLiteral("terminate-orphan"), QStringLiteral("remove-session-dir") }));
        const RepairAction terminate = plan.actions.at(0);
        QCOMPARE(terminate.pid, qint64(orphan.pid()));
        QCOMPARE(terminate.sessionDir, orphanSession);
        QVERIFY(terminate.startTicks > 0);
        QCOMPARE(plan.actions.at(1).sessionDir, leaked);

        // The PID reused by an unrelated process (the decoy stands in for it): the start time differs.
        RepairAction reused = terminate;
        reused.pid = decoy.pid();
        QList<RepairResult> results = applyPlan(RepairPlan { { reused }, {} });
        QCOMPARE(results.first().outcome, RepairResult::Outcome::Skipped);
        QVERIFY2(results.first().detail.contains(QLatin1String("start")), qPrintable(results.first().detail));
        // Same PID and start time as the live decoy: its argv is not a broker's.
        reused.startTicks = inspectProcess(decoy.pid()).startTicks;
        results = applyPlan(RepairPlan { { reused }, {} });
        QCOMPARE(results.first().outcome, RepairResult::Outcome::Skipped);
        QVERIFY2(
            results.first().detail.contains(QLatin1String("not a codex broker")), qPrintable(results.first().detail));
        QVERIFY(inspectProcess(decoy.pid()).isAlive());
        QVERIFY(QFileInfo::exists(decoySession + QLatin1String("/broker.sock")));

        results = applyPlan(plan);
        QCOMPARE(results.size(), 2);
        for (const RepairResult& r : results)
            QVERIFY2(r.outcome == RepairResult::Outcome::Applied, qPrintable(r.detail + r.skipped.join(u'\n')));
        QVERIFY2(results.first().applied.join(u'\n').contains(QLatin1String("start ticks")),
            qPrintable(results.first().applied.join(u'\n')));
        QVERIFY(orphan.reap(5000) >= 0); // it exited: the kernel hands us its status
        QVERIFY(!QFileInfo::exists(orphanSession));
        QVERIFY(!QFileInfo::exists(leaked));
        QVERIFY(inspectProcess(named.pid()).isAlive());
        QVERIFY(inspectProcess(decoy.pid()).isAlive());
        QVERIFY(QFileInfo::exists(namedSession + QLatin1String("/broker.sock")));
        QVERIFY(QFileInfo::exists(decoySession + QLatin1String("/broker.sock")));
        QVERIFY(planFor(ws.path(), orphanCleanupKinds()).actions.isEmpty());
        // Nothing watches $TMPDIR, so a window may still hold the scan from before: a plan from it
        // names the removed dir as gone instead of offering to remove it again.
        const RepairPlan stale = planRepairs(before, { RepairKind::RemoveSessionDir });
        QVERIFY(stale.actions.isEmpty());
        QVERIFY2(
            stale.notes.contains(leaked + QLatin1String(": gone since the scan")), qPrintable(stale.notes.join(u'|')));

        // The orphan's log and the leaked dir were kept; undo writes the leaked dir back byte for byte.
        const QList<QuarantineInfo> kept = listQuarantines(dir);
        QCOMPARE(kept.size(), 2);
        bool logKept = false;
        for (const QuarantineEntry& e : kept.first().entries)
            logKept |= e.path == orphanSession + QLatin1String("/broker.log");
        QVERIFY(logKept);
        // The terminated orphan's session dir is evidence only: undo cannot restart the process, so
        // it does not bring back its litter either.
        QVERIFY(!results.first().quarantineId.isEmpty());
        for (const QuarantineInfo& q : kept) {
            if (q.id == results.first().quarantineId)
                QVERIFY(!hasRestorable(q));
        }
        const UndoResult none = undoQuarantine(dir, results.first().quarantineId);
        QVERIFY(none.restored.isEmpty());
        QVERIFY2(
            !none.notRestorable.isEmpty() && none.notRestorable.first().contains(QLatin1String("cannot be restarted")),
            qPrintable(none.notRestorable.join(u'\n')));
        QVERIFY(!QFileInfo::exists(orphanSession));
        const UndoResult u = undoQuarantine(dir, results.at(1).quarantineId);
        QVERIFY2(u.ok, qPrintable(u.refused.join(u'\n') + u.error));
        QCOMPARE(treeContents(leaked), leakedBefore);
        QDir(leaked).removeRecursively();
        QDir(namedSession).removeRecursively();
        QDir(decoySession).removeRecursively();
    }

    // trail cannot read it: it goes to invalid/<path> as `trail doctor --quarantine` would, with a
    // ".N" suffix when the name is taken; a file changed within the last seconds may be half-written
    // by a live writer and is left alone; undo brings it back.
    void invalidRecordQuarantined()
    {
        QTemporaryDir ws;
        const QDir root = oneUnindexedRecord(ws);
        // (plain literals: moc counts the braces inside raw strings)
        const QByteArray torn = "{\"id\":\"traj_bad\",\"version\":1,\"task\":{\"tit";
        writeFile(root.filePath(QStringLiteral("active/traj_bad.json")), torn);
        backdate(root.filePath(QStringLiteral("active/traj_bad.json")), 60);
        QVERIFY(root.mkpath(QStringLiteral("invalid/active")));
        writeFile(root.filePath(QStringLiteral("invalid/active/traj_bad.json")), "from an earlier doctor run\n");
        writeFile(root.filePath(QStringLiteral("active/traj_new.json")), "{\"id\":\"traj_new\"");
        const QMap<QString, QByteArray> before = treeContents(root.path());

        const RepairPlan plan = planFor(ws.path(), { RepairKind::QuarantineInvalid });
        QCOMPARE(plan.actions.size(), 2);
        QStringList summaries;
        for (const RepairAction& a : plan.actions)
            summaries.append(a.summary);
        summaries.sort();
        const QString stateDir = plan.actions.first().stateDir;
        QCOMPARE(summaries,
            QStringList(
                { QStringLiteral("move %1/active/traj_bad.json to %1/invalid/active/traj_bad.json").arg(stateDir),
                    QStringLiteral("move %1/active/traj_new.json to %1/invalid/active/traj_new.json").arg(stateDir) }));
        QList<RepairResult> results = applyPlan(plan);
        QStringList outcomes;
        for (const RepairResult& r : results)
            outcomes.append(nameOf(r.outcome) + QLatin1Char(' ') + QFileInfo(r.actionId).fileName());
        outcomes.sort();
        QCOMPARE(outcomes,
            QStringList({ QStringLiteral("applied traj_bad.json"), QStringLiteral("skipped traj_new.json") }));
        QVERIFY(!QFileInfo::exists(root.filePath(QStringLiteral("active/traj_bad.json"))));
        QCOMPARE(readAll(root.filePath(QStringLiteral("invalid/active/traj_bad.json.1"))), torn);
        QVERIFY(QFileInfo::exists(root.filePath(QStringLiteral("active/traj_new.json"))));
        for (const RepairResult& r : results) {
            if (r.outcome == RepairResult::Outcome::Skipped) {
                QVERIFY2(r.detail.contains(QLatin1String("half-written")), qPrintable(r.detail));
                // Its age aside (0 s, or 1 s on a slow run), word for word.
                static const QRegularExpression settling(
                    QStringLiteral("^%1/active/traj_new\\.json changed \\d+ s ago \\(under 10 s\\): trail writes "
                                   "records in place, so it may be half-written by a live writer; left alone for now$")
                        .arg(QRegularExpression::escape(stateDir)));
                QVERIFY2(settling.match(r.detail).hasMatch(), qPrintable(r.detail));
            } else {
                QCOMPARE(r.detail,
                    QStringLiteral("%1/active/traj_bad.json moved to %1/invalid/active/traj_bad.json.1").arg(stateDir));
                QVERIFY(undoQuarantine(root.path(), r.quarantineId).ok);
            }
        }
        QMap<QString, QByteArray> after = treeContents(root.path());
        after.removeIf([](const auto& it) { return it.key().startsWith(QLatin1String(".stateward")); });
        QCOMPARE(after, before);
    }

    // Whatever the files say, a repair changes nothing outside the state dir: a tmp-named symlink to
    // a file outside, index entries and job ids pointing outside, a state dir reached by a symlink.
    void symlinksAndTraversalChangeNothingOutside()
    {
        QTemporaryDir ws, outside;
        writeFile(outside.filePath(QStringLiteral("victim.json")), R"({"id":"victim","keep":"me"})");
        writeFile(outside.filePath(QStringLiteral("index.json")), R"({"version":1,"trajectories":{}})");
        const QMap<QString, QByteArray> outsideBefore = treeContents(outside.path());
        const QDir root = oneUnindexedRecord(ws);
        // An orphan-looking tmp name that is a symlink to a file outside, backdated like real litter.
        const QString link = root.filePath(QStringLiteral("index.json.4242.0b7c1f5e-94a4-4d59-8d7c-3e0f2f1e9a11.tmp"));
        QVERIFY(QFile::link(outside.filePath(QStringLiteral("victim.json")), link));
        // Index entries whose paths and ids lead outside.
        writeFile(root.filePath(QStringLiteral("index.json")),
            QStringLiteral(R"({"version":1,"trajectories":{"../../victim":{"title":"x","status":"active","path":"%1"},)"
                           R"("traj_out":{"title":"y","status":"active","path":"%2/../../victim.json"}}})")
                .arg(outside.filePath(QStringLiteral("victim.json")), root.path())
                .toUtf8());
        // A codex state whose job ids try to walk out of jobs/.
        const QString codexDir = makeCodexState(ws.path(), { QStringLiteral("--jobs"), QStringLiteral("1") });
        QVERIFY(!codexDir.isEmpty());
        QFile state(codexDir + QLatin1String("/state.json"));
        QVERIFY(state.open(QIODevice::ReadOnly));
        QJsonObject o = QJsonDocument::fromJson(state.readAll()).object();
        state.close();
        QJsonArray jobs = o.value(QStringLiteral("jobs")).toArray();
        QJsonObject evil = jobs.first().toObject();
        evil.insert(QStringLiteral("id"), QStringLiteral("../../../") + outside.filePath(QStringLiteral("victim")));
        evil.insert(QStringLiteral("status"), QStringLiteral("running"));
        evil.insert(QStringLiteral("pid"), ChildProcess::deadPid());
        jobs.append(evil);
        o.insert(QStringLiteral("jobs"), jobs);
        writeFile(codexDir + QLatin1String("/state.json"), QJsonDocument(o).toJson());
        // A second workspace whose state dir is a symlink to the outside dir.
        QTemporaryDir linked;
        QVERIFY(QFile::link(outside.path(), linked.filePath(QStringLiteral(".trajectories"))));

        const RepairPlan plan = planRepairs(
            [&] {
                ScanContext context;
                return scanWorkspace(ws.path(), context) + scanWorkspace(linked.path(), context);
            }(),
            repairKinds());
        for (const RepairAction& a : plan.actions) {
            QVERIFY2(!a.target.startsWith(outside.path()), qPrintable(a.id));
            QVERIFY2(a.stateDir.startsWith(ws.path()) || a.stateDir.startsWith(m_data.path()), qPrintable(a.id));
        }
        const QList<RepairResult> results = applyPlan(plan);
        QVERIFY(!results.isEmpty());
        for (const RepairResult& r : results)
            QVERIFY2(
                r.outcome != RepairResult::Outcome::Failed, qPrintable(r.actionId + QLatin1String(": ") + r.detail));
        QCOMPARE(treeContents(outside.path()), outsideBefore);
        QVERIFY(QFileInfo(outside.filePath(QStringLiteral("victim.json"))).isFile());
        // The symlink itself is litter inside the state dir: moved aside, never followed.
        QVERIFY(!QFileInfo(link).isSymLink());
    }

    void undoNeverOverwritesNewerWork()
    {
        QTemporaryDir ws;
        const QDir root = oneUnindexedRecord(ws);
        const QList<RepairResult> results = applyPlan(planFor(ws.path()));
        QCOMPARE(results.size(), 1);
        // The tool saves again after the repair: that version is someone's work.
        const QByteArray newer = R"({"version":1,"trajectories":{"traj_a1":{"title":"one","status":"active"}}})";
        writeFile(root.filePath(QStringLiteral("index.json")), newer);
        const UndoResult u = undoQuarantine(root.path(), results.first().quarantineId);
        QVERIFY(!u.ok);
        QCOMPARE(u.refused.size(), 1);
        QVERIFY2(u.refused.first().contains(QLatin1String("changed since the repair")), qPrintable(u.refused.first()));
        QCOMPARE(readAll(root.filePath(QStringLiteral("index.json"))), newer);
    }

    void codexDeadJobMarkedFailed()
    {
        QTemporaryDir ws;
        const QString dir = makeCodexState(ws.path(),
            { QStringLiteral("--jobs"), QStringLiteral("2"), QStringLiteral("--dead-running"),
                QStringLiteral("--orphan-job-file") });
        QVERIFY(!dir.isEmpty());
        const QMap<QString, QByteArray> before = treeContents(dir);
        const RepairPlan plan = planFor(ws.path(), { RepairKind::MarkFailed, RepairKind::Reindex });
        QCOMPARE(kindsOf(plan), QStringList({ QStringLiteral("reindex"), QStringLiteral("mark-failed") }));
        const QString jobId = plan.actions.at(1).jobId;
        const QList<RepairResult> results = applyPlan(plan);
        for (const RepairResult& r : results)
            QVERIFY2(r.outcome == RepairResult::Outcome::Applied, qPrintable(r.detail));
        const QJsonObject job
            = QJsonDocument::fromJson(readAll(dir + QStringLiteral("/jobs/%1.json").arg(jobId))).object();
        QCOMPARE(job.value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
        QVERIFY(job.value(QStringLiteral("pid")).isNull());
        QVERIFY(job.value(QStringLiteral("errorMessage")).toString().contains(QLatin1String("is not running")));
        bool found = false;
        for (const QJsonValue& v : QJsonDocument::fromJson(readAll(dir + QLatin1String("/state.json")))
                                       .object()
                                       .value(QStringLiteral("jobs"))
                                       .toArray()) {
            if (v.toObject().value(QStringLiteral("id")).toString() == jobId) {
                found = true;
                QCOMPARE(v.toObject().value(QStringLiteral("status")).toString(), QStringLiteral("failed"));
            }
        }
        QVERIFY(found);
        QVERIFY(planFor(ws.path(), { RepairKind::MarkFailed, RepairKind::Reindex }).actions.isEmpty());
        // Undo in reverse order brings back every byte (the .stateward area aside).
        for (qsizetype i = results.size() - 1; i >= 0; --i)
            QVERIFY(undoQuarantine(dir, results.at(i).quarantineId).ok);
        QMap<QString, QByteArray> after = treeContents(dir);
        after.removeIf([](const auto& it) { return it.key().startsWith(QLatin1String(".stateward")); });
        QCOMPARE(after, before);
    }

    // The worker finished and wrote its job file, then died before state.json heard of it: the job
    // file's 'completed' is the truth; state.json follows it and the job file is left as it is.
    void codexFinishedJobFileWins()
    {
        QTemporaryDir ws;
        const QString dir = makeCodexState(
            ws.path(), { QStringLiteral("--jobs"), QStringLiteral("0"), QStringLiteral("--dead-running") });
        QVERIFY(!dir.isEmpty());
        const RepairPlan plan = planFor(ws.path(), { RepairKind::MarkFailed });
        QCOMPARE(kindsOf(plan), QStringList { QStringLiteral("mark-failed") });
        const QString jobPath = dir + QStringLiteral("/jobs/%1.json").arg(plan.actions.first().jobId);
        QJsonObject file = QJsonDocument::fromJson(readAll(jobPath)).object();
        file.insert(QStringLiteral("status"), QStringLiteral("completed"));
        file.insert(QStringLiteral("phase"), QStringLiteral("done"));
        file.insert(QStringLiteral("pid"), QJsonValue::Null);
        file.insert(QStringLiteral("completedAt"), QStringLiteral("2026-11-23T10:00:00.000Z"));
        file.insert(QStringLiteral("rendered"), QStringLiteral("All done."));
        const QByteArray finished = QJsonDocument(file).toJson();
        writeFile(jobPath, finished);
        const QList<RepairResult> results = applyPlan(plan);
        QVERIFY2(results.first().outcome == RepairResult::Outcome::Applied, qPrintable(results.first().detail));
        QVERIFY2(
            results.first().detail.contains(QLatin1String("as its job file says")), qPrintable(results.first().detail));
        QCOMPARE(readAll(jobPath), finished);
        const QJsonObject entry = QJsonDocument::fromJson(readAll(dir + QLatin1String("/state.json")))
                                      .object()
                                      .value(QStringLiteral("jobs"))
                                      .toArray()
                                      .first()
                                      .toObject();
        QCOMPARE(entry.value(QStringLiteral("status")).toString(), QStringLiteral("completed"));
        QCOMPARE(entry.value(QStringLiteral("completedAt")).toString(), QStringLiteral("2026-11-23T10:00:00.000Z"));
        QVERIFY(!entry.contains(QStringLiteral("rendered")));
        QVERIFY(planFor(ws.path(), { RepairKind::MarkFailed }).actions.isEmpty());
    }

    // mark-failed exactly as it words and writes it: the plan, each refusal when the job changed
    // since the plan (nothing written), the result, both files byte for byte (their times aside)
    // and what the quarantine keeps. A job file with an end already written wins; one that is
    // missing is not made.
    void codexMarkFailedExactly()
    {
        QTemporaryDir ws;
        const QString dir = makeCodexState(
            ws.path(), { QStringLiteral("--jobs"), QStringLiteral("0"), QStringLiteral("--dead-running") });
        QVERIFY(!dir.isEmpty());
        RepairPlan plan = planFor(ws.path(), { RepairKind::MarkFailed });
        QCOMPARE(plan.actions.size(), 1);
        const RepairAction a = plan.actions.first();
        const QString statePath = QDir(a.stateDir).filePath(QStringLiteral("state.json"));
        const QString jobRelative = QStringLiteral("jobs/%1.json").arg(a.jobId);
        const QString jobPath = QDir(a.stateDir).filePath(jobRelative);
        QCOMPARE(a.target, statePath);
        QCOMPARE(a.id, QStringLiteral("mark-failed:%1#%2").arg(statePath, a.jobId));
        QCOMPARE(a.summary, QStringLiteral("mark job %1 failed (its process %2 is gone)").arg(a.jobId).arg(a.pid));
        QVERIFY(a.pid > 0);
        const QByteArray stateBefore = readAll(statePath);
        const QByteArray jobBefore = readAll(jobPath);
        QVERIFY(!jobBefore.isEmpty());

        const auto refused = [&](const std::function<void(QJsonObject & job, QJsonArray & jobs)>& change) {
            QJsonObject state = QJsonDocument::fromJson(stateBefore).object();
            QJsonArray jobs = state.value(QStringLiteral("jobs")).toArray();
            QJsonObject job = jobs.first().toObject();
            change(job, jobs);
            if (!jobs.isEmpty())
                jobs.replace(0, job);
            state.insert(QStringLiteral("jobs"), jobs);
            const QByteArray edited = QJsonDocument(state).toJson();
            writeFile(statePath, edited);
            const QList<RepairResult> results = applyPlan(plan);
            [&] {
                QCOMPARE(readAll(statePath), edited);
                QCOMPARE(readAll(jobPath), jobBefore);
            }();
            writeFile(statePath, stateBefore);
            return results.first();
        };
        RepairResult r = refused([](QJsonObject&, QJsonArray& jobs) { jobs.removeFirst(); });
        QCOMPARE(r.outcome, RepairResult::Outcome::Skipped);
        QCOMPARE(r.detail, QStringLiteral("job %1 is no longer in state.json").arg(a.jobId));
        r = refused([](QJsonObject& job, QJsonArray&) {
            job.insert(QStringLiteral("status"), QStringLiteral("completed"));
            job.insert(QStringLiteral("pid"), QJsonValue::Null);
        });
        QCOMPARE(r.outcome, RepairResult::Outcome::Skipped);
        QCOMPARE(r.detail, QStringLiteral("job %1 is now 'completed' with PID -1").arg(a.jobId));
        r = refused([&](QJsonObject& job, QJsonArray&) { job.insert(QStringLiteral("pid"), a.pid + 1); });
        QCOMPARE(r.outcome, RepairResult::Outcome::Skipped);
        QCOMPARE(r.detail, QStringLiteral("job %1 is now 'running' with PID %2").arg(a.jobId).arg(a.pid + 1));
        writeFile(statePath, "{");
        r = applyPlan(plan).first();
        QCOMPARE(r.outcome, RepairResult::Outcome::Skipped);
        QVERIFY2(r.detail.startsWith(statePath + QLatin1String(": JSON error")), qPrintable(r.detail));
        QCOMPARE(readAll(statePath), QByteArray("{"));
        writeFile(statePath, stateBefore);

        r = applyPlan(plan).first();
        QCOMPARE(r.outcome, RepairResult::Outcome::Applied);
        QCOMPARE(r.detail, QStringLiteral("job %1 marked failed in state.json and %2").arg(a.jobId, jobRelative));
        QVERIFY(r.skipped.isEmpty());
        QCOMPARE(r.applied.size(), 1);
        const QString message = r.applied.first();
        QVERIFY2(
            message.startsWith(QStringLiteral("Codex job ended unexpectedly (process %1 is not running: ").arg(a.pid))
                && message.endsWith(QLatin1String("); marked failed by Stateward.")),
            qPrintable(message));
        // Both files: what they held with the job failed, in the same shape and key order.
        const QJsonObject written = QJsonDocument::fromJson(readAll(statePath)).object();
        const QString now = written.value(QStringLiteral("jobs"))
                                .toArray()
                                .first()
                                .toObject()
                                .value(QStringLiteral("updatedAt"))
                                .toString();
        QVERIFY(QDateTime::fromString(now, Qt::ISODateWithMs).isValid());
        const auto failed = [&](QJsonObject o) {
            o.insert(QStringLiteral("status"), QStringLiteral("failed"));
            o.insert(QStringLiteral("phase"), QStringLiteral("failed"));
            o.insert(QStringLiteral("pid"), QJsonValue::Null);
            o.insert(QStringLiteral("completedAt"), now);
            o.insert(QStringLiteral("errorMessage"), message);
            return o;
        };
        QJsonObject expected = QJsonDocument::fromJson(stateBefore).object();
        QJsonArray jobs = expected.value(QStringLiteral("jobs")).toArray();
        QJsonObject entry = failed(jobs.first().toObject());
        entry.insert(QStringLiteral("updatedAt"), now);
        jobs.replace(0, entry);
        expected.insert(QStringLiteral("jobs"), jobs);
        QCOMPARE(readAll(statePath), toJsonText(expected));
        QCOMPARE(readAll(jobPath), toJsonText(failed(QJsonDocument::fromJson(jobBefore).object())));
        QList<QuarantineInfo> kept = listQuarantines(a.stateDir);
        QCOMPARE(kept.size(), 1);
        QCOMPARE(kept.first().id, r.quarantineId);
        QCOMPARE(kept.first().entries.size(), 2);
        QCOMPARE(kept.first().entries.at(0).path, QStringLiteral("state.json"));
        QCOMPARE(kept.first().entries.at(1).path, jobRelative);
        for (const QuarantineEntry& e : kept.first().entries)
            QCOMPARE(e.op, QuarantineEntry::Op::Replaced);
        QVERIFY(undoQuarantine(a.stateDir, r.quarantineId).ok);
        QCOMPARE(readAll(statePath), stateBefore);
        QCOMPARE(readAll(jobPath), jobBefore);

        // No job file: state.json alone.
        QVERIFY(QFile::remove(jobPath));
        r = applyPlan(plan).first();
        QCOMPARE(r.outcome, RepairResult::Outcome::Applied);
        QCOMPARE(r.detail, QStringLiteral("job %1 marked failed in state.json").arg(a.jobId));
        QVERIFY(!QFileInfo::exists(jobPath));
        kept = listQuarantines(a.stateDir);
        for (const QuarantineInfo& q : std::as_const(kept)) {
            if (q.id == r.quarantineId) {
                QCOMPARE(q.entries.size(), 1);
                QCOMPARE(q.entries.first().path, QStringLiteral("state.json"));
            }
        }
        QVERIFY(undoQuarantine(a.stateDir, r.quarantineId).ok);
        QCOMPARE(readAll(statePath), stateBefore);

        // The job file already says how the job ended: state.json takes its end fields, nothing else.
        QJsonObject finished = QJsonDocument::fromJson(jobBefore).object();
        finished.insert(QStringLiteral("status"), QStringLiteral("cancelled"));
        finished.insert(QStringLiteral("phase"), QStringLiteral("cancelled"));
        finished.insert(QStringLiteral("pid"), QJsonValue::Null);
        finished.insert(QStringLiteral("completedAt"), QStringLiteral("2026-11-23T10:00:00.000Z"));
        finished.insert(QStringLiteral("cancelledAt"), QStringLiteral("2026-11-23T10:00:00.000Z"));
        finished.insert(QStringLiteral("threadId"), QStringLiteral("thr_1"));
        finished.insert(QStringLiteral("rendered"), QStringLiteral("Stopped."));
        const QByteArray finishedBytes = QJsonDocument(finished).toJson();
        writeFile(jobPath, finishedBytes);
        r = applyPlan(plan).first();
        QCOMPARE(r.outcome, RepairResult::Outcome::Applied);
        QCOMPARE(r.detail, QStringLiteral("job %1 is 'cancelled' in state.json, as its job file says").arg(a.jobId));
        QCOMPARE(r.applied,
            QStringList { QStringLiteral("jobs/%1.json already says 'cancelled' (its process %2 ended after writing "
                                         "it); state.json now says so too")
                              .arg(a.jobId)
                              .arg(a.pid) });
        QCOMPARE(readAll(jobPath), finishedBytes);
        const QString then = QJsonDocument::fromJson(readAll(statePath))
                                 .object()
                                 .value(QStringLiteral("jobs"))
                                 .toArray()
                                 .first()
                                 .toObject()
                                 .value(QStringLiteral("updatedAt"))
                                 .toString();
        expected = QJsonDocument::fromJson(stateBefore).object();
        jobs = expected.value(QStringLiteral("jobs")).toArray();
        entry = jobs.first().toObject();
        for (const char* key :
            { "status", "phase", "threadId", "turnId", "pid", "completedAt", "errorMessage", "cancelledAt" }) {
            if (finished.contains(QLatin1String(key)))
                entry.insert(QLatin1String(key), finished.value(QLatin1String(key)));
        }
        entry.insert(QStringLiteral("updatedAt"), then);
        jobs.replace(0, entry);
        expected.insert(QStringLiteral("jobs"), jobs);
        QCOMPARE(readAll(statePath), toJsonText(expected));
    }

    // remove-session-dir exactly as it words its plan, its result and each refusal; undo writes a
    // kept file back only into a session dir's shape, whatever the manifest says.
    void sessionDirCleanupExactly()
    {
        QTemporaryDir ws;
        const QString dir = makeCodexState(ws.path(), { QStringLiteral("--jobs"), QStringLiteral("1") });
        QVERIFY(!dir.isEmpty());
        QTemporaryDir leakedDir(QDir::tempPath() + QLatin1String("/cxc-XXXXXX"));
        leakedDir.setAutoRemove(false);
        const QString leaked = leakedDir.path();
        writeFile(leaked + QLatin1String("/broker.pid"), QByteArray::number(ChildProcess::deadPid()) + '\n');
        backdate(leaked + QLatin1String("/broker.pid"), 60);
        backdate(leaked, 60);
        const RepairPlan plan = planFor(ws.path(), { RepairKind::RemoveSessionDir });
        QCOMPARE(plan.actions.size(), 1);
        const RepairAction a = plan.actions.first();
        QCOMPARE(a.id, QStringLiteral("remove-session-dir:") + leaked);
        QCOMPARE(a.target, leaked);
        QCOMPARE(a.sessionDir, leaked);
        QCOMPARE(a.summary,
            QStringLiteral("remove the unused codex session dir %1 (its files kept in the quarantine)").arg(leaked));

        const auto forcedOn = [&](const QString& path) {
            RepairAction forced = a;
            forced.target = path;
            forced.sessionDir = path;
            forced.id = QStringLiteral("remove-session-dir:") + path;
            return applyPlan(RepairPlan { { forced }, {} }).first();
        };
        const QDir tmp(QDir::tempPath());
        QVERIFY(tmp.mkdir(QStringLiteral("not-a-session")));
        RepairResult r = forcedOn(tmp.filePath(QStringLiteral("not-a-session")));
        QCOMPARE(r.outcome, RepairResult::Outcome::Skipped);
        QCOMPARE(r.detail,
            QStringLiteral("%1 is not a $TMPDIR/cxc-XXXXXX session dir; never touched")
                .arg(tmp.filePath(QStringLiteral("not-a-session"))));
        r = forcedOn(tmp.filePath(QStringLiteral("cxc-Gone01")));
        QCOMPARE(r.outcome, RepairResult::Outcome::Skipped);
        QCOMPARE(r.detail, QStringLiteral("%1 is gone already").arg(tmp.filePath(QStringLiteral("cxc-Gone01"))));
        const QString nested = tmp.filePath(QStringLiteral("cxc-Nest01"));
        QVERIFY(tmp.mkpath(QStringLiteral("cxc-Nest01/sub")));
        r = forcedOn(nested);
        QCOMPARE(r.outcome, RepairResult::Outcome::Skipped);
        QCOMPARE(r.detail, QStringLiteral("%1 holds sub, which no broker session dir does; left alone").arg(nested));
        const QString crowded = tmp.filePath(QStringLiteral("cxc-Many01"));
        QVERIFY(tmp.mkdir(QStringLiteral("cxc-Many01")));
        for (int i = 0; i < 65; ++i)
            writeFile(crowded + QStringLiteral("/f%1").arg(i), "x");
        r = forcedOn(crowded);
        QCOMPARE(r.outcome, RepairResult::Outcome::Skipped);
        QCOMPARE(r.detail,
            QStringLiteral("%1 holds over 64 entries, which no broker session dir does; left alone").arg(crowded));
        QVERIFY(QFileInfo::exists(nested + QLatin1String("/sub")));
        QCOMPARE(QDir(crowded).entryList(QDir::Files).size(), 65);
        ChildProcess live;
        QString liveSession;
        QVERIFY(startBroker(live, ws.path(), &liveSession));
        r = forcedOn(liveSession);
        QCOMPARE(r.outcome, RepairResult::Outcome::Skipped);
        QCOMPARE(
            r.detail, QStringLiteral("%1 is used by live broker PID %2 now; kept").arg(liveSession).arg(live.pid()));
        QVERIFY(QFileInfo::exists(liveSession + QLatin1String("/broker.sock")));
        live.signal(SIGKILL);
        live.reap();
        QDir(liveSession).removeRecursively();
        QDir(nested).removeRecursively();
        QDir(crowded).removeRecursively();
        QVERIFY(tmp.rmdir(QStringLiteral("not-a-session")));

        const QByteArray pidBytes = readAll(leaked + QLatin1String("/broker.pid"));
        r = applyPlan(plan).first();
        QCOMPARE(r.outcome, RepairResult::Outcome::Applied);
        const QList<QuarantineInfo> kept = listQuarantines(a.stateDir);
        QCOMPARE(kept.size(), 1);
        QCOMPARE(r.quarantineId, kept.first().id);
        QCOMPARE(r.detail, QStringLiteral("%1 removed; its files are in %2").arg(leaked, kept.first().path));
        QCOMPARE(r.applied,
            QStringList({ QStringLiteral("%1/broker.pid (%2 bytes) kept in the quarantine and removed")
                              .arg(leaked)
                              .arg(pidBytes.size()),
                QStringLiteral("%1 removed").arg(leaked) }));
        QVERIFY(!QFileInfo::exists(leaked));
        QCOMPARE(kept.first().entries.size(), 1);
        QCOMPARE(kept.first().entries.first().op, QuarantineEntry::Op::Removed);
        QCOMPARE(kept.first().entries.first().path, leaked + QLatin1String("/broker.pid"));

        // A manifest edited to send the kept file elsewhere: refused, nothing written there.
        const QString manifest = kept.first().path + QLatin1String("/manifest.json");
        const QString elsewhere = tmp.filePath(QStringLiteral("elsewhere"));
        QByteArray text = readAll(manifest);
        text.replace(QFile::encodeName(leaked), QFile::encodeName(elsewhere));
        writeFile(manifest, text);
        const UndoResult u = undoQuarantine(a.stateDir, r.quarantineId);
        QVERIFY(!u.ok);
        QCOMPARE(u.refused,
            QStringList { QStringLiteral("%1/broker.pid: not a codex session dir file; never written outside the "
                                         "state dir")
                              .arg(elsewhere) });
        QVERIFY(!QFileInfo::exists(elsewhere));
    }

    void cliDryRunChangesNothing()
    {
        QTemporaryDir ws;
        const QDir root = oneUnindexedRecord(ws);
        const QMap<QString, QByteArray> before = treeContents(ws.path());
        CliRun run
            = runCli({ QStringLiteral("repair"), ws.path(), QStringLiteral("--dry-run"), QStringLiteral("--json") });
        QCOMPARE(run.exitCode, 1);
        const QJsonObject out = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(out.value(QStringLiteral("applied")).toBool(true), false);
        QCOMPARE(out.value(QStringLiteral("plan")).toObject().value(QStringLiteral("actions")).toArray().size(), 1);
        run = runCli({ QStringLiteral("repair"), ws.path() }); // not a terminal, no --yes: a dry run
        QCOMPARE(run.exitCode, 1);
        QVERIFY(run.out.contains("dry run: nothing changed"));
        QCOMPARE(treeContents(ws.path()), before);

        run = runCli({ QStringLiteral("repair"), ws.path(), QStringLiteral("--yes") });
        QVERIFY2(run.exitCode == 0, run.out + run.err);
        run = runCli({ QStringLiteral("undo"), ws.path(), QStringLiteral("--json") });
        QCOMPARE(run.exitCode, 0);
        const QJsonArray quarantines
            = QJsonDocument::fromJson(run.out).object().value(QStringLiteral("quarantines")).toArray();
        QCOMPARE(quarantines.size(), 1);
        run = runCli({ QStringLiteral("undo"), ws.path(),
            quarantines.first().toObject().value(QStringLiteral("id")).toString() });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY(run.out.contains("restored index.json"));
        QCOMPARE(
            readAll(root.filePath(QStringLiteral("index.json"))), QByteArray(R"({"version":1,"trajectories":{}})"));
        run = runCli({ QStringLiteral("undo"), ws.path(), QStringLiteral("../../etc") });
        QCOMPARE(run.exitCode, 2);
    }

    // A person reads a plan line: of 25 entries to add, the first 20 are named, sorted, and the rest
    // counted. The action still holds every id and every finding.
    void longIdListsCounted()
    {
        QTemporaryDir ws;
        const QDir root(ws.filePath(QStringLiteral(".trajectories")));
        QVERIFY(root.mkpath(QStringLiteral("active")));
        QStringList ids;
        for (int i = 0; i < 25; ++i) {
            const QString id = QStringLiteral("traj_n%1").arg(i, 2, 10, QLatin1Char('0'));
            ids.append(id);
            // (plain literals: moc counts the braces inside raw strings)
            writeFile(root.filePath(QStringLiteral("active/%1.json").arg(id)),
                QStringLiteral("{\"id\":\"%1\",\"version\":1,\"task\":{\"title\":\"t\"},\"status\":\"active\","
                               "\"startedAt\":\"2026-11-01T10:00:00.000Z\"}")
                    .arg(id)
                    .toUtf8());
        }
        writeFile(root.filePath(QStringLiteral("index.json")), "{\"version\":1,\"trajectories\":{}}");
        const RepairPlan plan = planFor(ws.path());
        QCOMPARE(kindsOf(plan), QStringList { QStringLiteral("reindex") });
        const RepairAction& a = plan.actions.first();
        QCOMPARE(a.add.size(), qsizetype(25));
        QCOMPARE(a.findingIds.size(), qsizetype(25));
        QCOMPARE(a.effects,
            QStringList {
                QStringLiteral("add 25 entries: %1, … and 5 more").arg(ids.first(20).join(QStringLiteral(", "))) });
    }
};

QTEST_GUILESS_MAIN(TestRepair)
#include "tst_repair.moc"
