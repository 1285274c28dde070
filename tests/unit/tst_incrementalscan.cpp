// SPDX-License-Identifier: GPL-3.0-or-later
// A scan after events (runScan of the changed state dir, given the last result: only what the
// changed entries touch is re-read and re-judged, TrajectoriesSource::scanAfter) gives the
// snapshot a fresh whole scan gives, byte for byte in toJson() (the scan time and ages aside),
// after every kind of change: a record added, rewritten in place, rename-replaced, removed, made
// invalid, its id duplicated, an index entry added or removed, the index rewritten, a lock or a
// tmp file appearing or going, an active record moved to completed/, a directory of records coming
// or going. Each change is applied to a fresh workspace, and all of them one after the other to
// one workspace (each scan after events from the last one's result). The changes the incremental
// path must take itself are checked to have been taken (ScanResult::rejudged); those it must
// refuse (the index made unusable: every id's verdict changes) to fall back.
#include "proc/filetree.h"
#include "sources/trajectoriessource.h"
#include "testfiles.h"
#include "watch/watchscan.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>
#include <functional>

using namespace Stateward;
using namespace TestFiles;

namespace {

QByteArray jsonOf(const ScanResult& r)
{
    QByteArray out;
    for (const SourceState& s : r.sources)
        out += stableJson(s.snapshot);
    return out;
}

const auto never = [] { return false; };

// Past the clock's racy window (TreeFingerprint::kRacyWindowNs): an entry written this long
// before a scan's walk is told apart from a later rewrite by its times, so the next scan needs
// to look again only at what changed. Only whether the incremental path may be taken depends on
// it; what both scans give never does.
void settle()
{
    QTest::qSleep(int(TreeFingerprint::kRacyWindowNs / 1000000) + 50);
}

// One workspace in the index era: active and completed records, one of them stored twice, one
// torn, one missing from the index, one stale there, one entry naming no file.
class Workspace
{
public:
    // An existing state dir, as it is.
    Workspace(const QString& root, const QString& stateDir)
        : ws(root)
        , dir(stateDir)
    { }
    explicit Workspace(const QString& root)
        : ws(root)
        , dir(root + QLatin1String("/.trajectories"))
    {
        put(QStringLiteral("active/traj_act1.json"),
            trajectoryRecord(QStringLiteral("traj_act1"), QStringLiteral("Active one"), QStringLiteral("active")));
        put(QStringLiteral("active/traj_act2.json"),
            trajectoryRecord(QStringLiteral("traj_act2"), QStringLiteral("Active two"), QStringLiteral("active")));
        for (int i = 0; i < 8; ++i) {
            const QString id = QStringLiteral("traj_done%1").arg(i);
            put(QStringLiteral("completed/2026-05/%1.json").arg(id),
                trajectoryRecord(id, QStringLiteral("Done %1").arg(i), QStringLiteral("completed")));
        }
        put(QStringLiteral("completed/2026-05/traj_act2.json"),
            trajectoryRecord(
                QStringLiteral("traj_act2"), QStringLiteral("Active two, finished"), QStringLiteral("completed")));
        put(QStringLiteral("completed/2026-05/traj_torn.json"), QByteArrayLiteral("{\"id\": \"traj_torn\", \"tas"));
        QStringList entries;
        for (const QString& id : { QStringLiteral("traj_act1"), QStringLiteral("traj_act2") })
            entries.append(entry(id, QStringLiteral("active"), QStringLiteral("active/%1.json").arg(id)));
        for (int i = 0; i < 7; ++i) // traj_done7 is missing
            entries.append(entry(QStringLiteral("traj_done%1").arg(i),
                i == 3 ? QStringLiteral("active") : QStringLiteral("completed"),
                QStringLiteral("completed/2026-05/traj_done%1.json").arg(i)));
        entries.append(entry(QStringLiteral("traj_gone"), QStringLiteral("completed"),
            QStringLiteral("completed/2026-05/traj_gone.json")));
        writeIndex(entries);
    }

    QString path(const QString& rel) const { return dir + QLatin1Char('/') + rel; }
    void put(const QString& rel, const QByteArray& content)
    {
        QVERIFY(QDir().mkpath(QFileInfo(path(rel)).path()));
        writeFile(path(rel), content);
    }
    void renameOver(const QString& rel, const QByteArray& content)
    {
        put(rel + QLatin1String(".saving"), content);
        QCOMPARE(std::rename(QFile::encodeName(path(rel + QLatin1String(".saving"))).constData(),
                     QFile::encodeName(path(rel)).constData()),
            0);
    }
    // In place: the same inode, truncated and written.
    void rewrite(const QString& rel, const QByteArray& content)
    {
        QFile f(path(rel));
        QVERIFY(f.open(QIODevice::ReadWrite | QIODevice::Truncate));
        QCOMPARE(f.write(content), content.size());
    }
    QString entry(const QString& id, const QString& status, const QString& rel) const
    {
        return QStringLiteral(
            "\"%1\": {\"title\": \"t\", \"status\": \"%2\", \"startedAt\": \"2026-05-10T18:45:02.118Z\", "
            "\"path\": \"%3\"}")
            .arg(id, status, path(rel));
    }
    void writeIndex(const QStringList& entries)
    {
        m_entries = entries;
        renameOver(QStringLiteral("index.json"),
            QStringLiteral("{\"version\": 1, \"lastUpdated\": \"2026-05-10T19:15:02.118Z\", \"trajectories\": {%1}}")
                .arg(entries.join(QStringLiteral(", ")))
                .toUtf8());
    }
    const QStringList& entries() const { return m_entries; }

    const QString ws;
    const QString dir;

private:
    QStringList m_entries;
};

// A change: what it does to the workspace, the paths an event would name, and whether the
// incremental path must take it (false: it must fall back to a whole scan).
struct Change
{
    const char* name;
    std::function<void(Workspace&)> apply;
    QStringList touched; // relative to the state dir
    bool incremental;
};

QList<Change> changes()
{
    const auto rec = [](const char* id, const char* title, const char* status) {
        return trajectoryRecord(QLatin1String(id), QLatin1String(title), QLatin1String(status));
    };
    const QString tmpName = QStringLiteral("index.json.4194303.12345678-1234-1234-1234-123456789abc.tmp");
    return {
        { "record added",
            [=](Workspace& w) {
                w.put(QStringLiteral("completed/2026-05/traj_new1.json"), rec("traj_new1", "New", "completed"));
            },
            { QStringLiteral("completed/2026-05/traj_new1.json") }, true },
        { "record rewritten in place",
            [=](Workspace& w) {
                w.rewrite(QStringLiteral("active/traj_act1.json"), rec("traj_act1", "Active one, later", "active"));
            },
            { QStringLiteral("active/traj_act1.json") }, true },
        { "record rename-replaced",
            [=](Workspace& w) {
                w.renameOver(QStringLiteral("completed/2026-05/traj_done1.json"),
                    rec("traj_done1", "Done 1, retitled", "abandoned"));
            },
            { QStringLiteral("completed/2026-05/traj_done1.json") }, true },
        { "record removed",
            [=](Workspace& w) { QVERIFY(QFile::remove(w.path(QStringLiteral("completed/2026-05/traj_done2.json")))); },
            { QStringLiteral("completed/2026-05/traj_done2.json") }, true },
        { "record made invalid",
            [=](Workspace& w) { w.renameOver(QStringLiteral("completed/2026-05/traj_done4.json"), "not json"); },
            { QStringLiteral("completed/2026-05/traj_done4.json") }, true },
        { "invalid record made valid",
            [=](Workspace& w) {
                w.renameOver(
                    QStringLiteral("completed/2026-05/traj_torn.json"), rec("traj_torn", "Mended", "completed"));
            },
            { QStringLiteral("completed/2026-05/traj_torn.json") }, true },
        { "id duplicated",
            [=](Workspace& w) {
                w.put(QStringLiteral("completed/2026-05/traj_act1.json"),
                    rec("traj_act1", "Active one, copied", "completed"));
            },
            { QStringLiteral("completed/2026-05/traj_act1.json") }, true },
        { "duplicate removed",
            [=](Workspace& w) { QVERIFY(QFile::remove(w.path(QStringLiteral("active/traj_act2.json")))); },
            { QStringLiteral("active/traj_act2.json") }, true },
        { "active moved to completed",
            [=](Workspace& w) {
                w.put(QStringLiteral("completed/2026-05/traj_act1.json"),
                    rec("traj_act1", "Active one, done", "completed"));
                QVERIFY(QFile::remove(w.path(QStringLiteral("active/traj_act1.json"))));
            },
            { QStringLiteral("completed/2026-05/traj_act1.json"), QStringLiteral("active/traj_act1.json") }, true },
        { "lock appears", [=](Workspace& w) { w.put(QStringLiteral("active/traj_act1.json.lock"), "4194303\n"); },
            { QStringLiteral("active/traj_act1.json.lock") }, true },
        { "lock goes",
            [=](Workspace& w) { QVERIFY(QFile::remove(w.path(QStringLiteral("active/traj_act1.json.lock")))); },
            { QStringLiteral("active/traj_act1.json.lock") }, true },
        { "tmp file appears", [=](Workspace& w) { w.put(tmpName, "{}"); }, { tmpName }, true },
        { "tmp file goes", [=](Workspace& w) { QVERIFY(QFile::remove(w.path(tmpName))); }, { tmpName }, true },
        { "index entry added",
            [=](Workspace& w) {
                w.writeIndex(w.entries()
                    + QStringList { w.entry(QStringLiteral("traj_done7"), QStringLiteral("completed"),
                        QStringLiteral("completed/2026-05/traj_done7.json")) });
            },
            { QStringLiteral("index.json") }, true },
        { "index entry removed", [=](Workspace& w) { w.writeIndex(w.entries().mid(1)); },
            { QStringLiteral("index.json") }, true },
        { "index entry changed",
            [=](Workspace& w) {
                QStringList entries = w.entries();
                for (QString& e : entries) {
                    if (e.startsWith(QLatin1String("\"traj_done3\"")))
                        e = w.entry(QStringLiteral("traj_done3"), QStringLiteral("completed"),
                            QStringLiteral("completed/2026-05/traj_done3.json"));
                }
                w.writeIndex(entries);
            },
            { QStringLiteral("index.json") }, true },
        { "dangling entry removed",
            [=](Workspace& w) {
                QStringList entries = w.entries();
                entries.removeIf([](const QString& e) { return e.startsWith(QLatin1String("\"traj_gone\"")); });
                w.writeIndex(entries);
            },
            { QStringLiteral("index.json") }, true },
        { "index rewritten", [=](Workspace& w) { w.writeIndex(w.entries()); }, { QStringLiteral("index.json") }, true },
        { "index made malformed", [=](Workspace& w) { w.renameOver(QStringLiteral("index.json"), "{\"version\": 1,"); },
            { QStringLiteral("index.json") }, false },
        { "directory appears",
            [=](Workspace& w) {
                w.put(QStringLiteral("completed/2026-06/traj_june.json"), rec("traj_june", "June", "completed"));
            },
            { QStringLiteral("completed/2026-06"), QStringLiteral("completed/2026-06/traj_june.json") }, true },
        { "directory removed",
            [=](Workspace& w) { QVERIFY(QDir(w.path(QStringLiteral("completed/2026-06"))).removeRecursively()); },
            { QStringLiteral("completed/2026-06"), QStringLiteral("completed/2026-06/traj_june.json") }, true },
    };
}

ScanRequest wholeRequest(const QString& ws, std::shared_ptr<AdapterCaches> caches)
{
    ScanRequest request;
    request.workspace = ws;
    request.spec.parseAll = true;
    request.caches = std::move(caches);
    return request;
}

// The scan after events of `change`, from `last`, against a whole scan with fresh caches.
ScanResult scanAfter(
    const Workspace& w, const ScanResult& last, const std::shared_ptr<AdapterCaches>& caches, const Change& change)
{
    ScanRequest request;
    request.workspace = w.ws;
    request.spec.reason = QStringLiteral("files changed");
    request.spec.dirty.insert(w.dir);
    for (const QString& rel : change.touched)
        request.spec.changedPaths.insert(w.path(rel));
    request.known = last.sources;
    request.caches = caches;
    return runScan(request, never);
}

} // namespace

class TestIncrementalScan : public QObject
{
    Q_OBJECT

    void compareAfter(const Workspace& w, const ScanResult& after, const Change& change, bool settled = true)
    {
        const ScanResult whole = runScan(wholeRequest(w.ws, std::make_shared<AdapterCaches>()), never);
        QCOMPARE(after.sources.size(), whole.sources.size());
        const QByteArray a = jsonOf(after);
        const QByteArray b = jsonOf(whole);
        if (a != b) {
            const QString base = QDir::tempPath() + QStringLiteral("/tst_incrementalscan-");
            writeFile(base + QLatin1String("incremental.json"), a);
            writeFile(base + QLatin1String("whole.json"), b);
            std::fprintf(stderr, "%s: written to %s{incremental,whole}.json\n", change.name, qPrintable(base));
        }
        QCOMPARE(a, b);
        if (settled)
            QCOMPARE(after.rejudged.contains(w.dir), change.incremental);
        QVERIFY(after.parsed.contains(w.dir));
    }

    // Each step applied, settled, and scanned after events from the last step's result.
    void chain(Workspace& w, ScanResult last, const std::shared_ptr<AdapterCaches>& caches, const QList<Change>& steps)
    {
        for (const Change& change : steps) {
            change.apply(w);
            settle();
            const ScanResult after = scanAfter(w, last, caches, change);
            compareAfter(w, after, change);
            if (QTest::currentTestFailed()) {
                qWarning("after %s", change.name);
                return;
            }
            last = after;
        }
    }

private slots:
    void eachChange_data()
    {
        QTest::addColumn<int>("index");
        QTest::addColumn<bool>("settled");
        const QList<Change> all = changes();
        for (qsizetype i = 0; i < all.size(); ++i) {
            QTest::addRow("%s", all.at(i).name) << int(i) << true;
            QTest::addRow("%s, racy", all.at(i).name) << int(i) << false;
        }
    }

    // Every kind of change, each from a fresh workspace scanned whole: settled (the incremental
    // path must be taken where it may), and right after the files were written (entries within
    // the clock's racy window are looked at again, whatever path is taken).
    void eachChange()
    {
        QFETCH(int, index);
        QFETCH(bool, settled);
        const QList<Change> all = changes();
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        Workspace w(QDir(tmp.path()).canonicalPath());
        // The changes that undo another start from a workspace where it was done.
        const Change& change = all.at(index);
        const auto caches = std::make_shared<AdapterCaches>();
        if (QByteArray(change.name) == "lock goes")
            w.put(QStringLiteral("active/traj_act1.json.lock"), "4194303\n");
        if (QByteArray(change.name) == "tmp file goes" || QByteArray(change.name) == "directory removed")
            all.at(index - 1).apply(w);
        if (settled)
            settle();
        const ScanResult first = runScan(wholeRequest(w.ws, caches), never);
        QVERIFY(first.parsed.contains(w.dir));
        QVERIFY(!first.rejudged.contains(w.dir));
        change.apply(w);
        if (settled)
            settle();
        compareAfter(w, scanAfter(w, first, caches, change), change, settled);
    }

    // All of them one after the other in one workspace, each scan after events from the last
    // one's result (the memo of an incremental scan is the next one's start).
    void oneAfterAnother()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        Workspace w(QDir(tmp.path()).canonicalPath());
        const auto caches = std::make_shared<AdapterCaches>();
        settle();
        const ScanResult last = runScan(wholeRequest(w.ws, caches), never);
        chain(w, last, caches, changes());
    }

    // 0.6.1's index-free layout: records as <id>/trajectory.json, no index.
    void indexFreeLayout()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString ws = QDir(tmp.path()).canonicalPath();
        const QString dir = ws + QLatin1String("/.agentworkforce/trajectories");
        const auto put = [&](const QString& rel, const QByteArray& content) {
            QVERIFY(QDir().mkpath(QFileInfo(dir + QLatin1Char('/') + rel).path()));
            writeFile(dir + QLatin1Char('/') + rel, content);
        };
        const auto rec = [](const char* id, const char* title, const char* status) {
            return trajectoryRecord(QLatin1String(id), QLatin1String(title), QLatin1String(status));
        };
        put(QStringLiteral("active/traj_n1/trajectory.json"), rec("traj_n1", "Nested one", "active"));
        put(QStringLiteral("active/traj_n2/trajectory.json"), rec("traj_n2", "Nested two", "active"));
        put(QStringLiteral("completed/2026-05/traj_n3/trajectory.json"), rec("traj_n3", "Nested three", "completed"));
        put(QStringLiteral("completed/2026-05/traj_n4/trajectory.json"), rec("traj_n4", "Nested four", "completed"));
        put(QStringLiteral("completed/2026-05/traj_n2/trajectory.json"),
            rec("traj_n2", "Nested two, done", "completed"));
        const auto caches = std::make_shared<AdapterCaches>();
        settle();
        const ScanResult last = runScan(wholeRequest(ws, caches), never);
        QCOMPARE(last.sources.size(), 1);
        QCOMPARE(last.sources.first().stateDir, dir);
        Workspace w(ws, dir);
        const QList<Change> steps {
            { "nested record rewritten",
                [&](Workspace&) {
                    put(QStringLiteral("active/traj_n1/trajectory.json"),
                        rec("traj_n1", "Nested one, later", "active"));
                },
                { QStringLiteral("active/traj_n1/trajectory.json") }, true },
            { "nested record made invalid",
                [&](Workspace&) { put(QStringLiteral("completed/2026-05/traj_n3/trajectory.json"), "{"); },
                { QStringLiteral("completed/2026-05/traj_n3/trajectory.json") }, true },
            { "nested duplicate removed",
                [&](Workspace&) { QVERIFY(QFile::remove(dir + QLatin1String("/active/traj_n2/trajectory.json"))); },
                { QStringLiteral("active/traj_n2/trajectory.json") }, true },
            { "flat record beside them",
                [&](Workspace&) {
                    put(QStringLiteral("completed/2026-05/traj_f1.json"), rec("traj_f1", "Flat", "completed"));
                },
                { QStringLiteral("completed/2026-05/traj_f1.json") }, true },
            { "index.json appears", [&](Workspace&) { put(QStringLiteral("index.json"), "{}"); },
                { QStringLiteral("index.json") }, true },
            { "new record directory",
                [&](Workspace&) {
                    put(QStringLiteral("active/traj_n5/trajectory.json"), rec("traj_n5", "Five", "active"));
                },
                { QStringLiteral("active/traj_n5"), QStringLiteral("active/traj_n5/trajectory.json") }, true },
            { "record directory removed",
                [&](Workspace&) {
                    QVERIFY(QDir(dir + QLatin1String("/completed/2026-05/traj_n4")).removeRecursively());
                },
                { QStringLiteral("completed/2026-05/traj_n4"),
                    QStringLiteral("completed/2026-05/traj_n4/trajectory.json") },
                true },
            { "month directory of records removed",
                [&](Workspace&) { QVERIFY(QDir(dir + QLatin1String("/completed/2026-05")).removeRecursively()); },
                { QStringLiteral("completed/2026-05") }, true },
        };
        chain(w, last, caches, steps);
    }

    // A scan whose result was dropped (superseded) leaves its memo, with the tree it judged: the
    // next scan from the last delivered result re-judges only what changed since that tree (the
    // dropped scan's changes are in the event paths again, as the scheduler merges them), and
    // gets it right. A whole scan of a 100 000-record dir there took seconds.
    void droppedResultStaysIncremental()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        Workspace w(QDir(tmp.path()).canonicalPath());
        const auto caches = std::make_shared<AdapterCaches>();
        settle();
        const ScanResult first = runScan(wholeRequest(w.ws, caches), never);
        const QList<Change> all = changes();
        all.at(0).apply(w);
        settle();
        const ScanResult dropped = scanAfter(w, first, caches, all.at(0));
        QVERIFY(dropped.rejudged.contains(w.dir));
        all.at(1).apply(w);
        Change both = all.at(1);
        both.touched += all.at(0).touched;
        both.incremental = true;
        compareAfter(w, scanAfter(w, first, caches, both), both);
    }
};

QTEST_GUILESS_MAIN(TestIncrementalScan)
#include "tst_incrementalscan.moc"
