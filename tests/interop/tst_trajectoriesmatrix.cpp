// SPDX-License-Identifier: GPL-3.0-or-later
// Every published agent-trajectories from 0.3.1 to 0.6.1, for real (tests/interop/trajectories,
// pinned by npm alias): saves through that version's own FileStorage, racing where it has an index
// to race on; `stateward-cli scan` reports exactly the losses that are on disk and nothing else,
// and recognises the era from the files; `repair` and `export-index` leave state that the same
// version's `trail list` reads in full, or are refused with the layout named. Also: what the scan
// cannot see (a symlinked active/) is never called dangling (docs/formats/trajectories.md).
#include "clirun.h"
#include "testfiles.h"
#include "trajectorytools.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>

using namespace TestFiles;

namespace {

// One state dir's snapshot from `stateward-cli scan WS --json`.
struct Scanned
{
    QString layout;
    QString tool;
    QStringList codes; // sorted
    QStringList subjects; // sorted
    QStringList jobs; // sorted ids
    QString text;
};

Scanned scanCli(const QString& ws, const QString& stateDir)
{
    const CliRun run = runCli({ QStringLiteral("scan"), ws, QStringLiteral("--json") });
    Scanned s;
    s.text = QString::fromUtf8(run.out + run.err);
    for (const QJsonValue& v : QJsonDocument::fromJson(run.out).object().value(QStringLiteral("snapshots")).toArray()) {
        const QJsonObject o = v.toObject();
        if (o.value(QStringLiteral("stateDir")).toString() != stateDir)
            continue;
        const QJsonObject r = o.value(QStringLiteral("recognised")).toObject();
        s.tool = r.value(QStringLiteral("tool")).toString();
        s.layout = r.value(QStringLiteral("layout")).toString();
        for (const QJsonValue& f : o.value(QStringLiteral("findings")).toArray()) {
            s.codes.append(f.toObject().value(QStringLiteral("code")).toString());
            s.subjects.append(f.toObject().value(QStringLiteral("subject")).toString());
        }
        for (const QJsonValue& j : o.value(QStringLiteral("jobs")).toArray())
            s.jobs.append(j.toObject().value(QStringLiteral("jobId")).toString());
    }
    s.codes.sort();
    s.subjects.sort();
    s.jobs.sort();
    return s;
}

// Every record file under dir by id, with its status, as the test reads them itself.
QMap<QString, QPair<QString, QString>> recordsOnDisk(const QString& dir)
{
    QMap<QString, QPair<QString, QString>> out; // id -> (path, status)
    QDirIterator it(dir, { QStringLiteral("*.json") }, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (path.endsWith(QLatin1String("/index.json")))
            continue;
        const QJsonObject o = QJsonDocument::fromJson(readAll(path)).object();
        out.insert(o.value(QStringLiteral("id")).toString(), { path, o.value(QStringLiteral("status")).toString() });
    }
    return out;
}

bool copyTree(const QString& from, const QString& to)
{
    return QProcess::execute(QStringLiteral("cp"), { QStringLiteral("-a"), from + QLatin1String("/."), to }) == 0;
}

QStringList sortedList(QStringList l)
{
    l.sort();
    return l;
}

} // namespace

class TestTrajectoriesMatrix : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY2(TrajectoryTools::missing().isEmpty(), qPrintable(TrajectoryTools::missing())); }

    void everyVersion_data()
    {
        QTest::addColumn<QString>("version"); // the alias key of tests/interop/trajectories/lib.mjs
        QTest::addColumn<QString>("dir"); // the version's default state dir, relative to the workspace
        QTest::addColumn<QString>("layout"); // what the scan must recognise
        const QString legacy = QStringLiteral(".trajectories");
        const QString indexEra = QStringLiteral("index era (≤0.5.6)");
        for (const char* v : { "031", "041", "052", "054", "056" })
            QTest::newRow(v) << QString::fromLatin1(v) << legacy << indexEra;
        QTest::newRow("059") << QStringLiteral("059") << legacy << QStringLiteral("0.5.9-style, index-free");
        QTest::newRow("061") << QStringLiteral("061") << QStringLiteral(".agentworkforce/trajectories")
                             << QStringLiteral("0.6.1-style, index-free");
    }

    void everyVersion()
    {
        QFETCH(QString, version);
        QFETCH(QString, dir);
        QFETCH(QString, layout);
        QTemporaryDir ws, copy, out;
        const QString stateDir = ws.path() + QLatin1Char('/') + dir;
        const bool indexEra = !layout.contains(QLatin1String("index-free"));

        // One worker saving five (two settled), six more each saving one, all started at one moment.
        const qint64 startAt = QDateTime::currentMSecsSinceEpoch() + 1500;
        std::vector<std::unique_ptr<QProcess>> savers;
        QStringList saved;
        const auto start = [&](const QString& prefix, int count) {
            auto p = std::make_unique<QProcess>();
            p->start(NodeTools::node(),
                { TrajectoryTools::driver("save.mjs"), version, ws.path(), prefix, QString::number(count),
                    QString::number(startAt) });
            savers.push_back(std::move(p));
            for (int n = 1; n <= count; ++n)
                saved.append(QStringLiteral("traj_%1%2").arg(prefix).arg(n, 3, 10, QLatin1Char('0')));
        };
        start(QStringLiteral("w"), 5);
        for (int i = 1; i <= 6; ++i)
            start(QStringLiteral("r%1").arg(i), 1);
        for (const auto& p : savers) {
            QVERIFY2(p->waitForFinished(120000), "a save did not finish");
            QVERIFY2(p->exitCode() == 0 && p->readAllStandardOutput().contains("done "), p->readAllStandardError());
        }
        saved.sort();
        const QMap<QString, QPair<QString, QString>> files = recordsOnDisk(stateDir);
        QCOMPARE(files.keys(), saved); // every save reached the disk; what may be lost is the index

        // The losses as the test reads them from index.json itself.
        QStringList expected;
        const QString indexPath = stateDir + QLatin1String("/index.json");
        if (indexEra) {
            const QByteArray bytes = readAll(indexPath);
            const QJsonDocument doc = QJsonDocument::fromJson(bytes);
            if (bytes.isEmpty()) {
                expected = { QStringLiteral("index-empty") };
            } else if (!doc.isObject() || !doc.object().value(QStringLiteral("trajectories")).isObject()) {
                expected = { QStringLiteral("index-malformed") };
            } else {
                const QJsonObject entries = doc.object().value(QStringLiteral("trajectories")).toObject();
                for (auto it = files.cbegin(); it != files.cend(); ++it) {
                    const QJsonObject e = entries.value(it.key()).toObject();
                    if (!entries.contains(it.key()))
                        expected.append(QStringLiteral("index-missing-record"));
                    else if (e.value(QStringLiteral("status")).toString() != it->second
                        || e.value(QStringLiteral("path")).toString() != it->first)
                        expected.append(QStringLiteral("index-stale"));
                }
                QCOMPARE(
                    entries.size(), qsizetype(saved.size() - expected.count(QStringLiteral("index-missing-record"))));
            }
            expected.sort();
            qInfo("%s: %d of %d index entries lost or stale (%s)", qPrintable(version), int(expected.size()),
                int(saved.size()), qPrintable(expected.join(u' ')));
        } else {
            QVERIFY(!QFileInfo::exists(indexPath));
        }
        const Scanned before = scanCli(ws.path(), stateDir);
        QCOMPARE(before.tool, QStringLiteral("agent-trajectories"));
        QCOMPARE(before.layout, layout);
        QVERIFY2(before.codes == expected, qPrintable(before.text));
        QCOMPARE(before.jobs, saved);
        QVERIFY(copyTree(ws.path(), copy.path()));

        // repair: afterwards the version's own list shows every trajectory and nothing is left to do.
        const CliRun repaired = runCli({ QStringLiteral("repair"), ws.path(), QStringLiteral("--yes") });
        QVERIFY2(repaired.exitCode == 0, repaired.out + repaired.err);
        if (!indexEra)
            QVERIFY2(!QFileInfo::exists(indexPath), "no index is written into an index-free directory");
        const Scanned after = scanCli(ws.path(), stateDir);
        QVERIFY2(after.codes.isEmpty(), qPrintable(after.text));
        QString error;
        QCOMPARE(sortedList(TrajectoryTools::trailList(ws.path(), version, &error)), saved);
        QVERIFY2(error.isEmpty(), qPrintable(error));

        // export-index on the copy as it was: used as the CLI advises, the list is whole again; an
        // index-free directory is refused, naming its layout.
        const QString exported = out.path() + QLatin1String("/index.json");
        const CliRun run = runCli({ QStringLiteral("export-index"), copy.path(), QStringLiteral("--family"),
            QStringLiteral("trajectories"), QStringLiteral("-o"), exported });
        if (!indexEra) {
            QVERIFY2(run.exitCode == 2, run.out + run.err);
            QVERIFY2(run.err.contains(layout.toUtf8()) && run.err.contains("keeps no index.json"), run.err);
            QVERIFY(!QFileInfo::exists(exported));
            return;
        }
        QVERIFY2(run.exitCode == 0, run.out + run.err);
        const QString copyIndex = copy.path() + QLatin1Char('/') + dir + QLatin1String("/index.json");
        QFile::remove(copyIndex);
        QVERIFY(QFile::copy(exported, copyIndex));
        QCOMPARE(sortedList(TrajectoryTools::trailList(copy.path(), version, &error)), saved);
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    // issue 17 D4: with active/ a symlink to a folder elsewhere, trail 0.4.1 lists what its index
    // names; the scan does not follow the link, so it cannot tell whether those files exist: no
    // entry is called dangling, nothing is dropped, and trail still lists both after a repair.
    void symlinkedActiveIsNeverDangling()
    {
        QTemporaryDir ws, elsewhere;
        QProcess p;
        p.start(NodeTools::node(),
            { TrajectoryTools::driver("save.mjs"), QStringLiteral("041"), ws.path(), QStringLiteral("s"),
                QStringLiteral("2") });
        QVERIFY(p.waitForFinished(60000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError());
        const QString dir = ws.path() + QLatin1String("/.trajectories");
        const QString away = elsewhere.path() + QLatin1String("/active");
        QVERIFY(QDir().rename(dir + QLatin1String("/active"), away));
        QVERIFY(QFile::link(away, dir + QLatin1String("/active")));
        const QStringList ids { QStringLiteral("traj_s001"), QStringLiteral("traj_s002") };
        QString error;
        QCOMPARE(sortedList(TrajectoryTools::trailList(ws.path(), QStringLiteral("041"), &error)), ids);
        const QByteArray index = readAll(dir + QLatin1String("/index.json"));

        const Scanned s = scanCli(ws.path(), dir);
        QCOMPARE(s.codes,
            QStringList({ QStringLiteral("index-entry-unchecked"), QStringLiteral("index-entry-unchecked"),
                QStringLiteral("record-symlink") }));
        QVERIFY2(!s.text.contains(QLatin1String("dangling")) && s.text.contains(dir + QLatin1String("/active")),
            qPrintable(s.text));
        const CliRun repaired = runCli({ QStringLiteral("repair"), ws.path(), QStringLiteral("--yes") });
        QVERIFY2(repaired.exitCode == 0, repaired.out + repaired.err);
        QVERIFY2(!repaired.out.contains("dangling"), repaired.out);
        QCOMPARE(readAll(dir + QLatin1String("/index.json")), index);
        QCOMPARE(sortedList(TrajectoryTools::trailList(ws.path(), QStringLiteral("041"), &error)), ids);
        QVERIFY2(error.isEmpty(), qPrintable(error));

        // export-index keeps both entries, saying why.
        QTemporaryDir out;
        const CliRun run = runCli(
            { QStringLiteral("export-index"), ws.path(), QStringLiteral("--family"), QStringLiteral("trajectories"),
                QStringLiteral("-o"), out.path() + QLatin1String("/index.json"), QStringLiteral("--json") });
        QVERIFY2(run.exitCode == 0, run.out + run.err);
        const QJsonObject r = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(r.value(QStringLiteral("entries")).toInt(), 2);
        QCOMPARE(r.value(QStringLiteral("dropped")).toArray().size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestTrajectoriesMatrix)
#include "tst_trajectoriesmatrix.moc"
