// SPDX-License-Identifier: GPL-3.0-or-later
// core/repair and `stateward-cli repair|undo`: plans from real scans, applied under the tools'
// locks, quarantined and undone byte-identically; the real agent-trajectories@0.4.1 seed race
// repaired until that version's own `trail list` shows every trajectory.
#include "childprocess.h"
#include "clirun.h"
#include "nodetools.h"
#include "repair/quarantine.h"
#include "repair/repair.h"
#include "sources/source.h"
#include "testfiles.h"
#include "trajectorytools.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Stateward;
using namespace TestFiles;

namespace {

RepairPlan planFor(const QString& ws, const QStringList& kinds = {})
{
    ScanContext context;
    return planRepairs(scanWorkspace(ws, context), kinds);
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QStringList kindsOf(const RepairPlan& plan)
{
    QStringList kinds;
    for (const RepairAction& a : plan.actions)
        kinds.append(a.kind);
    return kinds;
}

qint64 deadPid()
{
    ChildProcess child;
    if (!child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }))
        return -1;
    const qint64 pid = child.pid();
    child.signal(SIGKILL);
    child.reap();
    return pid;
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
        const QList<RepairResult> results = applyPlan(plan);
        QCOMPARE(results.size(), 1);
        QVERIFY2(results.first().outcome == RepairResult::Outcome::Applied, qPrintable(results.first().detail));

        QStringList after = TrajectoryTools::trailList(ws.path(), QStringLiteral("041"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        after.sort();
        ids.sort();
        QCOMPARE(after, ids);
        QVERIFY2(planFor(ws.path()).actions.isEmpty(), "a second repair plans nothing");

        const UndoResult undo
            = undoQuarantine(ws.filePath(QStringLiteral(".trajectories")), results.first().quarantineId);
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
        const qint64 dead = deadPid();
        QVERIFY(dead > 0);
        const QString tmp
            = root.filePath(QStringLiteral("index.json.%1.0b7c1f5e-94a4-4d59-8d7c-3e0f2f1e9a11.tmp").arg(dead));
        writeFile(tmp, "{\"version\":1,\"trajec");
        backdate(tmp, 120);
        const QString lock = root.filePath(QStringLiteral("index.json.lock"));
        writeFile(lock, QByteArray::number(dead) + '\n' + QByteArray::number(dead) + "-0123456789abcdef\n");
        backdate(lock, 120);
        // A symlinked tmp name pointing outside: never listed, never touched.
        QTemporaryDir outside;
        writeFile(outside.filePath(QStringLiteral("precious")), "keep me");
        QVERIFY(QFile::link(outside.filePath(QStringLiteral("precious")),
            root.filePath(QStringLiteral("index.json.%1.aaaaaaaa-94a4-4d59-8d7c-3e0f2f1e9a11.tmp").arg(dead))));
        const QMap<QString, QByteArray> outsideBefore = treeContents(outside.path());

        const RepairPlan plan = planFor(ws.path());
        QCOMPARE(kindsOf(plan),
            QStringList(
                { QStringLiteral("clear-stale-lock"), QStringLiteral("sweep-tmp"), QStringLiteral("reindex") }));
        const RepairAction& rewrite = plan.actions.at(2);
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
        const RepairPlan plan = planFor(ws.path(), { QStringLiteral("mark-failed"), QStringLiteral("reindex") });
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
        QVERIFY(planFor(ws.path(), { QStringLiteral("mark-failed"), QStringLiteral("reindex") }).actions.isEmpty());
        // Undo in reverse order brings back every byte (the .stateward area aside).
        for (qsizetype i = results.size() - 1; i >= 0; --i)
            QVERIFY(undoQuarantine(dir, results.at(i).quarantineId).ok);
        QMap<QString, QByteArray> after = treeContents(dir);
        after.removeIf([](const auto& it) { return it.key().startsWith(QLatin1String(".stateward")); });
        QCOMPARE(after, before);
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
};

QTEST_GUILESS_MAIN(TestRepair)
#include "tst_repair.moc"
