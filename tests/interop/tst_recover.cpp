// SPDX-License-Identifier: GPL-3.0-or-later
// core/recover and `stateward-cli export-index`: indexes rebuilt from record files, on layouts
// written by hand in the exact formats, on state from the codex stand-in, and (interop) on the
// real agent-trajectories@0.4.1 seed race, whose `trail list` must then show every trajectory.
#include "clirun.h"
#include "nodetools.h"
#include "recover/recover.h"
#include "sources/codexsource.h"
#include "testfiles.h"
#include "trajectorytools.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Stateward;
using namespace TestFiles;

namespace {

QByteArray trajectory(const QString& id, const QString& status, const QString& startedAt,
    const QString& completedAt = {}, const QString& title = QStringLiteral("A task"))
{
    QJsonObject o { { QStringLiteral("id"), id }, { QStringLiteral("version"), 1 },
        { QStringLiteral("task"), QJsonObject { { QStringLiteral("title"), title } } },
        { QStringLiteral("status"), status }, { QStringLiteral("startedAt"), startedAt },
        { QStringLiteral("agents"), QJsonArray() }, { QStringLiteral("chapters"), QJsonArray() },
        { QStringLiteral("commits"), QJsonArray() }, { QStringLiteral("filesChanged"), QJsonArray() },
        { QStringLiteral("projectId"), QStringLiteral("/ws") }, { QStringLiteral("tags"), QJsonArray() } };
    if (!completedAt.isEmpty())
        o.insert(QStringLiteral("completedAt"), completedAt);
    return QJsonDocument(o).toJson();
}

// <ws>/.trajectories with one active trajectory, traj_a1; returns the state dir.
QDir oneRecordStateDir(const QTemporaryDir& ws)
{
    const QDir root(ws.filePath(QStringLiteral(".trajectories")));
    if (!root.mkpath(QStringLiteral("active")))
        qWarning() << "cannot make" << root.path();
    TestFiles::writeFile(root.filePath(QStringLiteral("active/traj_a1.json")),
        trajectory(QStringLiteral("traj_a1"), QStringLiteral("active"), QStringLiteral("2026-11-01T10:00:00.000Z")));
    return root;
}

QJsonObject parse(const QByteArray& document)
{
    QJsonParseError error {};
    const QJsonObject o = QJsonDocument::fromJson(document, &error).object();
    if (error.error != QJsonParseError::NoError)
        qWarning() << "not JSON:" << error.errorString() << document.left(200);
    return o;
}

} // namespace

class TestRecover : public QObject
{
    Q_OBJECT

    QTemporaryDir m_data; // CLAUDE_PLUGIN_DATA and XDG_DATA_HOME for the whole test

    QString makeCodexState(const QString& ws, const QStringList& options)
    {
        return NodeTools::makeCodexState(m_data.path() + QLatin1String("/plugin"), ws, options);
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(NodeTools::missing().isEmpty(), qPrintable(NodeTools::missing()));
        qputenv("CLAUDE_PLUGIN_DATA", (m_data.path() + QLatin1String("/plugin")).toLocal8Bit());
        qputenv("XDG_DATA_HOME", (m_data.path() + QLatin1String("/xdg")).toLocal8Bit());
    }

    void trajectoriesFromEveryLayout()
    {
        QTemporaryDir ws;
        const QDir root(ws.filePath(QStringLiteral(".trajectories")));
        for (const char* sub : { "active", "completed/2026-10", "compacted" })
            QVERIFY(root.mkpath(QLatin1String(sub)));
        // Flat active, monthly and legacy completed, a trace file and a compaction beside them.
        writeFile(root.filePath(QStringLiteral("active/traj_a1.json")),
            trajectory(
                QStringLiteral("traj_a1"), QStringLiteral("active"), QStringLiteral("2026-11-01T10:00:00.000Z")));
        writeFile(root.filePath(QStringLiteral("completed/2026-10/traj_m1.json")),
            trajectory(QStringLiteral("traj_m1"), QStringLiteral("completed"),
                QStringLiteral("2026-10-01T10:00:00.000Z"), QStringLiteral("2026-10-02T10:00:00.123Z"),
                QStringLiteral("Monthly \"quoted\" title")));
        writeFile(root.filePath(QStringLiteral("completed/traj_l1.json")),
            trajectory(QStringLiteral("traj_l1"), QStringLiteral("abandoned"),
                QStringLiteral("2026-09-01T10:00:00.000Z"), QStringLiteral("2026-09-01T11:00:00.000Z")));
        writeFile(root.filePath(QStringLiteral("completed/2026-10/traj_m1.trace.json")),
            "{\"version\":1,\"id\":\"trace_abcdefabcdef\",\"trajectory\":\"traj_m1\",\"files\":[]}");
        writeFile(root.filePath(QStringLiteral("compacted/compact_abcdefabcdef_2026-10-03.json")), "{}");
        // A crash between writing the completed copy and unlinking the active one: both exist.
        writeFile(root.filePath(QStringLiteral("active/traj_d1.json")),
            trajectory(
                QStringLiteral("traj_d1"), QStringLiteral("active"), QStringLiteral("2026-10-05T10:00:00.000Z")));
        writeFile(root.filePath(QStringLiteral("completed/2026-10/traj_d1.json")),
            trajectory(QStringLiteral("traj_d1"), QStringLiteral("completed"),
                QStringLiteral("2026-10-05T10:00:00.000Z"), QStringLiteral("2026-10-05T12:00:00.000Z")));
        // Unusable files: torn, zero bytes, named for another id.
        writeFile(root.filePath(QStringLiteral("active/traj_t1.json")), "{\"id\":\"traj_t1\",\"version\":1,\"ta");
        writeFile(root.filePath(QStringLiteral("active/traj_z1.json")), QByteArray());
        writeFile(root.filePath(QStringLiteral("active/traj_w1.json")),
            trajectory(
                QStringLiteral("traj_other"), QStringLiteral("active"), QStringLiteral("2026-11-01T10:00:00.000Z")));
        // The current index: m1 compacted (kept), a stale d1 entry, one whose file is gone.
        writeFile(root.filePath(QStringLiteral("index.json")), R"({"version":1,"lastUpdated":"2026-10-06T00:00:00.000Z",
            "trajectories":{
              "traj_m1":{"title":"old","status":"active","startedAt":"2026-10-01T10:00:00.000Z",
                         "path":"/elsewhere/traj_m1.json","compactedInto":"compact_abcdefabcdef"},
              "traj_d1":{"title":"A task","status":"active","startedAt":"2026-10-05T10:00:00.000Z",
                         "path":"active/traj_d1.json"},
              "traj_gone":{"title":"gone","status":"active","startedAt":"2026-10-01T10:00:00.000Z",
                         "path":"active/traj_gone.json"}}})");
        const QMap<QString, QByteArray> before = treeContents(ws.path());

        const RecoveredIndex r = recoverIndex(Family::Trajectories, root.path());
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.indexPath, root.filePath(QStringLiteral("index.json")));
        QCOMPARE(r.ids,
            QStringList({ QStringLiteral("traj_a1"), QStringLiteral("traj_d1"), QStringLiteral("traj_l1"),
                QStringLiteral("traj_m1") }));
        QCOMPARE(r.addedIds, QStringList({ QStringLiteral("traj_a1"), QStringLiteral("traj_l1") }));
        QCOMPARE(r.keptFromIndex, 2);
        QCOMPARE(r.droppedIds, QStringList { QStringLiteral("traj_gone") });
        QStringList skipped;
        for (const RecoveredIndex::Skipped& s : r.skipped)
            skipped.append(QFileInfo(s.path).fileName() + QLatin1Char(':') + s.problem);
        skipped.sort();
        QCOMPARE(skipped.size(), 3);
        QVERIFY2(skipped.at(0).startsWith(QLatin1String("traj_t1.json:JSON error at byte")), qPrintable(skipped.at(0)));
        QVERIFY2(skipped.at(1).contains(QLatin1String("holds traj_other")), qPrintable(skipped.at(1)));
        QCOMPARE(skipped.at(2), QStringLiteral("traj_z1.json:zero bytes"));
        QVERIFY(r.notes.join(u'\n').contains(QLatin1String("traj_d1 has 2 copies")));

        const QJsonObject index = parse(r.document);
        QCOMPARE(index.value(QStringLiteral("version")).toInt(), 1);
        QVERIFY(
            QDateTime::fromString(index.value(QStringLiteral("lastUpdated")).toString(), Qt::ISODateWithMs).isValid());
        const QJsonObject entries = index.value(QStringLiteral("trajectories")).toObject();
        QCOMPARE(entries.size(), 4);
        const QJsonObject m1 = entries.value(QStringLiteral("traj_m1")).toObject();
        QCOMPARE(m1.value(QStringLiteral("title")).toString(), QStringLiteral("Monthly \"quoted\" title"));
        QCOMPARE(m1.value(QStringLiteral("status")).toString(), QStringLiteral("completed"));
        QCOMPARE(m1.value(QStringLiteral("completedAt")).toString(), QStringLiteral("2026-10-02T10:00:00.123Z"));
        QCOMPARE(m1.value(QStringLiteral("path")).toString(),
            root.filePath(QStringLiteral("completed/2026-10/traj_m1.json")));
        QCOMPARE(m1.value(QStringLiteral("compactedInto")).toString(), QStringLiteral("compact_abcdefabcdef"));
        const QJsonObject d1 = entries.value(QStringLiteral("traj_d1")).toObject();
        QCOMPARE(d1.value(QStringLiteral("status")).toString(), QStringLiteral("completed"));
        QCOMPARE(d1.value(QStringLiteral("path")).toString(),
            root.filePath(QStringLiteral("completed/2026-10/traj_d1.json")));
        QVERIFY(!entries.value(QStringLiteral("traj_a1")).toObject().contains(QStringLiteral("completedAt")));
        // FileStorage's field order and JSON.stringify(…, null, 2) layout.
        const QByteArray text = r.document;
        QVERIFY(text.startsWith("{\n  \"version\": 1,\n  \"lastUpdated\": \""));
        QVERIFY(text.contains("\"title\": \"Monthly \\\"quoted\\\" title\",\n      \"status\": \"completed\",\n      "
                              "\"startedAt\": \"2026-10-01T10:00:00.000Z\",\n      \"completedAt\": "
                              "\"2026-10-02T10:00:00.123Z\",\n      \"path\": "));
        QVERIFY(text.endsWith("}\n"));

        QCOMPARE(treeContents(ws.path()), before); // recovering reads only
    }

    void trajectoriesWithoutAnIndex_data()
    {
        QTest::addColumn<QByteArray>("index");
        QTest::addColumn<QString>("note");
        QTest::newRow("missing") << QByteArray() << QStringLiteral("index.json does not exist");
        QTest::newRow("zero bytes") << QByteArray("") << QStringLiteral("index.json zero bytes");
        // The torn shape the real race leaves: a whole index, then the tail of a longer write.
        QTest::newRow("torn") << QByteArray("{\"version\":1,\"trajectories\":{}}\"traj_x\": {}}}")
                              << QStringLiteral("index.json JSON error at byte");
        QTest::newRow("not an index") << QByteArray("[1,2]") << QStringLiteral("index.json not a JSON object");
    }

    void trajectoriesWithoutAnIndex()
    {
        QFETCH(QByteArray, index);
        QFETCH(QString, note);
        QTemporaryDir ws;
        const QDir root = oneRecordStateDir(ws);
        if (QByteArray(QTest::currentDataTag()) != "missing")
            writeFile(root.filePath(QStringLiteral("index.json")), index);
        const RecoveredIndex r = recoverIndex(Family::Trajectories, root.path());
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.ids, QStringList { QStringLiteral("traj_a1") });
        QCOMPARE(r.addedIds, r.ids);
        QVERIFY2(r.notes.value(0).startsWith(note), qPrintable(r.notes.join(u'|')));
    }

    void trajectoriesNewLayoutKeepsNoIndex()
    {
        QTemporaryDir ws;
        const QString dir = ws.filePath(QStringLiteral(".agentworkforce/trajectories"));
        QVERIFY(QDir().mkpath(dir + QLatin1String("/active")));
        const RecoveredIndex r = recoverIndex(Family::Trajectories, dir);
        QVERIFY(!r.ok());
        QVERIFY2(r.error.contains(QLatin1String("keeps no index")), qPrintable(r.error));
        QVERIFY(r.document.isEmpty());
    }

    void codexFromJobFiles()
    {
        QTemporaryDir ws;
        // 55 jobs and one more file state.json lost in a race: 56 candidates for 50 places.
        const QString dir = makeCodexState(ws.path(),
            { QStringLiteral("--jobs"), QStringLiteral("55"), QStringLiteral("--statuses"), QStringLiteral("completed"),
                QStringLiteral("--orphan-job-file") });
        QVERIFY(!dir.isEmpty());
        writeFile(dir + QLatin1String("/jobs/not-a-job.json"), "{\"id\":\"something-else\"}");
        writeFile(dir + QLatin1String("/jobs/torn-job.json"), "{\"id\":\"torn-job\",");
        const QJsonObject state = parse(readAll(dir + QLatin1String("/state.json")));
        const QJsonArray current = state.value(QStringLiteral("jobs")).toArray();
        QCOMPARE(current.size(), 55);
        const QMap<QString, QByteArray> before = treeContents(dir);

        const RecoveredIndex r = recoverIndex(Family::Codex, dir);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.ids.size(), CodexSource::kUpstreamJobLimit);
        QCOMPARE(r.leftOutIds.size(), 6);
        QCOMPARE(r.addedIds.size(), 1); // the lost job is among the newest
        QCOMPARE(r.keptFromIndex, 49);
        QCOMPARE(r.skipped.size(), 2);
        const QJsonObject doc = parse(r.document);
        QCOMPARE(doc.value(QStringLiteral("config")).toObject(), state.value(QStringLiteral("config")).toObject());
        const QJsonArray jobs = doc.value(QStringLiteral("jobs")).toArray();
        QCOMPARE(jobs.size(), 50);
        QString previous = QStringLiteral("9999");
        for (const QJsonValue& v : jobs) {
            const QJsonObject job = v.toObject();
            const QString updated = job.value(QStringLiteral("updatedAt")).toString();
            QVERIFY2(updated <= previous, "newest first, as pruneJobs orders them");
            previous = updated;
            QVERIFY(!job.contains(QStringLiteral("result")) && !job.contains(QStringLiteral("rendered")));
            QVERIFY(QFile::exists(
                dir + QLatin1String("/jobs/") + job.value(QStringLiteral("id")).toString() + QLatin1String(".json")));
        }
        // What did not fit is the oldest, and its files stay where they are.
        for (const QString& id : r.leftOutIds) {
            QVERIFY(!r.ids.contains(id));
            QVERIFY(QString(r.notes.join(u'\n')).contains(id));
        }
        QCOMPARE(treeContents(dir), before);
    }

    void codexCorruptState()
    {
        QTemporaryDir ws;
        const QString dir = makeCodexState(
            ws.path(), { QStringLiteral("--jobs"), QStringLiteral("4"), QStringLiteral("--corrupt-state=truncated") });
        QVERIFY(!dir.isEmpty());
        const RecoveredIndex r = recoverIndex(Family::Codex, dir);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.ids.size(), 4);
        QCOMPARE(r.addedIds.size(), 4);
        QVERIFY2(r.notes.value(0).startsWith(QLatin1String("state.json JSON error")), qPrintable(r.notes.join(u'|')));
        const QJsonObject doc = parse(r.document);
        QCOMPARE(doc.value(QStringLiteral("config")).toObject(),
            QJsonObject({ { QStringLiteral("stopReviewGate"), false } }));
        for (const QJsonValue& v : doc.value(QStringLiteral("jobs")).toArray())
            QVERIFY(!v.toObject().value(QStringLiteral("updatedAt")).toString().isEmpty());
    }

    // The seed, for real: 20 concurrent agent-trajectories@0.4.1 saves lose index entries; the
    // exported index, placed as index.json, makes that version's own `trail list` show all 20.
    void seedRaceExportRestoresTrailList()
    {
        QVERIFY2(TrajectoryTools::missing().isEmpty(), qPrintable(TrajectoryTools::missing()));
        constexpr int n = 20;
        QTemporaryDir ws;
        QStringList ids;
        QCOMPARE(TrajectoryTools::runSeedRace(ws.path(), n, &ids), n);
        QString error;
        const QStringList before = TrajectoryTools::trailList(ws.path(), QStringLiteral("041"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        qInfo("trail list after the race: %lld of %d", qint64(before.size()), n);
        const QString stateDir = ws.filePath(QStringLiteral(".trajectories"));
        const QMap<QString, QByteArray> tree = treeContents(stateDir);

        const QString exported = m_data.path() + QLatin1String("/seed-index.json");
        const CliRun run = runCli({ QStringLiteral("export-index"), ws.path(), QStringLiteral("--family"),
            QStringLiteral("trajectories"), QStringLiteral("-o"), exported, QStringLiteral("--json") });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QCOMPARE(treeContents(stateDir), tree); // the export touched nothing in the state dir
        const QJsonObject summary = parse(run.out);
        QCOMPARE(summary.value(QStringLiteral("entries")).toInt(), n);
        QCOMPARE(summary.value(QStringLiteral("added")).toArray().size()
                + summary.value(QStringLiteral("keptFromIndex")).toInt(),
            n);

        QVERIFY(QFile::remove(stateDir + QLatin1String("/index.json")));
        QVERIFY(QFile::copy(exported, stateDir + QLatin1String("/index.json")));
        QStringList after = TrajectoryTools::trailList(ws.path(), QStringLiteral("041"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        after.sort();
        ids.sort();
        QCOMPARE(after, ids);
    }

    void exportIndexCli()
    {
        QTemporaryDir ws;
        const QDir root = oneRecordStateDir(ws);
        writeFile(root.filePath(QStringLiteral("index.json")), "{\"version\":1,\"trajectories\":{}}");
        const QMap<QString, QByteArray> before = treeContents(ws.path());

        // Default: outside the state dir, under $XDG_DATA_HOME/stateward/recovered/, said on stdout.
        CliRun run = runCli({ QStringLiteral("export-index"), ws.path(), QStringLiteral("--family"),
            QStringLiteral("trajectories"), QStringLiteral("--json") });
        QCOMPARE(run.exitCode, 0);
        const QJsonObject summary = parse(run.out);
        const QString output = summary.value(QStringLiteral("output")).toString();
        QVERIFY2(output.startsWith(m_data.path() + QLatin1String("/xdg/stateward/recovered/trajectories-")),
            qPrintable(output));
        QVERIFY(output.endsWith(QLatin1String("-index.json")));
        QCOMPARE(summary.value(QStringLiteral("entries")).toInt(), 1);
        QCOMPARE(summary.value(QStringLiteral("added")).toArray(), QJsonArray { QStringLiteral("traj_a1") });
        QFile exported(output);
        QVERIFY(exported.open(QIODevice::ReadOnly));
        QVERIFY(parse(exported.readAll())
                    .value(QStringLiteral("trajectories"))
                    .toObject()
                    .contains(QStringLiteral("traj_a1")));

        // -o: the text report names the file; inside the state dir it is refused.
        const QString chosen = m_data.path() + QLatin1String("/chosen/index.json");
        run = runCli({ QStringLiteral("export-index"), ws.path(), QStringLiteral("--family"),
            QStringLiteral("trajectories"), QStringLiteral("-o"), chosen });
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.contains("written to " + QFile::encodeName(chosen)), run.out.constData());
        QVERIFY(QFile::exists(chosen));
        run = runCli(
            { QStringLiteral("export-index"), ws.path(), QStringLiteral("--family"), QStringLiteral("trajectories"),
                QStringLiteral("-o"), root.filePath(QStringLiteral("active/recovered.json")) });
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("inside the state directory"), run.err.constData());
        QCOMPARE(treeContents(ws.path()), before);
        // A folder that does not exist yet is refused before it is made.
        run = runCli(
            { QStringLiteral("export-index"), ws.path(), QStringLiteral("--family"), QStringLiteral("trajectories"),
                QStringLiteral("-o"), root.filePath(QStringLiteral("new/deeper/recovered.json")) });
        QCOMPARE(run.exitCode, 2);
        QVERIFY(!QFileInfo::exists(root.filePath(QStringLiteral("new"))));
        QCOMPARE(treeContents(ws.path()), before);

        // Bad arguments name the problem.
        run = runCli(
            { QStringLiteral("export-index"), ws.path(), QStringLiteral("--family"), QStringLiteral("gstack") });
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.err.contains("trajectories or codex"));
        run = runCli({ QStringLiteral("export-index"), ws.path() });
        QCOMPARE(run.exitCode, 2);
        QVERIFY(run.err.contains("--family"));
        QTemporaryDir empty;
        run = runCli(
            { QStringLiteral("export-index"), empty.path(), QStringLiteral("--family"), QStringLiteral("codex") });
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("no codex state directory"), run.err.constData());

        // Two index-era state dirs: the user must choose, and can.
        QTemporaryDir other;
        QVERIFY(QDir(other.path()).mkpath(QStringLiteral("active")));
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("TRAJECTORIES_DATA_DIR"), other.path());
        run = runCli(
            { QStringLiteral("export-index"), ws.path(), QStringLiteral("--family"), QStringLiteral("trajectories") },
            env);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains("choose one with --state-dir"), run.err.constData());
        run = runCli({ QStringLiteral("export-index"), ws.path(), QStringLiteral("--family"),
                         QStringLiteral("trajectories"), QStringLiteral("--state-dir"), other.path(),
                         QStringLiteral("-o"), m_data.path() + QLatin1String("/other.json") },
            env);
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.contains("0 entries"));
    }

    void exportCodexReportsWhatDidNotFit()
    {
        QTemporaryDir ws;
        const QString dir = makeCodexState(ws.path(),
            { QStringLiteral("--jobs"), QStringLiteral("52"), QStringLiteral("--statuses"),
                QStringLiteral("completed") });
        QVERIFY(!dir.isEmpty());
        const CliRun run
            = runCli({ QStringLiteral("export-index"), ws.path(), QStringLiteral("--family"), QStringLiteral("codex"),
                QStringLiteral("-o"), m_data.path() + QLatin1String("/state.json"), QStringLiteral("--json") });
        QVERIFY2(run.exitCode == 1, run.err.constData()); // written, but two jobs are not in it
        const QJsonObject summary = parse(run.out);
        QCOMPARE(summary.value(QStringLiteral("entries")).toInt(), 50);
        QCOMPARE(summary.value(QStringLiteral("leftOut")).toArray().size(), 2);
        QCOMPARE(summary.value(QStringLiteral("stateDir")).toString(), dir);
    }
};

QTEST_GUILESS_MAIN(TestRecover)
#include "tst_recover.moc"
