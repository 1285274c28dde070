// SPDX-License-Identifier: GPL-3.0-or-later
// Problems (core/problem/problem.h): findings grouped by cause, ranked by impact and worded by the
// adapter of their family, from synthetic snapshots and from real scans of crafted state; and the
// problems of the demo workspace, as a first-time user reads them.
#include "childprocess.h"
#include "livedemo.h"
#include "problem/problem.h"
#include "sources/codegraphsource.h"
#include "sources/codexsource.h"
#include "sources/source.h"
#include "testfiles.h"
#include "testprinters.h"

#include <QDir>
#include <QJsonArray>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace Stateward;
using namespace TestFiles;

namespace {

Snapshot snapshotOf(Family family, const QString& stateDir)
{
    Snapshot s;
    s.family = family;
    s.workspace = QStringLiteral("/ws");
    s.stateDir = stateDir;
    return s;
}

Job job(const Snapshot& s, const QString& id)
{
    Job j;
    j.id = QStringLiteral("%1:%2:%3").arg(nameOf(s.family), s.stateDir, id);
    j.jobId = id;
    j.recordFile = s.stateDir + QLatin1String("/active/") + id + QLatin1String(".json");
    return j;
}

TempFile tempFile(const QString& path, qint64 ownerPid, qint64 size)
{
    TempFile t;
    t.id = QStringLiteral("tmp:") + path;
    t.path = path;
    t.name = recogniseTmpName(path.mid(path.lastIndexOf(QLatin1Char('/')) + 1));
    t.name.ownerPid = ownerPid;
    t.size = size;
    t.orphan = true;
    return t;
}

QStringList titles(const QList<Problem>& problems)
{
    QStringList out;
    for (const Problem& p : problems)
        out.append(p.title);
    return out;
}

// Every finding is in exactly one problem, ids are unique, and the list is sorted worst first.
bool wellFormed(const QList<Snapshot>& snapshots, const QList<Problem>& problems)
{
    QStringList findingIds, grouped;
    for (const Snapshot& s : snapshots) {
        for (const Finding& f : s.findings)
            findingIds.append(f.id);
    }
    QSet<QString> ids;
    for (const Problem& p : problems) {
        grouped += p.findingIds;
        if (ids.contains(p.id) || p.title.isEmpty() || p.explanation.isEmpty() || p.fixable() == p.fixLabel.isEmpty()
            || p.fixable() == !p.manualFix.isEmpty()) {
            qWarning() << "malformed problem" << p.id << p.title << p.fixLabel << p.manualFix;
            return false;
        }
        ids.insert(p.id);
    }
    findingIds.sort();
    grouped.sort();
    if (findingIds != grouped) {
        qWarning() << "findings" << findingIds << "grouped" << grouped;
        return false;
    }
    return std::is_sorted(problems.begin(), problems.end(), worseFirst);
}

} // namespace

class TestProblems : public QObject
{
    Q_OBJECT

private slots:
    // 21 index-missing-record findings of one scan are one problem with the figures; a stale entry
    // of the same index joins it (one rewrite fixes both).
    void trajectoriesLostEntriesAreOneProblem()
    {
        Snapshot s = snapshotOf(Family::Trajectories, QStringLiteral("/ws/.trajectories"));
        for (int i = 1; i <= 23; ++i)
            s.jobs.append(job(s, QStringLiteral("traj_%1").arg(i, 2, 10, QLatin1Char('0'))));
        for (int i = 0; i < 21; ++i)
            s.addFinding(QStringLiteral("index-missing-record"), Severity::Warning,
                FindingTarget::item(s.jobs[i].recordFile, s.jobs[i].id),
                QStringLiteral("trajectory %1 is missing from index.json").arg(s.jobs[i].jobId), QStringLiteral("…"),
                { RepairKind::Reindex });
        s.addFinding(QStringLiteral("index-stale"), Severity::Warning,
            FindingTarget::entry(s.stateDir + QLatin1String("/index.json"), s.jobs[21].jobId, s.jobs[21].id),
            QStringLiteral("index entry for traj_22 is out of date"), QStringLiteral("…"),
            { RepairKind::FixIndexEntry });

        const QList<Problem> problems = problemsOf(s);
        QVERIFY(wellFormed({ s }, problems));
        QCOMPARE(problems.size(), 1);
        const Problem& p = problems.first();
        QCOMPARE(p.id, QStringLiteral("trajectories:/ws/.trajectories:index"));
        QCOMPARE(p.impact, Impact::LosesData);
        QCOMPARE(p.title, QStringLiteral("index.json lost 21 of 23 trajectories (concurrent saves)"));
        QVERIFY2(
            p.explanation.contains(QLatin1String("23 valid trajectory files on disk, but index.json lists only 2")),
            qPrintable(p.explanation));
        QVERIFY2(
            p.explanation.contains(QLatin1String("1 entry with the wrong status or path")), qPrintable(p.explanation));
        QCOMPARE(p.findingIds.size(), 22);
        QCOMPARE(p.itemIds.size(), 22);
        QCOMPARE(p.repairs, QList<RepairKind>({ RepairKind::Reindex, RepairKind::FixIndexEntry }));
        QCOMPARE(p.fixLabel, QStringLiteral("Rewrite index"));
        QCOMPARE(p.fixSafety(), RepairSafety::Safe);
        QVERIFY(p.manualFix.isEmpty());

        // Stable: the same scan gives the same problems, and so does its JSON.
        QCOMPARE(problemsOf(s), problems);
        const QJsonObject json = p.toJson();
        QCOMPARE(json.value(QStringLiteral("impact")).toString(), QStringLiteral("loses-data"));
        QCOMPARE(json.value(QStringLiteral("fixSafety")).toString(), QStringLiteral("safe"));
        QCOMPARE(json.value(QStringLiteral("repairs")).toArray().size(), 2);
        QCOMPARE(json.value(QStringLiteral("findingIds")).toArray().size(), 22);
        QCOMPARE(json.value(QStringLiteral("family")).toString(), QStringLiteral("trajectories"));
    }

    // A corrupt index: the next save keeps only its own entry.
    void trajectoriesCorruptIndex()
    {
        Snapshot s = snapshotOf(Family::Trajectories, QStringLiteral("/ws/.trajectories"));
        for (int i = 1; i <= 20; ++i)
            s.jobs.append(job(s, QStringLiteral("traj_%1").arg(i)));
        s.addFinding(QStringLiteral("index-malformed"), Severity::Error, s.stateDir + QLatin1String("/index.json"),
            QStringLiteral("index.json is not valid JSON: trail falls back to an empty index"),
            QStringLiteral("unexpected end"), { RepairKind::ReplaceCorruptIndex });
        const QList<Problem> problems = problemsOf(s);
        QVERIFY(wellFormed({ s }, problems));
        QCOMPARE(titles(problems),
            QStringList { QStringLiteral(
                "index.json is corrupt: trail lists none of 20 trajectories and its next save keeps only its own") });
        QCOMPARE(problems.first().impact, Impact::LosesData);
        QCOMPARE(problems.first().fixLabel, QStringLiteral("Rewrite index"));
    }

    // A stale lock and the tmp files its dead holder left are one problem; other litter is another.
    void staleLockTakesItsHoldersTmpFiles()
    {
        Snapshot s = snapshotOf(Family::Codegraph, QStringLiteral("/ws/.codegraph"));
        LockHolder lock;
        lock.id = QStringLiteral("lock:/ws/.codegraph/changes.journal.lock");
        lock.verdict.path = QStringLiteral("/ws/.codegraph/changes.journal.lock");
        lock.verdict.state = LockState::Stale;
        lock.verdict.content.pid = 4242;
        lock.verdict.liveness = Liveness::Dead;
        s.locks.append(lock);
        s.tempFiles
            = { tempFile(QStringLiteral("/ws/.codegraph/changes.journal.lock.4242-0123456789abcdef.tmp"), 4242, 20),
                  tempFile(QStringLiteral("/ws/.codegraph/x.lock.4242-0123456789abcdef.tmp"), 4242, 10),
                  tempFile(QStringLiteral("/ws/.codegraph/changes.journal.tmp"), -1, 5) };
        s.addFinding(QStringLiteral("stale-lock"), Severity::Warning, FindingTarget::item(lock.verdict.path, lock.id),
            QStringLiteral("stale pid-nonce lock"), QStringLiteral("holder PID 4242 is dead"),
            { RepairKind::ClearStaleLock });
        for (const TempFile& t : std::as_const(s.tempFiles))
            s.addFinding(QStringLiteral("orphan-tmp"), Severity::Warning, FindingTarget::item(t.path, t.id),
                QStringLiteral("orphaned tmp file"), QStringLiteral("its writer is gone"), { RepairKind::SweepTmp });

        const QList<Problem> problems = problemsOf(s);
        QVERIFY(wellFormed({ s }, problems));
        QCOMPARE(titles(problems),
            QStringList({ QStringLiteral("changes.journal.lock is stale: holder PID 4242 died, leaving 2 tmp files (30 "
                                         "bytes)"),
                QStringLiteral("1 leftover tmp file (5 bytes) that no writer will rename into place") }));
        QCOMPARE(problems[0].impact, Impact::Blocks);
        QCOMPARE(problems[0].repairs, QList<RepairKind>({ RepairKind::ClearStaleLock, RepairKind::SweepTmp }));
        QCOMPARE(problems[0].fixLabel, QStringLiteral("Clear stale lock"));
        QCOMPARE(problems[0].itemIds.size(), 3);
        QVERIFY(problems[0].explanation.contains(QLatin1String("holder PID 4242 is dead")));
        QCOMPARE(problems[1].impact, Impact::Litter);
        QCOMPARE(problems[1].fixLabel, QStringLiteral("Sweep tmp files"));
        QCOMPARE(problems[1].id, QStringLiteral("codegraph:/ws/.codegraph:orphan-tmp"));
    }

    // Codex: a dead 'running' job loses its work, an orphan broker wastes memory (its fix signals a
    // process), unused session dirs are litter; ranked in that order.
    void codexProblemsRankedByHarm()
    {
        Snapshot s = snapshotOf(Family::Codex, QStringLiteral("/state/ws-0123456789abcdef"));
        const QString broker = s.stateDir + QLatin1String("/broker.json");
        s.addFinding(QStringLiteral("session-dir-orphan"), Severity::Warning, QStringLiteral("/tmp/cxc-aaaaaa"),
            QStringLiteral("codex broker session directory with no live broker"), QStringLiteral("holds 2 files"),
            { RepairKind::RemoveSessionDir });
        s.addFinding(QStringLiteral("session-dir-orphan"), Severity::Warning, QStringLiteral("/tmp/cxc-bbbbbb"),
            QStringLiteral("codex broker session directory with no live broker"), QStringLiteral("holds 0 files"),
            { RepairKind::RemoveSessionDir });
        s.addFinding(QStringLiteral("broker-orphan"), Severity::Warning,
            FindingTarget::process(broker, 777, QStringLiteral("codex-orphan:x:777")),
            QStringLiteral("codex broker PID 777 serves this workspace but broker.json does not name it"),
            QStringLiteral("argv node app-server-broker.mjs"), { RepairKind::TerminateOrphan });
        Job j = job(s, QStringLiteral("task-abc-123456"));
        s.jobs.append(j);
        s.addFinding(QStringLiteral("job-dead-running"), Severity::Warning,
            FindingTarget::entry(s.stateDir + QLatin1String("/state.json"), j.jobId, j.id),
            QStringLiteral("job task-abc-123456 is 'running' but its process is gone"), QStringLiteral("PID 9 is dead"),
            { RepairKind::MarkFailed });

        const QList<Problem> problems = problemsOf(s);
        QVERIFY(wellFormed({ s }, problems));
        QCOMPARE(titles(problems),
            QStringList({ QStringLiteral("1 codex job still says 'running' but its process is gone"),
                QStringLiteral("orphan codex broker PID 777 runs for nobody"),
                QStringLiteral("2 codex session directories that no live broker uses") }));
        QCOMPARE(problems[0].impact, Impact::LosesData);
        QCOMPARE(problems[0].fixLabel, QStringLiteral("Mark failed"));
        QCOMPARE(problems[1].impact, Impact::WastesMemory);
        QCOMPARE(problems[1].fixSafety(), RepairSafety::SignalsProcess);
        QCOMPARE(problems[1].fixLabel, QStringLiteral("Stop orphan broker"));
        QCOMPARE(problems[1].toJson().value(QStringLiteral("fixSafety")).toString(), QStringLiteral("signals-process"));
        QCOMPARE(problems[1].itemIds, QStringList { QStringLiteral("codex-orphan:x:777") });
        QCOMPARE(problems[2].impact, Impact::Litter);
        QCOMPARE(problems[2].fixLabel, QStringLiteral("Remove unused session dirs"));
        QCOMPARE(problems[2].findingIds.size(), 2);
    }

    // A code no adapter words (a profile's own): one problem per code, ranked by severity, with
    // the way to look it up when nothing fixes it.
    void unknownCodesGetTheCommonWording()
    {
        Snapshot s = snapshotOf(Family::Gstack, QStringLiteral("/ws/.gstack"));
        s.addFinding(QStringLiteral("weird-thing"), Severity::Error, QStringLiteral("/ws/.gstack/a"),
            QStringLiteral("a weird thing"), QStringLiteral("seen in a"));
        s.addFinding(QStringLiteral("weird-thing"), Severity::Warning, QStringLiteral("/ws/.gstack/b"),
            QStringLiteral("another weird thing"), QStringLiteral("seen in b"));
        s.addFinding(QStringLiteral("daemon-orphan"), Severity::Warning,
            FindingTarget::process(
                s.stateDir + QLatin1String("/browse.json"), 31337, QStringLiteral("gstack-orphan:1")),
            QStringLiteral("gstack daemon PID 31337 runs for this workspace"), QStringLiteral("BROWSE_STATE_FILE"),
            { RepairKind::TerminateOrphan });
        const QList<Problem> problems = problemsOf(s);
        QVERIFY(wellFormed({ s }, problems));
        QCOMPARE(titles(problems),
            QStringList({ QStringLiteral("a weird thing (and 1 more like it)"),
                QStringLiteral("orphan gstack daemon PID 31337 runs for nobody") }));
        QCOMPARE(problems[0].impact, Impact::Blocks);
        QVERIFY(!problems[0].fixable());
        QVERIFY(problems[0].manualFix.contains(QLatin1String("weird-thing")));
        QVERIFY(problems[0].explanation.contains(QLatin1String("seen in b")));
        QCOMPARE(problems[1].fixLabel, QStringLiteral("Stop orphan daemon"));
    }

    // Several snapshots: concatenated and sorted worst first across them.
    void severalSnapshotsSortWorstFirst()
    {
        Snapshot litter = snapshotOf(Family::Codex, QStringLiteral("/state/a"));
        litter.addFinding(QStringLiteral("session-dir-orphan"), Severity::Warning, QStringLiteral("/tmp/cxc-aaaaaa"),
            QStringLiteral("unused"), QStringLiteral("…"), { RepairKind::RemoveSessionDir });
        Snapshot journal = snapshotOf(Family::Codegraph, QStringLiteral("/ws/.codegraph"));
        journal.addFinding(QStringLiteral("journal-placeholder-header"), Severity::Warning,
            QStringLiteral("/ws/.codegraph/changes.journal"), QStringLiteral("no timestamp"), QStringLiteral("…"));
        const QList<Snapshot> all { litter, journal };
        const QList<Problem> problems = problemsOf(all);
        QVERIFY(wellFormed(all, problems));
        QCOMPARE(problems.size(), 2);
        QCOMPARE(problems[0].family, Family::Codegraph);
        QCOMPARE(problems[0].impact, Impact::Blocks);
        QVERIFY(!problems[0].fixable());
        QVERIFY2(problems[0].manualFix.contains(QLatin1String("codegraph build")), qPrintable(problems[0].manualFix));
        QCOMPARE(problems[1].family, Family::Codex);
        QVERIFY(problemsOf(QList<Snapshot> {}).isEmpty());
    }

    // A real scan of crafted codegraph state: a dead holder's lock with its tmp file, a tmp file
    // nobody writes any more, a journal no build has stamped.
    void realCodegraphScan()
    {
        QTemporaryDir ws;
        const QString dir = ws.filePath(QStringLiteral(".codegraph"));
        QVERIFY(QDir().mkpath(dir));
        ChildProcess gone;
        QVERIFY(gone.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") })
            && !gone.waitForLine("ready").isEmpty());
        const QByteArray deadPid = QByteArray::number(gone.pid());
        gone.closeStdin();
        QVERIFY(gone.reap() >= 0);
        writeFile(dir + QLatin1String("/changes.journal.lock"), deadPid + '\n' + deadPid + "-0123456789abcdef\n");
        writeFile(dir + QLatin1String("/changes.journal.lock.") + QString::fromLatin1(deadPid)
                + QLatin1String("-0123456789abcdef.tmp"),
            "x");
        writeFile(dir + QLatin1String("/changes.journal.tmp"), "fresh");
        backdate(dir + QLatin1String("/changes.journal.tmp"), 120);
        writeFile(dir + QLatin1String("/changes.journal"), "# codegraph-journal v1 0\nsrc/a.js\n");

        CodegraphSource source;
        ScanContext context;
        const Snapshot s = source.scan(ws.path(), dir, context);
        QCOMPARE(findingCodes(s),
            QStringList({ QStringLiteral("journal-placeholder-header"), QStringLiteral("orphan-tmp"),
                QStringLiteral("orphan-tmp"), QStringLiteral("stale-lock") }));
        const QList<Problem> problems = problemsOf(s);
        QVERIFY(wellFormed({ s }, problems));
        QCOMPARE(titles(problems),
            QStringList({ QStringLiteral("changes.journal has no build timestamp: codegraph ignores its changes"),
                QStringLiteral("changes.journal.lock is stale: holder PID %1 died, leaving 1 tmp file (1 byte)")
                    .arg(QString::fromLatin1(deadPid)),
                QStringLiteral("1 leftover tmp file (5 bytes) that no writer will rename into place") }));
        QCOMPARE(problems[0].manualFix,
            QStringLiteral("Run codegraph build in %1 (one full scan), or delete %2/changes.journal while codegraph is "
                           "not running.")
                .arg(ws.path(), dir));
        QCOMPARE(problems[1].repairs, QList<RepairKind>({ RepairKind::ClearStaleLock, RepairKind::SweepTmp }));
    }

    // The demo workspace (`stateward --demo`): its problems, worst first, as the overview lists them.
    void demoProblems()
    {
        LiveDemo live;
        QVERIFY2(live.start(), qPrintable(live.error));
        const DemoWorkspace& demo = live.demo;
        // The orphan broker is one only past its start-up grace.
        QTRY_VERIFY_WITH_TIMEOUT(
            inspectProcess(demo.orphanBrokerPid()).startTime.secsTo(QDateTime::currentDateTimeUtc())
                > CodexSource::kBrokerGraceSecs,
            60000);
        ScanContext context;
        const QList<Snapshot> snapshots = scanWorkspace(demo.path(), context);
        const QList<Problem> problems = problemsOf(snapshots);
        QVERIFY(wellFormed(snapshots, problems));
        QStringList lines;
        for (const Problem& p : problems)
            lines.append(QStringLiteral("%1 | %2 | %3 | %4")
                             .arg(nameOf(p.impact), nameOf(p.family), p.title, p.fixable() ? p.fixLabel : p.manualFix));
        int findings = 0;
        for (const Snapshot& s : snapshots)
            findings += int(s.findings.size());
        qInfo("demo: %d findings in %d problems, worst first:\n%s", findings, int(problems.size()),
            qPrintable(lines.join(QLatin1Char('\n'))));
        QVERIFY(!problems.isEmpty());
        QVERIFY2(problems.size() < findings, "grouping made fewer problems than findings");
        // One problem per orphan broker, named by its PID, fixed by a signal.
        const auto orphan = std::find_if(problems.begin(), problems.end(),
            [&](const Problem& p) { return p.title.contains(QString::number(demo.orphanBrokerPid())); });
        QVERIFY(orphan != problems.end());
        QCOMPARE(orphan->impact, Impact::WastesMemory);
        QCOMPARE(orphan->fixSafety(), RepairSafety::SignalsProcess);
    }
};

QTEST_GUILESS_MAIN(TestProblems)
#include "tst_problems.moc"
