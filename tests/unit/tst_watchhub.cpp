// SPDX-License-Identifier: GPL-3.0-or-later
// WatchHub on real state-dir layouts: rename-replace (atomic saves) and delete-and-recreate keep
// being seen, state dirs that appear later are picked up, a burst of writes is the leading scan
// and one trailing scan of its source only, an in-place write to a record still being written is
// seen beyond the watch budget without the backstop, newer scans supersede older ones, a PID in view dying is noticed
// without any file changing, degraded polling, and removing or destroying the hub mid-scan.
#include "childprocess.h"
#include "proc/paths.h"
#include "sources/codexsource.h"
#include "testfiles.h"
#include "watch/watchhub.h"
#include "watchevents.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThreadPool>

#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;
using namespace WatchEvents;

namespace {

// Generous: the machine may be loaded; nothing here asserts speed.
constexpr int kTimeout = 20000;

QString iso(const QDateTime& t)
{
    return t.toString(Qt::ISODateWithMs);
}

// An active trajectory as agent-trajectories 0.4.x writes active/<id>.json.
QByteArray record(const QString& id, const QString& title)
{
    return QStringLiteral("{\n  \"id\": \"%1\",\n  \"version\": 1,\n  \"task\": {\n    \"title\": \"%2\"\n  },\n"
                          "  \"status\": \"active\",\n  \"startedAt\": \"2026-05-10T18:45:02.118Z\",\n"
                          "  \"agents\": [],\n  \"chapters\": [],\n  \"commits\": [],\n  \"filesChanged\": [],\n"
                          "  \"projectId\": \"/work/ws\",\n  \"tags\": []\n}")
        .arg(id, title)
        .toUtf8();
}

// The 0.4.x index.json listing the given active trajectories of stateDir.
QByteArray index(const QString& stateDir, const QStringList& ids)
{
    QStringList items;
    for (const QString& id : ids)
        items.append(QStringLiteral("    \"%1\": {\n      \"title\": \"%1\",\n      \"status\": \"active\",\n"
                                    "      \"startedAt\": \"2026-05-10T18:45:02.118Z\",\n"
                                    "      \"path\": \"%2/active/%1.json\"\n    }")
                         .arg(id, stateDir));
    return QStringLiteral("{\n  \"version\": 1,\n  \"lastUpdated\": \"2026-05-11T18:45:02.118Z\",\n"
                          "  \"trajectories\": {\n%1\n  }\n}")
        .arg(items.join(QStringLiteral(",\n")))
        .toUtf8();
}

// <ws>/.trajectories with index.json and active/<id>.json for each id (title = id).
QString legacyDir(const QString& ws, const QStringList& ids)
{
    const QString dir = ws + QLatin1String("/.trajectories");
    [&] {
        QVERIFY(QDir().mkpath(dir + QLatin1String("/active")));
        for (const QString& id : ids)
            writeFile(dir + QStringLiteral("/active/%1.json").arg(id), record(id, id));
        writeFile(dir + QLatin1String("/index.json"), index(dir, ids));
    }();
    return dir;
}

// An atomic save: a sibling tmp file renamed over the target (what QSaveFile and the tools do).
void renameReplace(const QString& path, const QByteArray& content)
{
    const QString tmp = path + QLatin1String(".saving");
    writeFile(tmp, content);
    QVERIFY2(::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(path).constData()) == 0, qPrintable(path));
}

// Every entry under dir (and dir) set to an old mtime: a fingerprint taken now is not "racy".
void backdateTree(const QString& dir)
{
    QDirIterator it(dir, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden, QDirIterator::Subdirectories);
    QStringList paths;
    while (it.hasNext())
        paths.append(it.next());
    paths.append(dir);
    for (const QString& p : std::as_const(paths))
        backdate(p, 600);
}

// "id=title" of every trajectory the hub shows for the workspace, sorted.
QStringList jobs(const WatchHub& hub, const QString& ws, Family family = Family::Trajectories)
{
    QStringList out;
    for (const Snapshot& s : hub.snapshots(ws)) {
        if (s.family != family)
            continue;
        for (const Job& j : s.jobs)
            out.append(j.jobId + QLatin1Char('=') + j.title);
    }
    out.sort();
    return out;
}

QStringList stateDirs(const WatchHub& hub, const QString& ws)
{
    QStringList out;
    for (const Snapshot& s : hub.snapshots(ws))
        out.append(s.stateDir);
    return out;
}

QStringList findingCodes(const WatchHub& hub, const QString& ws)
{
    QStringList out;
    for (const Snapshot& s : hub.snapshots(ws))
        out.append(TestFiles::findingCodes(s));
    out.sort();
    return out;
}

QList<ScanReport> reports(const QSignalSpy& spy)
{
    QList<ScanReport> out;
    for (const QList<QVariant>& args : spy)
        out.append(args.at(0).value<ScanReport>());
    return out;
}

} // namespace

class TestWatchHub : public QObject
{
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_env;

    // Short debounce and PID poll; no backstop unless a test asks (it would add rescans).
    static void configure(WatchHub& hub)
    {
        hub.setDebounce(100);
        hub.setLivenessInterval(200);
        hub.setPollInterval(200);
        hub.setBackstopInterval(0);
    }

    static QString codexRoot() { return QDir::tempPath() + QLatin1String("/codex-companion"); }

    static bool firstScanDone(const WatchHub& hub, const QString& ws) { return hub.deliveredGeneration(ws) > 0; }

private slots:
    void initTestCase()
    {
        qRegisterMetaType<ScanReport>();
        qRegisterMetaType<WatchHealth>();
        // A private TMPDIR and HOME: the codex adapter looks for state roots there
        // ($TMPDIR/codex-companion, ~/.claude/plugins/data); no real codex install, and no other
        // process's churn, may reach these tests.
        m_env = std::make_unique<QTemporaryDir>();
        QVERIFY(m_env->isValid());
        QVERIFY(QDir(m_env->path()).mkdir(QStringLiteral("tmp")));
        QVERIFY(QDir(m_env->path()).mkdir(QStringLiteral("home")));
        qputenv("TMPDIR", QFile::encodeName(m_env->filePath(QStringLiteral("tmp"))));
        qputenv("HOME", QFile::encodeName(m_env->filePath(QStringLiteral("home"))));
        qunsetenv("CLAUDE_PLUGIN_DATA");
        qunsetenv("TRAJECTORIES_DATA_DIR");
        QCOMPARE(QDir::tempPath(), m_env->filePath(QStringLiteral("tmp")));
        // An existing codex state root, watched as a place state dirs appear: every workspace
        // has the same two anchors (itself and this), whatever test runs first.
        QVERIFY(QDir().mkpath(codexRoot()));
    }

    void cleanupTestCase()
    {
        // Scans of destroyed hubs may still be finishing: let them, before the env goes.
        QVERIFY(QThreadPool::globalInstance()->waitForDone(kTimeout));
    }

    void renameReplaceIsSeenAndTheWatchSurvives()
    {
        QTemporaryDir ws;
        const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha") });
        const QString recordPath = dir + QLatin1String("/active/traj_alpha.json");
        WatchHub hub;
        configure(hub);
        QSignalSpy changed(&hub, &WatchHub::snapshotsChanged);
        QSignalSpy events(&hub, &WatchHub::fileEvent);
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_COMPARE_WITH_TIMEOUT(
            jobs(hub, ws.path()), QStringList { QStringLiteral("traj_alpha=traj_alpha") }, kTimeout);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.first().at(0).toString(), cleanAbsolute(ws.path()));
        // Its directory's watch names the file for renames and in-place writes alike: no watch of its own.
        QVERIFY(!hub.watchedPaths().contains(recordPath));
        QVERIFY(hub.watchedPaths().contains(dir + QLatin1String("/active")));

        // Each save replaces the record's inode; the directory's watch stays.
        for (int round = 1; round <= 3; ++round) {
            const QString title = QStringLiteral("saved %1").arg(round);
            renameReplace(recordPath, record(QStringLiteral("traj_alpha"), title));
            QTRY_COMPARE_WITH_TIMEOUT(
                jobs(hub, ws.path()), QStringList { QStringLiteral("traj_alpha=") + title }, kTimeout);
            QTRY_VERIFY_WITH_TIMEOUT(hub.watchedPaths().contains(dir + QLatin1String("/active")), kTimeout);
        }
        QVERIFY(changed.count() >= 4);
        QVERIFY(events.count() >= 3);

        // An in-place write to the replacing inode: named by the directory's event.
        writeFile(recordPath, record(QStringLiteral("traj_alpha"), QStringLiteral("written in place")));
        QTRY_COMPARE_WITH_TIMEOUT(
            jobs(hub, ws.path()), QStringList { QStringLiteral("traj_alpha=written in place") }, kTimeout);
        bool sawRecordEvent = false;
        for (const QList<QVariant>& args : std::as_const(events))
            sawRecordEvent = sawRecordEvent || args.at(0).toString() == recordPath;
        QVERIFY(sawRecordEvent);

        // A new trajectory, and an index.json rename-replaced to list it: a consistent pair.
        writeFile(
            dir + QLatin1String("/active/traj_beta.json"), record(QStringLiteral("traj_beta"), QStringLiteral("b")));
        renameReplace(dir + QLatin1String("/index.json"),
            index(dir, { QStringLiteral("traj_alpha"), QStringLiteral("traj_beta") }));
        QTRY_COMPARE_WITH_TIMEOUT(jobs(hub, ws.path()),
            (QStringList { QStringLiteral("traj_alpha=written in place"), QStringLiteral("traj_beta=b") }), kTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(findingCodes(hub, ws.path()), QStringList(), kTimeout);
    }

    // After the first delivery, each names what changed since the one before: one record saved,
    // one job (WorkspaceChanges, what the models apply instead of every row).
    void deliveriesNameWhatChanged()
    {
        QTemporaryDir ws;
        const QString dir = legacyDir(
            ws.path(), { QStringLiteral("traj_alpha"), QStringLiteral("traj_beta"), QStringLiteral("traj_gamma") });
        WatchHub hub;
        configure(hub);
        QSignalSpy changed(&hub, &WatchHub::snapshotsChanged);
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_COMPARE_WITH_TIMEOUT(jobs(hub, ws.path()).size(), 3, kTimeout);
        QCOMPARE(changed.count(), 1);
        QVERIFY(changed.first().at(2).value<WorkspaceChanges>().whole);

        renameReplace(dir + QLatin1String("/active/traj_beta.json"),
            record(QStringLiteral("traj_beta"), QStringLiteral("saved")));
        QTRY_VERIFY_WITH_TIMEOUT(jobs(hub, ws.path()).contains(QStringLiteral("traj_beta=saved")), kTimeout);
        QVERIFY(changed.count() >= 2);
        QStringList named;
        for (qsizetype i = 1; i < changed.count(); ++i) {
            const auto snapshots = changed.at(i).at(1).value<QList<Snapshot>>();
            const auto changes = changed.at(i).at(2).value<WorkspaceChanges>();
            QVERIFY(!changes.whole);
            QCOMPARE(snapshots.size(), 1);
            const ListChanges listed = changes.snapshots.value(snapshots.first().stateDir).jobs;
            QVERIFY(!listed.all);
            QVERIFY(listed.removed.isEmpty());
            for (qsizetype at : listed.upserted)
                named.append(snapshots.first().jobs.at(at).jobId);
        }
        QCOMPARE(named, QStringList { QStringLiteral("traj_beta") });
    }

    void deleteAndRecreate()
    {
        QTemporaryDir ws;
        const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha"), QStringLiteral("traj_beta") });
        const QString beta = dir + QLatin1String("/active/traj_beta.json");
        WatchHub hub;
        configure(hub);
        QSignalSpy changed(&hub, &WatchHub::snapshotsChanged);
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_COMPARE_WITH_TIMEOUT(jobs(hub, ws.path()).size(), 2, kTimeout);

        // One record deleted: the index now names a file that is gone.
        QVERIFY(QFile::remove(beta));
        QTRY_COMPARE_WITH_TIMEOUT(
            jobs(hub, ws.path()), QStringList { QStringLiteral("traj_alpha=traj_alpha") }, kTimeout);
        QTRY_VERIFY_WITH_TIMEOUT(findingCodes(hub, ws.path()).contains(QStringLiteral("index-dangling")), kTimeout);
        QVERIFY(!hub.watchedPaths().contains(beta));

        writeFile(beta, record(QStringLiteral("traj_beta"), QStringLiteral("beta again")));
        QTRY_COMPARE_WITH_TIMEOUT(jobs(hub, ws.path()),
            (QStringList { QStringLiteral("traj_alpha=traj_alpha"), QStringLiteral("traj_beta=beta again") }),
            kTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(findingCodes(hub, ws.path()), QStringList(), kTimeout);
        // The recreated file needs no watch of its own: its directory names its in-place writes.
        QVERIFY(!hub.watchedPaths().contains(beta));
        writeFile(beta, record(QStringLiteral("traj_beta"), QStringLiteral("beta edited")));
        QTRY_COMPARE_WITH_TIMEOUT(jobs(hub, ws.path()),
            (QStringList { QStringLiteral("traj_alpha=traj_alpha"), QStringLiteral("traj_beta=beta edited") }),
            kTimeout);

        // The whole state dir deleted: its snapshot goes; recreated: it comes back, watched.
        QVERIFY(QDir(dir).removeRecursively());
        QTRY_COMPARE_WITH_TIMEOUT(hub.snapshots(ws.path()).size(), 0, kTimeout);
        const int before = int(changed.count());
        legacyDir(ws.path(), { QStringLiteral("traj_gamma") });
        QTRY_COMPARE_WITH_TIMEOUT(
            jobs(hub, ws.path()), QStringList { QStringLiteral("traj_gamma=traj_gamma") }, kTimeout);
        QVERIFY(changed.count() > before);
        const QString gamma = dir + QLatin1String("/active/traj_gamma.json");
        QTRY_VERIFY_WITH_TIMEOUT(hub.watchedPaths().contains(dir + QLatin1String("/active")), kTimeout);
        writeFile(gamma, record(QStringLiteral("traj_gamma"), QStringLiteral("gamma edited")));
        QTRY_COMPARE_WITH_TIMEOUT(
            jobs(hub, ws.path()), QStringList { QStringLiteral("traj_gamma=gamma edited") }, kTimeout);
    }

    void stateDirCreatedAfterWatchingStarted()
    {
        QTemporaryDir ws;
        WatchHub hub;
        configure(hub);
        QSignalSpy changed(&hub, &WatchHub::snapshotsChanged);
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, kTimeout); // the first scan is reported, empty
        QVERIFY(changed.first().at(1).value<QList<Snapshot>>().isEmpty());
        QVERIFY(hub.watchedPaths().contains(cleanAbsolute(ws.path())));

        // Index era: <ws>/.trajectories appears with a trajectory in it.
        const QString legacy = legacyDir(ws.path(), { QStringLiteral("traj_early") });
        QTRY_COMPARE_WITH_TIMEOUT(stateDirs(hub, ws.path()), QStringList { legacy }, kTimeout);
        QCOMPARE(jobs(hub, ws.path()), QStringList { QStringLiteral("traj_early=traj_early") });

        // 0.5.9+: .agentworkforce first, trajectories/ inside it later. The second step is seen
        // only if the hub started watching .agentworkforce when it appeared.
        const QString awf = ws.path() + QLatin1String("/.agentworkforce");
        QVERIFY(QDir().mkdir(awf));
        QTRY_VERIFY_WITH_TIMEOUT(hub.watchedPaths().contains(awf), kTimeout);
        const QString modern = awf + QLatin1String("/trajectories");
        QVERIFY(QDir().mkpath(modern + QLatin1String("/active/traj_later")));
        writeFile(modern + QLatin1String("/active/traj_later/trajectory.json"),
            record(QStringLiteral("traj_later"), QStringLiteral("later")));
        QTRY_COMPARE_WITH_TIMEOUT(stateDirs(hub, ws.path()), (QStringList { legacy, modern }), kTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(jobs(hub, ws.path()),
            (QStringList { QStringLiteral("traj_early=traj_early"), QStringLiteral("traj_later=later") }), kTimeout);

        // Another family entirely.
        const QString codegraph = ws.path() + QLatin1String("/.codegraph");
        QVERIFY(QDir().mkdir(codegraph));
        writeFile(codegraph + QLatin1String("/changes.journal"), "# codegraph-journal v1 1700000000000\nsrc/a.js\n");
        QTRY_COMPARE_WITH_TIMEOUT(stateDirs(hub, ws.path()), (QStringList { legacy, modern, codegraph }), kTimeout);

        // Outside the workspace: codex's state dir for it, under an existing state root.
        const QString codex = codexRoot() + QLatin1Char('/') + CodexSource::stateDirName(ws.path());
        QVERIFY(QDir().mkpath(codex));
        writeFile(codex + QLatin1String("/state.json"), "{\"version\": 1, \"config\": {}, \"jobs\": []}");
        QTRY_COMPARE_WITH_TIMEOUT(
            stateDirs(hub, ws.path()), (QStringList { legacy, modern, codex, codegraph }), kTimeout);
        QVERIFY(QDir(codex).removeRecursively());
        QTRY_COMPARE_WITH_TIMEOUT(stateDirs(hub, ws.path()), (QStringList { legacy, modern, codegraph }), kTimeout);
    }

    void burstOfWritesIsOneRescanOfItsSource()
    {
        QTemporaryDir ws;
        const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha") });
        const QString codegraph = ws.path() + QLatin1String("/.codegraph");
        QVERIFY(QDir().mkdir(codegraph));
        writeFile(codegraph + QLatin1String("/changes.journal"), "# codegraph-journal v1 1700000000000\nsrc/a.js\n");
        WatchHub hub;
        configure(hub);
        hub.setLeadingEdge(false); // the burst's first write waits for quiet too (see the next test)
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_COMPARE_WITH_TIMEOUT(stateDirs(hub, ws.path()), (QStringList { dir, codegraph }), kTimeout);
        const quint64 trajectoriesBefore = hub.parsesOf(dir);
        const quint64 codegraphBefore = hub.parsesOf(codegraph);
        QCOMPARE(trajectoriesBefore, quint64(1));
        QSignalSpy changed(&hub, &WatchHub::snapshotsChanged);

        // 1000 writes: ten new record files, each rewritten a hundred times.
        QStringList expected;
        for (int i = 0; i < 1000; ++i) {
            const QString id = QStringLiteral("traj_burst%1").arg(i % 10);
            const QString title = QStringLiteral("write %1").arg(i);
            writeFile(dir + QStringLiteral("/active/%1.json").arg(id), record(id, title));
            if (i >= 990)
                expected.append(id + QLatin1Char('=') + title);
        }
        expected.append(QStringLiteral("traj_alpha=traj_alpha"));
        expected.sort();

        QTRY_COMPARE_WITH_TIMEOUT(hub.parsesOf(dir), trajectoriesBefore + 1, kTimeout);
        QCOMPARE(jobs(hub, ws.path()), expected);
        // Settled: nothing more comes of the burst, and the other source was never re-parsed.
        QTest::qWait(10 * hub.debounce());
        QCOMPARE(hub.parsesOf(dir), trajectoriesBefore + 1);
        QCOMPARE(hub.parsesOf(codegraph), codegraphBefore);
        QCOMPARE(changed.count(), 1);
    }

    void burstIsTheLeadingScanAndOneTrailingScan()
    {
        QTemporaryDir ws;
        const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha") });
        WatchHub hub;
        configure(hub);
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_VERIFY_WITH_TIMEOUT(firstScanDone(hub, ws.path()), kTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(hub.scansRun(), quint64(1), kTimeout);
        const quint64 parsesBefore = hub.parsesOf(dir);
        // Nothing counts on speed: the tail of the burst waits until the debounce is set back.
        hub.setDebounce(24 * 3600 * 1000);
        hub.setMaxDelay(24 * 3600 * 1000);
        QSignalSpy started(&hub, &WatchHub::scanStarted);
        QSignalSpy reported(&hub, &WatchHub::scanReported);

        // 1000 writes: ten new record files, each rewritten a hundred times.
        QStringList expected;
        for (int i = 0; i < 1000; ++i) {
            const QString id = QStringLiteral("traj_burst%1").arg(i % 10);
            const QString title = QStringLiteral("write %1").arg(i);
            writeFile(dir + QStringLiteral("/active/%1.json").arg(id), record(id, title));
            if (i >= 990)
                expected.append(id + QLatin1Char('=') + title);
        }
        expected.append(QStringLiteral("traj_alpha=traj_alpha"));
        expected.sort();

        // The first event is scanned at once, though the debounce is a day.
        QTRY_VERIFY_WITH_TIMEOUT(reported.count() >= 1, kTimeout);
        QCOMPARE(reports(reported).first().reason, QStringLiteral("files changed"));
        // What came after it waits for quiet, and is one trailing scan that sees the burst's end
        // (none when the leading scan already did: its events were read at once).
        hub.setDebounce(0);
        QTRY_COMPARE_WITH_TIMEOUT(jobs(hub, ws.path()), expected, kTimeout);
        QTest::qWait(10 * 100);
        QTRY_COMPARE_WITH_TIMEOUT(reported.count(), started.count(), kTimeout);
        QVERIFY2(started.count() <= 2, qPrintable(QString::number(started.count()))); // the target: <= 3
        QVERIFY(hub.parsesOf(dir) <= parsesBefore + 2);
    }

    void inPlaceWriteToAnActiveRecordBeyondTheBudgetIsSeen()
    {
        // A trail upgraded to nested records (active/<id>/trajectory.json) beside the older flat
        // completed/<id>.json: shallow first, the completed records would take every file watch.
        QTemporaryDir ws;
        const QString dir = ws.path() + QLatin1String("/.trajectories");
        QVERIFY(QDir().mkpath(dir + QLatin1String("/active/traj_live")));
        QVERIFY(QDir().mkpath(dir + QLatin1String("/completed")));
        const QString live = dir + QLatin1String("/active/traj_live/trajectory.json");
        writeFile(live, record(QStringLiteral("traj_live"), QStringLiteral("started")));
        QStringList expected;
        for (int i = 0; i < 40; ++i) {
            const QString id = QStringLiteral("traj_done%1").arg(i, 2, 10, QLatin1Char('0'));
            writeFile(dir + QStringLiteral("/completed/%1.json").arg(id),
                record(id, id).replace("\"status\": \"active\"", "\"status\": \"completed\""));
            expected.append(id + QLatin1Char('=') + id);
        }
        backdateTree(dir);
        WatchHub hub;
        configure(hub);
        hub.setBackstopInterval(24 * 3600 * 1000); // never, within this test
        // The two anchors and three of the four directories: the deepest, the live record's, is
        // polled, and so is the record (trail writes it in place), the one file there.
        hub.setWatchBudget(5);
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_VERIFY_WITH_TIMEOUT(firstScanDone(hub, ws.path()), kTimeout);
        QCOMPARE(jobs(hub, ws.path()), QStringList(expected) << QStringLiteral("traj_live=started"));
        QVERIFY(hub.watchedPaths().contains(dir + QLatin1String("/completed")));
        QVERIFY(hub.health().isDegraded());
        QCOMPARE(hub.health().polledPaths, (QStringList { dir + QLatin1String("/active/traj_live"), live }));
        QCOMPARE(hub.health().unwatchedFiles, 0); // the completed records' directory is watched

        // Open, write, no rename: the poll sees it.
        writeFile(live, record(QStringLiteral("traj_live"), QStringLiteral("written in place")));
        QTRY_COMPARE_WITH_TIMEOUT(
            jobs(hub, ws.path()), QStringList(expected) << QStringLiteral("traj_live=written in place"), kTimeout);

        // Every directory watched: the write is named by the directory's event.
        hub.setWatchBudget(6);
        QVERIFY(!hub.health().isDegraded());
        QCOMPARE(hub.watchedPaths().size(), 6);
        writeFile(live, record(QStringLiteral("traj_live"), QStringLiteral("written in place again")));
        QTRY_COMPARE_WITH_TIMEOUT(jobs(hub, ws.path()),
            QStringList(expected) << QStringLiteral("traj_live=written in place again"), kTimeout);
    }

    void unchangedTreeIsNotReparsed()
    {
        QTemporaryDir ws;
        const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha") });
        backdateTree(dir);
        WatchHub hub;
        configure(hub);
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_VERIFY_WITH_TIMEOUT(firstScanDone(hub, ws.path()), kTimeout);
        const quint64 before = hub.parsesOf(dir);
        QSignalSpy reported(&hub, &WatchHub::scanReported);
        QSignalSpy changed(&hub, &WatchHub::snapshotsChanged);

        // chmod changes neither inode, size nor mtime: an event, a walk, no parse.
        const QString recordPath = dir + QLatin1String("/active/traj_alpha.json");
        QVERIFY(::chmod(QFile::encodeName(recordPath).constData(), 0640) == 0);
        QTRY_VERIFY_WITH_TIMEOUT(!reported.isEmpty(), kTimeout);
        const ScanReport report = reports(reported).first();
        QCOMPARE(report.reason, QStringLiteral("files changed"));
        QVERIFY(!report.superseded);
        QCOMPARE(report.parsed, QStringList());
        QCOMPARE(report.reused, QStringList { dir });
        QCOMPARE(hub.parsesOf(dir), before);
        QCOMPARE(changed.count(), 0);

        // A real change of the same file is parsed.
        writeFile(recordPath, record(QStringLiteral("traj_alpha"), QStringLiteral("changed")));
        QTRY_COMPARE_WITH_TIMEOUT(jobs(hub, ws.path()), QStringList { QStringLiteral("traj_alpha=changed") }, kTimeout);
        QCOMPARE(hub.parsesOf(dir), before + 1);
    }

    void newerScanSupersedesOlder()
    {
        QTemporaryDir ws;
        const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha") });
        const QString recordPath = dir + QLatin1String("/active/traj_alpha.json");
        WatchHub hub;
        configure(hub);
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_VERIFY_WITH_TIMEOUT(firstScanDone(hub, ws.path()), kTimeout);
        QSignalSpy changed(&hub, &WatchHub::snapshotsChanged);
        QSignalSpy reported(&hub, &WatchHub::scanReported);
        const quint64 supersededBefore = hub.scansSuperseded();

        // Five versions, a forced rescan after each, without returning to the event loop: the
        // first of these scans is running (or done) when the others are asked for.
        for (int v = 1; v <= 5; ++v) {
            writeFile(recordPath, record(QStringLiteral("traj_alpha"), QStringLiteral("v%1").arg(v)));
            hub.rescan(ws.path());
        }
        QTRY_COMPARE_WITH_TIMEOUT(jobs(hub, ws.path()), QStringList { QStringLiteral("traj_alpha=v5") }, kTimeout);
        QTRY_COMPARE_WITH_TIMEOUT(hub.deliveredGeneration(ws.path()), hub.generation(ws.path()), kTimeout);
        QTest::qWait(5 * hub.debounce()); // the writes' own events, if any scan follows them
        QTRY_COMPARE_WITH_TIMEOUT(hub.deliveredGeneration(ws.path()), hub.generation(ws.path()), kTimeout);

        QVERIFY(hub.scansSuperseded() > supersededBefore);
        // Nothing stale was ever delivered, and what was delivered came in generation order.
        QVERIFY(!changed.isEmpty());
        for (const QList<QVariant>& args : std::as_const(changed)) {
            const auto snapshots = args.at(1).value<QList<Snapshot>>();
            QCOMPARE(snapshots.size(), 1);
            QCOMPARE(snapshots.first().jobs.size(), 1);
            QCOMPARE(snapshots.first().jobs.first().title, QStringLiteral("v5"));
        }
        quint64 last = 0;
        int superseded = 0;
        for (const ScanReport& r : reports(reported)) {
            if (r.superseded) {
                ++superseded;
                continue;
            }
            QVERIFY2(r.generation > last, qPrintable(QStringLiteral("%1 after %2").arg(r.generation).arg(last)));
            last = r.generation;
        }
        QVERIFY(superseded >= 1);
        QCOMPARE(last, hub.generation(ws.path()));
    }

    void livenessChangeOfPidInView()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(child.waitForLine("ready").startsWith("ready"));
        QTemporaryDir ws;
        const QString gstack = ws.path() + QLatin1String("/.gstack");
        QVERIFY(QDir().mkdir(gstack));
        // gstack's browse.json naming our child as its daemon (startedAt after the child started).
        writeFile(gstack + QLatin1String("/browse.json"),
            QStringLiteral("{\"pid\": %1, \"port\": 9, \"token\": \"t\", \"startedAt\": \"%2\", "
                           "\"serverPath\": \"/nonexistent/server.ts\"}")
                .arg(child.pid())
                .arg(iso(QDateTime::currentDateTimeUtc().addSecs(1)))
                .toUtf8());
        WatchHub hub;
        configure(hub);
        QVERIFY(hub.addWorkspace(ws.path()));
        const auto brokerLiveness = [&] {
            const QList<Snapshot> snapshots = hub.snapshots(ws.path());
            return snapshots.size() == 1 && snapshots.first().brokers.size() == 1
                ? snapshots.first().brokers.first().liveness
                : Liveness::Invalid;
        };
        QTRY_VERIFY_WITH_TIMEOUT(brokerLiveness() == Liveness::Alive, kTimeout);
        QSignalSpy events(&hub, &WatchHub::fileEvent);
        QSignalSpy reported(&hub, &WatchHub::scanReported);
        QSignalSpy changed(&hub, &WatchHub::snapshotsChanged);

        QVERIFY(child.signal(SIGKILL));
        QVERIFY(child.reap() >= 0);
        QTRY_VERIFY_WITH_TIMEOUT(brokerLiveness() == Liveness::Dead, kTimeout);
        QVERIFY(!changed.isEmpty());
        QVERIFY(findingCodes(hub, ws.path()).contains(QStringLiteral("daemon-dead")));
        // No file changed: the /proc poll did it.
        QCOMPARE(events.count(), 0);
        bool byLiveness = false;
        for (const ScanReport& r : reports(reported))
            byLiveness = byLiveness || (r.reason == QStringLiteral("liveness") && r.parsed == QStringList { gstack });
        QVERIFY(byLiveness);
    }

    void filesAreSeenThroughTheirDirectory()
    {
        QTemporaryDir ws;
        const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha") });
        const QString recordPath = dir + QLatin1String("/active/traj_alpha.json");
        WatchHub hub;
        configure(hub);
        hub.setWatchBudget(4); // the two anchors, .trajectories and active/: every directory
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_VERIFY_WITH_TIMEOUT(firstScanDone(hub, ws.path()), kTimeout);
        QCOMPARE(hub.watchedPaths(),
            (QStringList { codexRoot(), cleanAbsolute(ws.path()), dir, dir + QLatin1String("/active") }));
        QVERIFY(!hub.health().isDegraded());
        QCOMPARE(hub.health().unwatchedFiles, 0); // index.json and the record: their directory names them
        QCOMPARE(hub.health().summary(), QStringLiteral("ok"));

        // An atomic save is a rename in the directory: seen at once.
        renameReplace(recordPath, record(QStringLiteral("traj_alpha"), QStringLiteral("saved")));
        QTRY_COMPARE_WITH_TIMEOUT(jobs(hub, ws.path()), QStringList { QStringLiteral("traj_alpha=saved") }, kTimeout);
        // So is an in-place write of a file with no watch of its own, with no backstop: the
        // directory's events name it.
        QSignalSpy events(&hub, &WatchHub::fileEvent);
        writeFile(recordPath, record(QStringLiteral("traj_alpha"), QStringLiteral("in place")));
        QTRY_COMPARE_WITH_TIMEOUT(
            jobs(hub, ws.path()), QStringList { QStringLiteral("traj_alpha=in place") }, kTimeout);
        QVERIFY(paths(events).contains(recordPath));
    }

    void everyChangeIsNamedOnlyWhenNothingIsPolled()
    {
        // Two hubs: one with every directory watched, one polling the state dir's (budget 1: the
        // workspace). Each scan after events of the first is named, none of the second's.
        for (const bool healthy : { true, false }) {
            QTemporaryDir ws;
            const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha") });
            const QString recordPath = dir + QLatin1String("/active/traj_alpha.json");
            WatchHub hub;
            configure(hub);
            if (!healthy)
                hub.setWatchBudget(1);
            QSignalSpy reported(&hub, &WatchHub::scanReported);
            QVERIFY(hub.addWorkspace(ws.path()));
            QTRY_VERIFY_WITH_TIMEOUT(firstScanDone(hub, ws.path()), kTimeout);
            QCOMPARE(hub.health().isDegraded(), !healthy);
            const QString title = healthy ? QStringLiteral("named") : QStringLiteral("polled");
            renameReplace(recordPath, record(QStringLiteral("traj_alpha"), title));
            QTRY_COMPARE_WITH_TIMEOUT(
                jobs(hub, ws.path()), QStringList { QStringLiteral("traj_alpha=") + title }, kTimeout);
            int afterEvents = 0;
            for (const ScanReport& r : reports(reported)) {
                if (r.reason != QStringLiteral("files changed"))
                    continue;
                ++afterEvents;
                QCOMPARE(r.everyChangeNamed, healthy);
            }
            QVERIFY(afterEvents > 0);
        }
    }

    void lostEventsScanEveryWorkspaceWhole()
    {
        const qint64 queued = maxQueuedEvents();
        if (queued <= 0 || queued > 1000000)
            QSKIP("fs.inotify.max_queued_events unreadable or too large to overflow here");
        QTemporaryDir ws;
        const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha") });
        WatchHub hub;
        configure(hub);
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_VERIFY_WITH_TIMEOUT(firstScanDone(hub, ws.path()), kTimeout);
        QSignalSpy reported(&hub, &WatchHub::scanReported);
        // More events than the queue holds, without returning to the event loop: each write is
        // IN_MODIFY then IN_CLOSE_WRITE (inotify merges only an event equal to the last queued).
        const QByteArray log = QFile::encodeName(dir + QLatin1String("/trail.log"));
        for (qint64 i = 0; i <= queued / 2 + 1; ++i) {
            const int fd = ::open(log.constData(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
            QVERIFY(fd >= 0);
            QVERIFY(::write(fd, "x", 1) == 1);
            ::close(fd);
        }
        const auto wholeScan = [&] {
            for (const ScanReport& r : reports(reported)) {
                if (r.reason.split(QStringLiteral(", ")).contains(QStringLiteral("events lost")) && !r.superseded)
                    return r.parsed == QStringList { dir };
            }
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(wholeScan(), kTimeout);
    }

    void degradedPollingBeyondTheWatchBudget()
    {
        QTemporaryDir ws;
        const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha") });
        WatchHub hub;
        configure(hub);
        QCOMPARE(hub.health().summary(), QStringLiteral("ok"));
        hub.setWatchBudget(1); // the workspace itself: the directories below it are polled
        QSignalSpy health(&hub, &WatchHub::healthChanged);
        QSignalSpy events(&hub, &WatchHub::fileEvent);
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_VERIFY_WITH_TIMEOUT(hub.health().isDegraded(), kTimeout);
        QCOMPARE(health.count(), 1);
        const WatchHealth degraded = health.first().at(0).value<WatchHealth>();
        QVERIFY(degraded.isDegraded());
        // With them the files trail rewrites in place: index.json and the active record.
        QCOMPARE(degraded.summary(), QStringLiteral("degraded: polling (5 paths)"));
        QCOMPARE(degraded.polledPaths,
            (QStringList { codexRoot(), dir, dir + QLatin1String("/active"),
                dir + QLatin1String("/active/traj_alpha.json"), dir + QLatin1String("/index.json") }));
        QCOMPARE(degraded.overBudget, 3);
        QVERIFY(degraded.refused.isEmpty());
        QCOMPARE(hub.watchedPaths(), QStringList { cleanAbsolute(ws.path()) });

        // A new record changes active/'s mtime: the poll sees it, the scan follows.
        const QString beta = dir + QLatin1String("/active/traj_beta.json");
        writeFile(beta, record(QStringLiteral("traj_beta"), QStringLiteral("polled")));
        QTRY_COMPARE_WITH_TIMEOUT(jobs(hub, ws.path()),
            (QStringList { QStringLiteral("traj_alpha=traj_alpha"), QStringLiteral("traj_beta=polled") }), kTimeout);
        bool sawDir = false;
        for (const QList<QVariant>& args : std::as_const(events))
            sawDir = sawDir || args.at(0).toString() == dir + QLatin1String("/active");
        QVERIFY(sawDir);

        // Room again: back to ok (one more report), everything watched.
        // traj_beta.json, an active record too, is polled; no file waits for the backstop.
        QTRY_VERIFY_WITH_TIMEOUT(hub.health().polledPaths.contains(beta), kTimeout);
        QCOMPARE(hub.health().unwatchedFiles, 0);
        const qsizetype reportsBefore = health.count();
        hub.setWatchBudget(100000);
        QVERIFY(!hub.health().isDegraded());
        QCOMPARE(hub.health().summary(), QStringLiteral("ok"));
        QCOMPARE(health.count(), reportsBefore + 1);
        QVERIFY(!health.last().at(0).value<WatchHealth>().isDegraded());
        QVERIFY(hub.watchedPaths().contains(dir + QLatin1String("/active")));
        QVERIFY(hub.health().polledPaths.isEmpty());
    }

    void degradedWhenInotifyRefusesAPath()
    {
        if (::geteuid() == 0)
            QSKIP("root may watch any directory: inotify cannot be made to refuse one by permissions");
        QTemporaryDir ws;
        const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha") });
        const QString locked = dir + QLatin1String("/completed");
        QVERIFY(QDir().mkdir(locked));
        QVERIFY(::chmod(QFile::encodeName(locked).constData(), 0) == 0);
        const auto restore = qScopeGuard([&] { ::chmod(QFile::encodeName(locked).constData(), 0755); });
        WatchHub hub;
        configure(hub);
        QSignalSpy health(&hub, &WatchHub::healthChanged);
        // Refused paths are not asked again before the backstop (the set's own instance: no
        // complaint from Qt on stderr).
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_VERIFY_WITH_TIMEOUT(hub.health().isDegraded(), kTimeout);
        const WatchHealth h = hub.health();
        QCOMPARE(h.overBudget, 0);
        QCOMPARE(h.polledPaths, QStringList { locked });
        QCOMPARE(h.refused.size(), 1);
        QVERIFY2(
            h.refused.first().startsWith(locked + QLatin1String(": Permission denied")), qPrintable(h.refused.first()));
        QVERIFY(!health.isEmpty());
        // The rest is watched normally, and a change there still re-checks the refused path
        // quietly (it is polled, not asked of inotify again).
        const QString recordPath = dir + QLatin1String("/active/traj_alpha.json");
        QVERIFY(hub.watchedPaths().contains(dir + QLatin1String("/active")));
        writeFile(recordPath, record(QStringLiteral("traj_alpha"), QStringLiteral("still seen")));
        QTRY_COMPARE_WITH_TIMEOUT(
            jobs(hub, ws.path()), QStringList { QStringLiteral("traj_alpha=still seen") }, kTimeout);
        QCOMPARE(hub.health(), h);
    }

    void backstopReparsesWhatChangedOrAges()
    {
        QTemporaryDir ws;
        const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha") });
        const QString codegraph = ws.path() + QLatin1String("/.codegraph");
        QVERIFY(QDir().mkdir(codegraph));
        writeFile(codegraph + QLatin1String("/changes.journal"), "# codegraph-journal v1 1700000000000\nsrc/a.js\n");
        // A lock: its verdict depends on its age and its holder, not only on its bytes.
        writeFile(codegraph + QLatin1String("/graph.db.lock"), QByteArray::number(QCoreApplication::applicationPid()));
        backdateTree(dir);
        backdateTree(codegraph);
        WatchHub hub;
        configure(hub);
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_COMPARE_WITH_TIMEOUT(stateDirs(hub, ws.path()), (QStringList { dir, codegraph }), kTimeout);
        QCOMPARE(hub.snapshots(ws.path()).at(1).locks.size(), 1);
        QSignalSpy reported(&hub, &WatchHub::scanReported);
        hub.setBackstopInterval(300);
        const auto backstopSeen = [&] {
            for (const ScanReport& r : reports(reported)) {
                if (r.reason == QStringLiteral("backstop") && !r.superseded)
                    return true;
            }
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(backstopSeen(), kTimeout);
        // The interval stretches with what the last backstop cost (at most 1/200 of a core).
        qint64 cost = -1;
        for (const ScanReport& r : reports(reported)) {
            if (r.reason.contains(QStringLiteral("backstop")) && !r.superseded)
                cost = r.elapsedMs;
        }
        QCOMPARE(hub.backstopInterval(), int(std::max<qint64>(300, cost * WatchHub::kBackstopCostFactor)));
        hub.setBackstopInterval(0);
        for (const ScanReport& r : reports(reported)) {
            if (r.reason != QStringLiteral("backstop") || r.superseded)
                continue;
            QCOMPARE(r.parsed, QStringList { codegraph });
            QCOMPARE(r.reused, QStringList { dir });
        }
    }

    // The backstop's period starts again when a workspace is first delivered, and only then: a
    // first whole scan that outlasts the period would otherwise be followed by a backstop at once.
    void backstopPeriodStartsAtFirstDelivery()
    {
        QTemporaryDir ws;
        const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha") });
        WatchHub hub;
        configure(hub);
        hub.setBackstopInterval(3600 * 1000); // no timeout within this test
        const qint64 set = hub.backstopPeriodStartNs();
        QSignalSpy changed(&hub, &WatchHub::snapshotsChanged);
        QVERIFY(hub.addWorkspace(ws.path()));
        QTRY_VERIFY_WITH_TIMEOUT(firstScanDone(hub, ws.path()), kTimeout);
        QCOMPARE(changed.count(), 1);
        const qint64 delivered = hub.backstopPeriodStartNs();
        QVERIFY(delivered > set);
        QCOMPARE(hub.backstopInterval(), 3600 * 1000);

        // A later delivery of the same workspace leaves the period as it is.
        writeFile(dir + QLatin1String("/active/traj_alpha.json"),
            record(QStringLiteral("traj_alpha"), QStringLiteral("changed")));
        QTRY_COMPARE_WITH_TIMEOUT(jobs(hub, ws.path()), QStringList { QStringLiteral("traj_alpha=changed") }, kTimeout);
        QVERIFY(changed.count() >= 2);
        QCOMPARE(hub.backstopPeriodStartNs(), delivered);

        // Off: a first delivery does not turn it on.
        QTemporaryDir other;
        legacyDir(other.path(), { QStringLiteral("traj_beta") });
        hub.setBackstopInterval(0);
        QVERIFY(hub.addWorkspace(other.path()));
        QTRY_VERIFY_WITH_TIMEOUT(firstScanDone(hub, other.path()), kTimeout);
        QCOMPARE(hub.backstopPeriodStartNs(), delivered);
    }

    void removeWorkspaceStopsEvents()
    {
        QTemporaryDir ws;
        const QString dir = legacyDir(ws.path(), { QStringLiteral("traj_alpha") });
        WatchHub hub;
        configure(hub);
        QVERIFY(hub.addWorkspace(ws.path()));
        QVERIFY(!hub.addWorkspace(ws.path() + QLatin1String("/."))); // the same one
        QTRY_VERIFY_WITH_TIMEOUT(firstScanDone(hub, ws.path()), kTimeout);
        QVERIFY(hub.watchedPathCount() > 0);
        QVERIFY(hub.removeWorkspace(ws.path()));
        QVERIFY(!hub.removeWorkspace(ws.path()));
        QCOMPARE(hub.workspaces(), QStringList());
        QCOMPARE(hub.watchedPathCount(), 0);
        QCOMPARE(hub.snapshots(ws.path()).size(), 0);

        QSignalSpy changed(&hub, &WatchHub::snapshotsChanged);
        QSignalSpy events(&hub, &WatchHub::fileEvent);
        QSignalSpy started(&hub, &WatchHub::scanStarted);
        writeFile(
            dir + QLatin1String("/active/traj_alpha.json"), record(QStringLiteral("traj_alpha"), QStringLiteral("x")));
        renameReplace(dir + QLatin1String("/index.json"), index(dir, { QStringLiteral("traj_alpha") }));
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".codegraph")));
        QTest::qWait(10 * hub.debounce() + 2 * hub.livenessInterval());
        QCOMPARE(events.count(), 0);
        QCOMPARE(started.count(), 0);
        QCOMPARE(changed.count(), 0);
    }

    void destroyingTheHubWhileScansRunIsSafe()
    {
        QTemporaryDir ws;
        QStringList ids;
        for (int i = 0; i < 2000; ++i)
            ids.append(QStringLiteral("traj_many%1").arg(i));
        legacyDir(ws.path(), ids);

        // Destroyed while its first scan is certainly running or queued.
        {
            auto hub = std::make_unique<WatchHub>();
            QSignalSpy started(hub.get(), &WatchHub::scanStarted);
            QVERIFY(hub->addWorkspace(ws.path()));
            QCOMPARE(started.count(), 1);
        }
        // And at varied moments of later scans: running, or finished with the result in flight.
        for (int delayMs : { 0, 1, 3, 10, 30, 100 }) {
            auto hub = std::make_unique<WatchHub>();
            configure(*hub);
            QVERIFY(hub->addWorkspace(ws.path()));
            QTRY_VERIFY_WITH_TIMEOUT(firstScanDone(*hub, ws.path()), kTimeout);
            hub->rescan();
            QThread::msleep(ulong(delayMs)); // the result may be posted meanwhile, not yet delivered
            hub.reset();
        }
        QVERIFY(QThreadPool::globalInstance()->waitForDone(kTimeout));
        QTest::qWait(100); // anything posted to a dead hub would run now
    }
};

QTEST_GUILESS_MAIN(TestWatchHub)
#include "tst_watchhub.moc"
