// SPDX-License-Identifier: GPL-3.0-or-later
// The trajectories adapter against state written by the real agent-trajectories (0.4.1's
// unlocked index writes racing, 0.6.1's CLI) and against hand-written layouts in the exact
// formats of docs/formats/trajectories.md; the real `trail list` checks what each finding claims trail does.
#include "sources/trajectoriessource.h"
#include "testfiles.h"
#include "trajectorytools.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <memory>
#include <sys/stat.h>
#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;

namespace Stateward {
inline char* toString(Severity value)
{
    return qstrdup(qPrintable(nameOf(value)));
}
} // namespace Stateward

namespace {

// One trajectory as the fixtures write it.
struct Traj
{
    QString id;
    QString status = QStringLiteral("active");
    QDateTime startedAt;
    QDateTime completedAt; // invalid while active
    QString title;
};

const QDateTime kT0(QDate(2026, 5, 10), QTime(18, 45, 2, 118), Qt::UTC);

QString iso(const QDateTime& t)
{
    return t.toString(Qt::ISODateWithMs);
}

Traj traj(const QString& id, const QString& status, int startMinutes = 0, int doneMinutes = 30)
{
    Traj t { id, status, kT0.addSecs(startMinutes * 60), {}, QStringLiteral("Task ") + id };
    if (status != QLatin1String("active"))
        t.completedAt = kT0.addSecs(doneMinutes * 60);
    return t;
}

// JSON.stringify(trajectory, null, 2) as 0.4.1's FileStorage writes it: keys in createTrajectory's
// order, then completedAt and retrospective last (object spread in complete()).
QByteArray legacyRecord(const Traj& t)
{
    QString s
        = QStringLiteral("{\n  \"id\": \"%1\",\n  \"version\": 1,\n  \"task\": {\n    \"title\": \"%2\"\n  },\n"
                         "  \"status\": \"%3\",\n  \"startedAt\": \"%4\",\n  \"agents\": [],\n  \"chapters\": [],\n"
                         "  \"commits\": [],\n  \"filesChanged\": [],\n  \"projectId\": \"/work/ws\",\n  \"tags\": []")
              .arg(t.id, t.title, t.status, iso(t.startedAt));
    if (t.completedAt.isValid())
        s += QStringLiteral(",\n  \"completedAt\": \"%1\"").arg(iso(t.completedAt));
    if (t.status == QLatin1String("completed"))
        s += QStringLiteral(",\n  \"retrospective\": {\n    \"summary\": \"Done\",\n    \"approach\": \"Test first\",\n"
                            "    \"confidence\": 0.9\n  }");
    return (s + QStringLiteral("\n}")).toUtf8();
}

// trajectory.json as 0.6.1 writes it (README "trajectory.json keys, in order").
QByteArray newRecord(const Traj& t)
{
    QString s = QStringLiteral("{\n  \"id\": \"%1\",\n  \"version\": 1,\n  \"task\": {\n    \"title\": \"%2\"\n  },\n"
                               "  \"status\": \"%3\",\n  \"startedAt\": \"%4\",\n")
                    .arg(t.id, t.title, t.status, iso(t.startedAt));
    if (t.completedAt.isValid())
        s += QStringLiteral("  \"completedAt\": \"%1\",\n").arg(iso(t.completedAt));
    s += QStringLiteral("  \"agents\": [\n    {\n      \"name\": \"alice\",\n      \"role\": \"lead\",\n"
                        "      \"joinedAt\": \"%1\"\n    }\n  ],\n  \"chapters\": [\n    {\n"
                        "      \"id\": \"chap_i1x8lcf115bs\",\n      \"title\": \"Initial work\",\n"
                        "      \"agentName\": \"alice\",\n      \"startedAt\": \"%1\",\n      \"events\": [\n"
                        "        {\n          \"ts\": %2,\n          \"type\": \"decision\",\n"
                        "          \"content\": \"Split reader and writer\",\n          \"raw\": {\n"
                        "            \"question\": \"Split reader and writer\",\n"
                        "            \"chosen\": \"Split reader and writer\",\n            \"alternatives\": [],\n"
                        "            \"reasoning\": \"Readers must not take the write path\"\n          },\n"
                        "          \"significance\": \"high\"\n        }\n      ]\n    }\n  ],\n")
             .arg(iso(t.startedAt))
             .arg(t.startedAt.toMSecsSinceEpoch() + 500);
    if (t.status == QLatin1String("completed"))
        s += QStringLiteral("  \"retrospective\": {\n    \"summary\": \"Done\",\n    \"approach\": \"Test first\",\n"
                            "    \"confidence\": 0.85\n  },\n");
    s += QStringLiteral("  \"commits\": [],\n  \"filesChanged\": [],\n  \"projectId\": \"stateward/fixture\",\n"
                        "  \"tags\": []\n}");
    return s.toUtf8();
}

struct Entry
{
    Traj t;
    QString path; // as written into the index: absolute or relative
    QString compactedInto;
};

// index.json (docs/formats/trajectories.md): entry fields in the order title, status, startedAt, completedAt, path.
QByteArray indexJson(const QList<Entry>& entries)
{
    QStringList items;
    for (const Entry& e : entries) {
        QString item = QStringLiteral("    \"%1\": {\n      \"title\": \"%2\",\n      \"status\": \"%3\",\n"
                                      "      \"startedAt\": \"%4\",\n")
                           .arg(e.t.id, e.t.title, e.t.status, iso(e.t.startedAt));
        if (e.t.completedAt.isValid())
            item += QStringLiteral("      \"completedAt\": \"%1\",\n").arg(iso(e.t.completedAt));
        item += QStringLiteral("      \"path\": \"%1\"").arg(e.path);
        if (!e.compactedInto.isEmpty())
            item += QStringLiteral(",\n      \"compactedInto\": \"%1\"").arg(e.compactedInto);
        items.append(item + QStringLiteral("\n    }"));
    }
    const QString body
        = items.isEmpty() ? QStringLiteral("{}") : QStringLiteral("{\n%1\n  }").arg(items.join(QStringLiteral(",\n")));
    return QStringLiteral("{\n  \"version\": 1,\n  \"lastUpdated\": \"%1\",\n  \"trajectories\": %2\n}")
        .arg(iso(kT0.addDays(1)), body)
        .toUtf8();
}

// Writes path (relative to root) and the directories above it.
void put(const QString& root, const QString& relative, const QByteArray& content)
{
    const QString path = root + QLatin1Char('/') + relative;
    QVERIFY2(QDir().mkpath(QFileInfo(path).path()), qPrintable(path));
    writeFile(path, content);
}

Snapshot scanDir(const QString& ws, const QString& stateDir)
{
    TrajectoriesSource source;
    ScanContext context;
    return source.scan(ws, stateDir, context);
}

QList<Finding> findings(const Snapshot& s, const QString& code)
{
    QList<Finding> out;
    for (const Finding& f : s.findings) {
        if (f.code == code)
            out.append(f);
    }
    return out;
}

QMap<QString, Job> jobsById(const Snapshot& s)
{
    QMap<QString, Job> out;
    for (const Job& j : s.jobs)
        out.insert(j.jobId, j);
    return out;
}

QStringList sorted(QStringList list)
{
    list.sort();
    return list;
}

QString describe(const Snapshot& s)
{
    QStringList lines;
    for (const Finding& f : s.findings)
        lines.append(QStringLiteral("%1 %2: %3").arg(f.code, f.subject, f.evidence));
    return lines.join(u'\n');
}

// What every snapshot must satisfy: each finding names a file in the state dir and says what was
// checked; each job's record is a plain file inside the state dir (nothing read through a link).
bool invariantsHold(const Snapshot& s)
{
    const QString prefix = s.stateDir + QLatin1Char('/');
    bool ok = s.family == Family::Trajectories;
    for (const Finding& f : s.findings) {
        if (f.evidence.isEmpty() || f.summary.isEmpty() || f.id != f.code + QLatin1Char(':') + f.subject
            || !(f.subject == s.stateDir || f.subject.startsWith(prefix))) {
            qWarning().noquote() << "bad finding" << f.code << f.subject << f.summary << f.evidence;
            ok = false;
        }
    }
    for (const Job& j : s.jobs) {
        const QFileInfo record(j.recordFile);
        if (!j.recordFile.startsWith(prefix) || record.isSymLink() || !record.isFile()
            || j.id != QStringLiteral("trajectories:%1:%2").arg(s.stateDir, j.jobId)) {
            qWarning().noquote() << "bad job" << j.id << j.recordFile;
            ok = false;
        }
    }
    return ok;
}

// Sets (or unsets, for a null value) an environment variable until the end of the scope.
class EnvGuard
{
public:
    EnvGuard(const char* name, const QByteArray& value)
        : m_name(name)
        , m_had(qEnvironmentVariableIsSet(name))
        , m_old(qgetenv(name))
    {
        if (value.isNull())
            qunsetenv(name);
        else
            qputenv(name, value);
    }
    ~EnvGuard()
    {
        if (m_had)
            qputenv(m_name, m_old);
        else
            qunsetenv(m_name);
    }
    EnvGuard(const EnvGuard&) = delete;
    EnvGuard& operator=(const EnvGuard&) = delete;

private:
    const char* m_name;
    bool m_had;
    QByteArray m_old;
};

} // namespace

class TestTrajectoriesSource : public QObject
{
    Q_OBJECT

    std::unique_ptr<EnvGuard> m_noDataDir;

    // A legacy <ws>/.trajectories holding valid records and an index that lists exactly them.
    static QString indexEraDir(const QString& ws, const QList<Traj>& records)
    {
        const QString dir = ws + QLatin1String("/.trajectories");
        QList<Entry> entries;
        for (const Traj& t : records) {
            const QString rel = t.status == QLatin1String("active")
                ? QStringLiteral("active/%1.json").arg(t.id)
                : QStringLiteral("completed/2026-05/%1.json").arg(t.id);
            put(dir, rel, legacyRecord(t));
            entries.append({ t, dir + QLatin1Char('/') + rel, {} });
        }
        put(dir, QStringLiteral("index.json"), indexJson(entries));
        return dir;
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(TrajectoryTools::missing().isEmpty(), qPrintable(TrajectoryTools::missing()));
        // An inherited data dir would add a state dir to every stateDirs() answer below.
        m_noDataDir = std::make_unique<EnvGuard>("TRAJECTORIES_DATA_DIR", QByteArray());
    }

    void cleanupTestCase() { m_noDataDir.reset(); }

    // The seed: 20 real 0.4.1 saves at once lose index entries; every lost one is a finding.
    void seedRaceLosesIndexEntries()
    {
        constexpr int n = 20;
        // The README's 27 runs never kept all 20; three in a row would mean the race is gone.
        for (int attempt = 1; attempt <= 3; ++attempt) {
            QTemporaryDir ws;
            QVERIFY(ws.isValid());
            QStringList ids;
            QCOMPARE(TrajectoryTools::runSeedRace(ws.path(), n, &ids), n);
            QCOMPARE(ids.size(), n);
            const QString stateDir = ws.path() + QLatin1String("/.trajectories");
            QCOMPARE(
                QDir(stateDir + QLatin1String("/active")).entryList({ QStringLiteral("*.json") }, QDir::Files).size(),
                n);

            const QByteArray index = readAll(stateDir + QLatin1String("/index.json"));
            QString error, diagnostics;
            const QStringList listed
                = TrajectoryTools::trailList(ws.path(), QStringLiteral("041"), &error, &diagnostics);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            QCOMPARE(readAll(stateDir + QLatin1String("/index.json")), index); // listing wrote nothing
            if (listed.size() == n) {
                qWarning("race %d kept all %d index entries; racing again in a fresh directory", attempt, n);
                continue;
            }
            QVERIFY(listed.size() < n);
            qInfo("race %d: trail list shows %lld of %d saved trajectories", attempt, qint64(listed.size()), n);
            for (const QString& id : listed)
                QVERIFY2(ids.contains(id), qPrintable(id));

            TrajectoriesSource source;
            QCOMPARE(source.stateDirs(ws.path()), QStringList { stateDir });
            ScanContext context;
            const Snapshot s = source.scan(ws.path(), stateDir, context);
            QVERIFY(invariantsHold(s));
            QCOMPARE(s.jobs.size(), n);
            QVERIFY(findings(s, QStringLiteral("index-dangling")).isEmpty());
            QVERIFY(s.tempFiles.isEmpty()); // 0.4.1 writes no tmp files
            const QMap<QString, Job> jobs = jobsById(s);
            QCOMPARE(sorted(jobs.keys()), sorted(ids));
            for (const Job& j : jobs) {
                QCOMPARE(j.status, QStringLiteral("active"));
                QCOMPARE(j.title, QStringLiteral("title %1").arg(j.jobId.mid(9).toInt()));
                QCOMPARE(j.inIndex, listed.contains(j.jobId));
            }

            const QList<Finding> unusable
                = findings(s, QStringLiteral("index-malformed")) + findings(s, QStringLiteral("index-empty"));
            if (!unusable.isEmpty()) {
                // The torn shape (README: once in 27 runs): trail sees an empty index.
                QCOMPARE(s.findings.size(), 1);
                QCOMPARE(unusable.first().subject, stateDir + QLatin1String("/index.json"));
                QVERIFY2(unusable.first().evidence.contains(QStringLiteral("%1 trajectories").arg(n))
                        || unusable.first().evidence.contains(QStringLiteral("%1 trajectory files").arg(n)),
                    qPrintable(unusable.first().evidence));
                QVERIFY(listed.isEmpty());
                QVERIFY2(
                    diagnostics.contains(QLatin1String("Error loading trajectory index")), qPrintable(diagnostics));
            } else {
                QStringList lost;
                for (const QString& id : ids) {
                    if (!listed.contains(id))
                        lost.append(id);
                }
                QStringList reported;
                for (const Finding& f : findings(s, QStringLiteral("index-missing-record"))) {
                    reported.append(QFileInfo(f.subject).completeBaseName());
                    QCOMPARE(f.subject, QStringLiteral("%1/active/%2.json").arg(stateDir, reported.last()));
                    QVERIFY2(
                        f.evidence.contains(QStringLiteral("'title %1' (active)").arg(reported.last().mid(9).toInt())),
                        qPrintable(f.evidence));
                    QCOMPARE(namesOf(f.repairs), QStringList { QStringLiteral("reindex") });
                }
                QCOMPARE(sorted(reported), sorted(lost));
                QCOMPARE(findingCodes(s), QStringList(lost.size(), QStringLiteral("index-missing-record")));
            }
            return;
        }
        QFAIL("three races in a row kept all 20 index entries: 0.4.1's lost update did not happen");
    }

    // The fixture the real 0.6.1 CLI makes: four trajectories, trace and summary files beside them.
    void trail061Layouts_data()
    {
        QTest::addColumn<bool>("git");
        QTest::newRow("git") << true;
        QTest::newRow("no-git") << false;
    }

    void trail061Layouts()
    {
        QFETCH(bool, git);
        QTemporaryDir parent;
        QVERIFY(parent.isValid());
        const QString ws = parent.path() + QLatin1String("/ws");
        QStringList out;
        QVERIFY2(TrajectoryTools::make061(ws, git, &out), qPrintable(out.join(u'\n')));
        const QMap<QString, QString> made = TrajectoryTools::madeTrajectories(out);
        QCOMPARE(made.size(), 4);
        QCOMPARE(sorted(made.values()),
            QStringList({ QStringLiteral("abandoned"), QStringLiteral("active"), QStringLiteral("completed"),
                QStringLiteral("completed") }));
        const QStringList files = TrajectoryTools::madeFiles(out);
        QCOMPARE(files.filter(QStringLiteral(".trace.json")).size(), git ? 2 : 0);
        QCOMPARE(files.filter(QStringLiteral("/summary.md")).size(), 3);

        TrajectoriesSource source;
        const QString stateDir = ws + QLatin1String("/.agentworkforce/trajectories");
        QCOMPARE(source.stateDirs(ws), QStringList { stateDir });
        Snapshot s = scanDir(ws, stateDir);
        QVERIFY(invariantsHold(s));
        QVERIFY2(s.findings.isEmpty(), qPrintable(describe(s)));
        const QMap<QString, Job> jobs = jobsById(s);
        QCOMPARE(jobs.keys(), made.keys());
        const QStringList titles { QStringLiteral("Add config parser"), QStringLiteral("Fix flaky lock test"),
            QStringLiteral("Try a sqlite backend"), QStringLiteral("Refactor storage layer") };
        for (const Job& j : jobs) {
            QCOMPARE(j.status, made.value(j.jobId));
            QVERIFY(j.inIndex); // 0.5.9+: the files are the index
            QVERIFY2(titles.contains(j.title), qPrintable(j.title));
            QVERIFY(j.startedAt.isValid());
            QCOMPARE(j.updatedAt.isValid(), j.status != QLatin1String("active"));
            // Only trajectory.json files are records: no .trace.json, summary.md or sibling file.
            const QString expected = j.status == QLatin1String("active")
                ? QStringLiteral("%1/active/%2/trajectory.json").arg(stateDir, j.jobId)
                : QStringLiteral("%1/completed/%2/%3/trajectory.json")
                      .arg(stateDir, j.updatedAt.toLocalTime().toString(QStringLiteral("yyyy-MM")), j.jobId);
            QCOMPARE(j.recordFile, expected);
        }
        QString error;
        QCOMPARE(sorted(TrajectoryTools::trailList(ws, QStringLiteral("061"), &error)), made.keys());
        QVERIFY2(error.isEmpty(), qPrintable(error));

        // An index.json here is reported, and the real 0.6.1 deletes it as the evidence says.
        const QString indexPath = stateDir + QLatin1String("/index.json");
        writeFile(indexPath, indexJson({}));
        s = scanDir(ws, stateDir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("index-in-new-layout") });
        QCOMPARE(s.findings.first().subject, indexPath);
        QCOMPARE(s.findings.first().severity, Severity::Info);
        QCOMPARE(s.jobs.size(), 4);
        QCOMPARE(sorted(TrajectoryTools::trailList(ws, QStringLiteral("061"), &error)), made.keys());
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(!QFileInfo::exists(indexPath));
        QVERIFY(scanDir(ws, stateDir).findings.isEmpty());

        // A legacy .trajectories/ beside it, saved by the real 0.4.1: 0.6.1 indeed never sees it.
        QStringList raced;
        QCOMPARE(TrajectoryTools::runSeedRace(ws, 1, &raced), 1);
        const QString legacyDir = ws + QLatin1String("/.trajectories");
        QCOMPARE(source.stateDirs(ws), QStringList({ legacyDir, stateDir }));
        const Snapshot legacy = scanDir(ws, legacyDir);
        QVERIFY(invariantsHold(legacy));
        QCOMPARE(findingCodes(legacy), QStringList { QStringLiteral("both-layouts") });
        QCOMPARE(legacy.findings.first().subject, legacyDir);
        QVERIFY2(legacy.findings.first().evidence.contains(QLatin1String("the 1 trajectories here")),
            qPrintable(legacy.findings.first().evidence));
        QCOMPARE(legacy.jobs.size(), 1);
        QCOMPARE(sorted(TrajectoryTools::trailList(ws, QStringLiteral("061"), &error)), made.keys());
        QVERIFY(scanDir(ws, stateDir).findings.isEmpty());
    }

    // Every index-era layout of docs/formats/trajectories.md at once, with the files that are not trajectories.
    void handWrittenIndexEra()
    {
        QTemporaryDir ws;
        const QString dir = ws.path() + QLatin1String("/.trajectories");
        const Traj open = traj(QStringLiteral("traj_g2255mfljqhm"), QStringLiteral("active"));
        const Traj done = traj(QStringLiteral("traj_3lw7bwb05bxi"), QStringLiteral("completed"));
        const Traj dropped = traj(QStringLiteral("traj_9gq96irkj00s"), QStringLiteral("abandoned"));
        const Traj relay = traj(QStringLiteral("traj_1775579377702_4f7f9060"), QStringLiteral("completed"));
        put(dir, QStringLiteral("active/traj_g2255mfljqhm.json"), legacyRecord(open));
        put(dir, QStringLiteral("completed/2026-05/traj_3lw7bwb05bxi.json"), legacyRecord(done));
        put(dir, QStringLiteral("completed/2026-05/traj_3lw7bwb05bxi.md"), "# Task\n");
        put(dir, QStringLiteral("completed/2026-05/traj_3lw7bwb05bxi.trace.json"),
            R"({"version":1,"id":"trace_k2m9x0c4pq1z","timestamp":"2026-05-10T19:15:02.118Z",)"
            R"("trajectory":"traj_3lw7bwb05bxi","files":[{"path":"src/a.txt","conversations":[{"contributor":)"
            R"({"type":"agent","model":"unknown"},"ranges":[{"start_line":1,"end_line":2,"revision":"e12b774"}]}]}]})");
        put(dir, QStringLiteral("completed/2026-05/traj_9gq96irkj00s.json"), legacyRecord(dropped));
        put(dir, QStringLiteral("completed/traj_1775579377702_4f7f9060.json"), legacyRecord(relay)); // relay, flat
        put(dir, QStringLiteral("compacted/compact_j5u7qhaw4q6a_2026-05-10.json"),
            R"({"id":"compact_j5u7qhaw4q6a","trajectories":["traj_1775579377702_4f7f9060"]})");
        put(dir, QStringLiteral("invalid/completed/2026-04/traj_broken55.json"), "{\"id\": \"traj_bro"); // quarantined
        put(dir, QStringLiteral("index.json"),
            indexJson({ { open, dir + QLatin1String("/active/traj_g2255mfljqhm.json"), {} },
                { done, dir + QLatin1String("/completed/2026-05/traj_3lw7bwb05bxi.json"), {} },
                { dropped, dir + QLatin1String("/completed/2026-05/traj_9gq96irkj00s.json"), {} },
                // Relative to the workspace, with a compaction mark, as in relay's committed index.
                { relay, QStringLiteral(".trajectories/completed/traj_1775579377702_4f7f9060.json"),
                    QStringLiteral("compact_j5u7qhaw4q6a") } }));

        TrajectoriesSource source;
        QCOMPARE(source.stateDirs(ws.path()), QStringList { dir });
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QVERIFY2(s.findings.isEmpty(), qPrintable(describe(s)));
        QVERIFY(s.tempFiles.isEmpty());
        const QMap<QString, Job> jobs = jobsById(s);
        QCOMPARE(jobs.size(), 4);
        for (const Traj& t : { open, done, dropped, relay }) {
            const Job j = jobs.value(t.id);
            QCOMPARE(j.status, t.status);
            QCOMPARE(j.title, t.title);
            QCOMPARE(j.startedAt, t.startedAt);
            QCOMPARE(j.updatedAt, t.completedAt);
            QVERIFY(j.inIndex);
            QCOMPARE(j.kind, QStringLiteral("trajectory"));
        }
        QCOMPARE(jobs.value(relay.id).recordFile, dir + QLatin1String("/completed/traj_1775579377702_4f7f9060.json"));

        // The real 0.4.1 reads this index as written.
        const QByteArray index = readAll(dir + QLatin1String("/index.json"));
        QString error;
        QCOMPARE(sorted(TrajectoryTools::trailList(ws.path(), QStringLiteral("041"), &error)), sorted(jobs.keys()));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(readAll(dir + QLatin1String("/index.json")), index);
    }

    // 0.5.9+ directories per id beside the legacy flat files 0.5.9+ still reads (docs/formats/trajectories.md).
    void handWrittenNewLayout()
    {
        QTemporaryDir ws;
        const QString dir = ws.path() + QLatin1String("/.agentworkforce/trajectories");
        const Traj open = traj(QStringLiteral("traj_qcv9agjen8ub"), QStringLiteral("active"));
        const Traj done = traj(QStringLiteral("traj_0g4tafar3avl"), QStringLiteral("completed"), 0, 40);
        const Traj oldOpen = traj(QStringLiteral("traj_oldactive3x"), QStringLiteral("active"), -60);
        const Traj oldMonth = traj(QStringLiteral("traj_oldmonth4xy"), QStringLiteral("abandoned"), -90, -80);
        const Traj relay = traj(QStringLiteral("traj_1775579377702_4f7f9060"), QStringLiteral("completed"), -120, -100);
        put(dir, QStringLiteral("active/traj_qcv9agjen8ub/trajectory.json"), newRecord(open));
        put(dir, QStringLiteral("completed/2026-05/traj_0g4tafar3avl/trajectory.json"), newRecord(done));
        put(dir, QStringLiteral("completed/2026-05/traj_0g4tafar3avl/summary.md"), "# Add config parser\n");
        put(dir, QStringLiteral("completed/2026-05/traj_0g4tafar3avl/compaction.json"),
            R"({"trajectoryId":"traj_0g4tafar3avl","compactedInto":"compact_j5u7qhaw4q6a","compactedAt":"2026-05-11T00:00:00.000Z"})");
        put(dir, QStringLiteral("completed/2026-05/traj_0g4tafar3avl.trace.json"),
            R"({"version":"1.0.0","id":"10906b16-1274-4e86-ba1e-4e1ef2a8bdd6","timestamp":"2026-05-10T19:25:02.118Z",)"
            R"("trajectory":"traj_0g4tafar3avl","files":[{"path":"src/parser.txt","conversations":[{"contributor":)"
            R"({"type":"ai"},"ranges":[{"start_line":1,"end_line":2,"revision":"e12b774f9b8648aa88cedfbbcdd85318a0ac6214"}]}]}]})");
        put(dir, QStringLiteral("active/traj_oldactive3x.json"), legacyRecord(oldOpen));
        put(dir, QStringLiteral("completed/2026-05/traj_oldmonth4xy.json"), legacyRecord(oldMonth));
        put(dir, QStringLiteral("completed/2026-05/traj_oldmonth4xy.md"), "# old\n");
        put(dir, QStringLiteral("completed/2026-05/traj_oldmonth4xy.compaction.json"),
            R"({"trajectoryId":"traj_oldmonth4xy","compactedInto":"compact_j5u7qhaw4q6a","compactedAt":"2026-05-11T00:00:00.000Z"})");
        put(dir, QStringLiteral("completed/traj_1775579377702_4f7f9060.json"), legacyRecord(relay));

        TrajectoriesSource source;
        QCOMPARE(source.stateDirs(ws.path()), QStringList { dir });
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QVERIFY2(s.findings.isEmpty(), qPrintable(describe(s)));
        const QMap<QString, Job> jobs = jobsById(s);
        QCOMPARE(jobs.size(), 5);
        for (const Traj& t : { open, done, oldOpen, oldMonth, relay }) {
            QCOMPARE(jobs.value(t.id).status, t.status);
            QVERIFY(jobs.value(t.id).inIndex);
        }
        QCOMPARE(jobs.value(done.id).recordFile,
            dir + QLatin1String("/completed/2026-05/traj_0g4tafar3avl/trajectory.json"));

        // The real 0.6.1 finds the same five trajectories in these files.
        QString error;
        QCOMPARE(sorted(TrajectoryTools::trailList(ws.path(), QStringLiteral("061"), &error)), jobs.keys());
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    // The era is read from the files, never from the folder's name (issue 14): 0.5.9 keeps its
    // index-free layout in .trajectories/ too; content no trail writes is shown, never judged.
    void recognisedByContent_data()
    {
        QTest::addColumn<QString>("place"); // the state dir, relative to the workspace
        QTest::addColumn<QString>("content"); // "nested", "nested+index", "flat+index", "flat", "foreign"
        QTest::addColumn<QString>("tool");
        QTest::addColumn<QString>("layout");
        QTest::addColumn<QStringList>("codes");
        const QString t = QStringLiteral("agent-trajectories");
        const QString legacy = QStringLiteral(".trajectories");
        QTest::newRow("0.5.9 in .trajectories")
            << legacy << QStringLiteral("nested") << t << QStringLiteral("0.5.9-style, index-free") << QStringList();
        QTest::newRow("0.5.9 with an index written into it")
            << legacy << QStringLiteral("nested+index") << t << QStringLiteral("0.5.9-style, index-free")
            << QStringList { QStringLiteral("index-in-new-layout") };
        QTest::newRow("0.6.1") << QStringLiteral(".agentworkforce/trajectories") << QStringLiteral("nested") << t
                               << QStringLiteral("0.6.1-style, index-free") << QStringList();
        QTest::newRow("index era") << legacy << QStringLiteral("flat+index") << t
                                   << QStringLiteral("index era (≤0.5.6)")
                                   << QStringList(2, QStringLiteral("index-missing-record")); // an empty index
        QTest::newRow("index era, index lost")
            << legacy << QStringLiteral("flat") << t << QStringLiteral("index era (≤0.5.6), index.json missing")
            << QStringList { QStringLiteral("index-missing") };
        QTest::newRow("foreign content") << legacy << QStringLiteral("foreign") << QString() << QString()
                                         << QStringList();
    }

    void recognisedByContent()
    {
        QFETCH(QString, place);
        QFETCH(QString, content);
        QFETCH(QString, tool);
        QFETCH(QString, layout);
        QFETCH(QStringList, codes);
        QTemporaryDir ws;
        const QString dir = ws.path() + QLatin1Char('/') + place;
        const Traj a = traj(QStringLiteral("traj_rec1abcdefg"), QStringLiteral("active"));
        const Traj b = traj(QStringLiteral("traj_rec2abcdefg"), QStringLiteral("completed"));
        if (content.startsWith(QLatin1String("nested"))) {
            put(dir, QStringLiteral("active/traj_rec1abcdefg/trajectory.json"), newRecord(a));
            put(dir, QStringLiteral("completed/2026-05/traj_rec2abcdefg/trajectory.json"), newRecord(b));
        } else if (content.startsWith(QLatin1String("flat"))) {
            put(dir, QStringLiteral("active/traj_rec1abcdefg.json"), legacyRecord(a));
            put(dir, QStringLiteral("completed/2026-05/traj_rec2abcdefg.json"), legacyRecord(b));
        } else {
            put(dir, QStringLiteral("html/traj_rec1abcdefg.json"), legacyRecord(a)); // where trail never looks
            put(dir, QStringLiteral("notes.txt"), "not trail's\n");
        }
        if (content.endsWith(QLatin1String("+index")))
            put(dir, QStringLiteral("index.json"), indexJson({}));
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(s.recognised.tool, tool);
        QCOMPARE(s.recognised.layout, layout);
        QVERIFY(!s.recognised.evidence.isEmpty());
        QVERIFY2(findingCodes(s) == codes, qPrintable(describe(s)));
        QCOMPARE(s.jobs.size(), tool.isEmpty() ? 0 : 2);
        // export-index's rule is the scan's: only the index era keeps an index to recover.
        QCOMPARE(TrajectoriesSource().index()->keptIn(dir), layout.startsWith(QLatin1String("index era")));
    }

    void dataDirFromEnvironment_data()
    {
        QTest::addColumn<QString>("spelling"); // how $TRAJECTORIES_DATA_DIR names the directory
        QTest::addColumn<QString>("layout");
        QTest::addColumn<QStringList>("codes");
        QTest::newRow("absolute, index era") << QStringLiteral("absolute") << QStringLiteral("index") << QStringList();
        QTest::newRow("absolute, 0.5.9+") << QStringLiteral("absolute") << QStringLiteral("new") << QStringList();
        QTest::newRow("absolute, index era without index") << QStringLiteral("absolute") << QStringLiteral("noindex")
                                                           << QStringList { QStringLiteral("index-missing") };
        QTest::newRow("relative to the workspace")
            << QStringLiteral("relative") << QStringLiteral("index") << QStringList();
        QTest::newRow("leading ~") << QStringLiteral("tilde") << QStringLiteral("new") << QStringList();
    }

    void dataDirFromEnvironment()
    {
        QFETCH(QString, spelling);
        QFETCH(QString, layout);
        QFETCH(QStringList, codes);
        QTemporaryDir ws, elsewhere;
        QString dir = elsewhere.path() + QLatin1String("/task-1507");
        QByteArray value = QFile::encodeName(dir);
        std::unique_ptr<EnvGuard> home;
        if (spelling == QLatin1String("relative")) {
            dir = ws.path() + QLatin1String("/state/traj");
            value = "state/traj";
        } else if (spelling == QLatin1String("tilde")) {
            home = std::make_unique<EnvGuard>("HOME", QFile::encodeName(elsewhere.path()));
            value = "~/task-1507";
        }
        const Traj a = traj(QStringLiteral("traj_envone1abc"), QStringLiteral("active"));
        const Traj b = traj(QStringLiteral("traj_envtwo2abc"), QStringLiteral("completed"));
        if (layout == QLatin1String("new")) {
            put(dir, QStringLiteral("active/traj_envone1abc/trajectory.json"), newRecord(a));
            put(dir, QStringLiteral("completed/2026-05/traj_envtwo2abc/trajectory.json"), newRecord(b));
        } else {
            put(dir, QStringLiteral("active/traj_envone1abc.json"), legacyRecord(a));
            put(dir, QStringLiteral("completed/2026-05/traj_envtwo2abc.json"), legacyRecord(b));
            if (layout == QLatin1String("index"))
                put(dir, QStringLiteral("index.json"),
                    indexJson({ { a, dir + QLatin1String("/active/traj_envone1abc.json"), {} },
                        { b, dir + QLatin1String("/completed/2026-05/traj_envtwo2abc.json"), {} } }));
        }
        {
            const EnvGuard dataDir("TRAJECTORIES_DATA_DIR", value);
            TrajectoriesSource source;
            QCOMPARE(source.stateDirs(ws.path()), QStringList { dir });
            const Snapshot s = scanDir(ws.path(), dir);
            QVERIFY(invariantsHold(s));
            QVERIFY2(findingCodes(s) == codes, qPrintable(describe(s)));
            QCOMPARE(s.jobs.size(), 2);
            for (const Job& j : s.jobs)
                QCOMPARE(j.inIndex, codes.isEmpty());
        }
        QVERIFY(!qEnvironmentVariableIsSet("TRAJECTORIES_DATA_DIR")); // restored
        QCOMPARE(TrajectoriesSource().stateDirs(ws.path()), QStringList());
    }

    void indexDangling()
    {
        QTemporaryDir ws;
        const Traj here = traj(QStringLiteral("traj_here1abcdef"), QStringLiteral("active"));
        const Traj gone = traj(QStringLiteral("traj_gone2abcdef"), QStringLiteral("completed"));
        const QString dir = indexEraDir(ws.path(), { here, gone });
        const QString gonePath = dir + QLatin1String("/completed/2026-05/traj_gone2abcdef.json");
        QVERIFY(QFile::remove(gonePath));
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("index-dangling") });
        const Finding& f = s.findings.first();
        QCOMPARE(f.subject, dir + QLatin1String("/index.json#traj_gone2abcdef"));
        QVERIFY2(f.evidence.contains(gonePath), qPrintable(f.evidence));
        QCOMPARE(namesOf(f.repairs), QStringList { QStringLiteral("drop-dangling-entry") });
        QCOMPARE(s.jobs.size(), 1);
        QVERIFY(s.jobs.first().inIndex);
        // trail 0.4.1 lists index entries, so it shows the one whose file is gone.
        QString error;
        QCOMPARE(sorted(TrajectoryTools::trailList(ws.path(), QStringLiteral("041"), &error)),
            QStringList({ gone.id, here.id }));
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    void indexStale_data()
    {
        QTest::addColumn<QString>("entryStatus");
        QTest::addColumn<QString>("entryPath"); // relative to the state dir; made absolute
        QTest::addColumn<bool>("stale");
        const QString real = QStringLiteral("completed/2026-05/traj_stale1abcde.json");
        // reconcile only adds: an entry made while active keeps status and path forever (A.6).
        QTest::newRow("status and path from when it was active")
            << QStringLiteral("active") << QStringLiteral("active/traj_stale1abcde.json") << true;
        QTest::newRow("status only") << QStringLiteral("active") << real << true;
        QTest::newRow("path only") << QStringLiteral("completed")
                                   << QStringLiteral("completed/2026-04/traj_stale1abcde.json") << true;
        QTest::newRow("up to date") << QStringLiteral("completed") << real << false;
        QTest::newRow("up to date, spelled with ..")
            << QStringLiteral("completed") << QStringLiteral("completed/2026-04/../2026-05/traj_stale1abcde.json")
            << false;
    }

    void indexStale()
    {
        QFETCH(QString, entryStatus);
        QFETCH(QString, entryPath);
        QFETCH(bool, stale);
        QTemporaryDir ws;
        const QString dir = ws.path() + QLatin1String("/.trajectories");
        const Traj t = traj(QStringLiteral("traj_stale1abcde"), QStringLiteral("completed"));
        put(dir, QStringLiteral("completed/2026-05/traj_stale1abcde.json"), legacyRecord(t));
        Traj entry = t;
        entry.status = entryStatus;
        put(dir, QStringLiteral("index.json"), indexJson({ { entry, dir + QLatin1Char('/') + entryPath, {} } }));
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(s.jobs.size(), 1);
        QCOMPARE(s.jobs.first().status, QStringLiteral("completed"));
        if (!stale) {
            QVERIFY2(s.findings.isEmpty(), qPrintable(describe(s)));
            return;
        }
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("index-stale") });
        const Finding& f = s.findings.first();
        QCOMPARE(f.subject, dir + QLatin1String("/index.json#traj_stale1abcde"));
        QVERIFY2(f.evidence.contains(QStringLiteral("index says '%1' at %2/%3").arg(entryStatus, dir, entryPath)),
            qPrintable(f.evidence));
        QVERIFY2(f.evidence.contains(QStringLiteral("the file says 'completed' at %1/completed/2026-05/").arg(dir)),
            qPrintable(f.evidence));
        QCOMPARE(namesOf(f.repairs), QStringList { QStringLiteral("fix-index-entry") });
    }

    // The index names the workspace by its real path; the scan is given a symlinked spelling.
    void indexPathsThroughSymlinkedWorkspace()
    {
        QTemporaryDir root;
        const QString real = root.path() + QLatin1String("/real");
        QVERIFY(QDir().mkpath(real));
        QVERIFY(QFile::link(real, root.path() + QLatin1String("/link")));
        indexEraDir(real, { traj(QStringLiteral("traj_linked1abcd"), QStringLiteral("active")) });
        const QString ws = root.path() + QLatin1String("/link");
        const QStringList dirs = TrajectoriesSource().stateDirs(ws);
        QCOMPARE(dirs, QStringList { ws + QLatin1String("/.trajectories") });
        const Snapshot s = scanDir(ws, dirs.first());
        QVERIFY(invariantsHold(s));
        QVERIFY2(s.findings.isEmpty(), qPrintable(describe(s)));
        QCOMPARE(s.jobs.size(), 1);
    }

    void duplicateRecord_data()
    {
        QTest::addColumn<bool>("newLayout");
        QTest::addColumn<QStringList>("files"); // "relative path|status|start minutes|done minutes"
        QTest::addColumn<QString>("winner");
        // A crash between writing the completed copy and unlinking the active one (A.2).
        QTest::newRow("active and completed")
            << false
            << QStringList { QStringLiteral("active/traj_dup1abcdefg.json|active|0|0"),
                   QStringLiteral("completed/2026-05/traj_dup1abcdefg.json|completed|0|60") }
            << QStringLiteral("completed/2026-05/traj_dup1abcdefg.json");
        QTest::newRow("newest completion wins")
            << false
            << QStringList { QStringLiteral("completed/traj_dup1abcdefg.json|completed|0|90"),
                   QStringLiteral("completed/2026-05/traj_dup1abcdefg.json|completed|0|60") }
            << QStringLiteral("completed/traj_dup1abcdefg.json");
        QTest::newRow("same time: the settled copy wins")
            << false
            << QStringList { QStringLiteral("active/traj_dup1abcdefg.json|active|0|0"),
                   QStringLiteral("completed/2026-05/traj_dup1abcdefg.json|abandoned|0|0") }
            << QStringLiteral("completed/2026-05/traj_dup1abcdefg.json");
        QTest::newRow("0.5.9+ directories")
            << true
            << QStringList { QStringLiteral("active/traj_dup1abcdefg/trajectory.json|active|0|0"),
                   QStringLiteral("completed/2026-05/traj_dup1abcdefg/trajectory.json|completed|0|60") }
            << QStringLiteral("completed/2026-05/traj_dup1abcdefg/trajectory.json");
    }

    void duplicateRecord()
    {
        QFETCH(bool, newLayout);
        QFETCH(QStringList, files);
        QFETCH(QString, winner);
        QTemporaryDir ws;
        const QString dir = ws.path()
            + (newLayout ? QLatin1String("/.agentworkforce/trajectories") : QLatin1String("/.trajectories"));
        Traj kept;
        QStringList relatives;
        for (const QString& spec : files) {
            const QStringList p = spec.split(u'|');
            Traj t { QStringLiteral("traj_dup1abcdefg"), p[1], kT0.addSecs(p[2].toInt() * 60), {},
                QStringLiteral("Dup") };
            if (t.status != QLatin1String("active"))
                t.completedAt = kT0.addSecs(p[3].toInt() * 60);
            put(dir, p[0], newLayout ? newRecord(t) : legacyRecord(t));
            relatives.append(p[0]);
            if (p[0] == winner)
                kept = t;
        }
        if (!newLayout) // the index agrees with the winner: the duplicate is the only finding
            put(dir, QStringLiteral("index.json"), indexJson({ { kept, dir + QLatin1Char('/') + winner, {} } }));
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("duplicate-record") });
        const Finding& f = s.findings.first();
        QCOMPARE(f.subject, dir + QLatin1Char('/') + winner);
        for (const QString& relative : relatives)
            QVERIFY2(f.evidence.contains(relative), qPrintable(f.evidence));
        QVERIFY2(f.evidence.endsWith(QStringLiteral("the newest (%1) wins").arg(winner)), qPrintable(f.evidence));
        QCOMPARE(s.jobs.size(), 1);
        QCOMPARE(s.jobs.first().recordFile, dir + QLatin1Char('/') + winner);
        QCOMPARE(s.jobs.first().status, kept.status);
        QVERIFY(s.jobs.first().inIndex);
    }

    void recordInvalid_data()
    {
        QTest::addColumn<QString>("file"); // relative to the state dir
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("problem"); // what the evidence must say
        Traj t = traj(QStringLiteral("traj_bad1abcdefg"), QStringLiteral("active"));
        const QString flat = QStringLiteral("active/traj_bad1abcdefg.json");
        QTest::newRow("does not parse") << flat << legacyRecord(t).left(60) << QStringLiteral("JSON error at byte");
        QTest::newRow("zero bytes") << flat << QByteArray("") << QStringLiteral("zero bytes");
        QTest::newRow("whitespace only") << flat << QByteArray("\n  \n") << QStringLiteral("whitespace");
        QTest::newRow("not an object") << flat << QByteArray("[]") << QStringLiteral("not a JSON object");
        QTest::newRow("wrong id") << flat << legacyRecord(traj(QStringLiteral("traj_other9xyzab"), t.status))
                                  << QStringLiteral("file is named for traj_bad1abcdefg but holds traj_other9xyzab");
        QTest::newRow("wrong id, directory per id")
            << QStringLiteral("completed/2026-05/traj_bad1abcdefg/trajectory.json")
            << newRecord(traj(QStringLiteral("traj_other9xyzab"), QStringLiteral("completed")))
            << QStringLiteral("file is named for traj_bad1abcdefg but holds traj_other9xyzab");
        QTest::newRow("path-like id") << flat << legacyRecord(traj(QStringLiteral("../../x"), t.status))
                                      << QStringLiteral("id '../../x' is not a trajectory id");
        // A trace record really was found in active/ (A.2); upstream's reconcile rejects it too.
        QTest::newRow("stray trace in active/")
            << QStringLiteral("active/trace_imxymv6f8x4b.json")
            << QByteArray(R"({"version":1,"id":"trace_imxymv6f8x4b","timestamp":"2026-05-10T19:15:02.118Z",)"
                          R"("trajectory":"traj_bad1abcdefg","files":[]})")
            << QStringLiteral("id 'trace_imxymv6f8x4b' is not a trajectory id");
        t.status = QStringLiteral("running");
        QTest::newRow("bad status") << flat << legacyRecord(t)
                                    << QStringLiteral("status 'running' is not active, completed or abandoned");
        t.status = QStringLiteral("active");
        QTest::newRow("no startedAt") << flat << legacyRecord(t).replace("\"startedAt\"", "\"beganAt\"")
                                      << QStringLiteral("no valid startedAt");
    }

    void recordInvalid()
    {
        QFETCH(QString, file);
        QFETCH(QByteArray, content);
        QFETCH(QString, problem);
        QTemporaryDir ws;
        const QString dir = indexEraDir(ws.path(), {});
        put(dir, file, content);
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("record-invalid") });
        const Finding& f = s.findings.first();
        QCOMPARE(f.subject, dir + QLatin1Char('/') + file);
        QVERIFY2(f.evidence.contains(problem), qPrintable(f.evidence));
        QCOMPARE(namesOf(f.repairs), QStringList { QStringLiteral("quarantine-invalid") });
        QVERIFY(s.jobs.isEmpty());
    }

    // Over the cap: judged by its size alone (a sparse file, so the test writes nothing).
    void hugeRecordIsNotRead()
    {
        QTemporaryDir ws;
        const QString dir = indexEraDir(ws.path(), {});
        const QString path = dir + QLatin1String("/active/traj_huge1abcdef.json");
        QVERIFY(QDir().mkpath(QFileInfo(path).path()));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QVERIFY(f.resize(TrajectoriesSource::kMaxRecordBytes + 1));
        f.close();
        QElapsedTimer timer;
        timer.start();
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("record-invalid") });
        QCOMPARE(s.findings.first().subject, path);
        QVERIFY2(s.findings.first().evidence.contains(
                     QStringLiteral("%1 bytes").arg(TrajectoriesSource::kMaxRecordBytes + 1)),
            qPrintable(s.findings.first().evidence));
        QVERIFY(s.jobs.isEmpty());
        QVERIFY2(timer.elapsed() < 5000, "a 64 MiB record was read");
    }

    void indexEmpty()
    {
        QTemporaryDir ws;
        const QString dir = indexEraDir(ws.path(),
            { traj(QStringLiteral("traj_one1abcdefgh"), QStringLiteral("active")),
                traj(QStringLiteral("traj_two2abcdefgh"), QStringLiteral("completed")) });
        writeFile(dir + QLatin1String("/index.json"), QByteArray());
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("index-empty") });
        QCOMPARE(s.findings.first().subject, dir + QLatin1String("/index.json"));
        QVERIFY2(s.findings.first().evidence.contains(QLatin1String("2 trajectory files are hidden")),
            qPrintable(s.findings.first().evidence));
        QCOMPARE(s.jobs.size(), 2);
        for (const Job& j : s.jobs)
            QVERIFY(!j.inIndex);
        // What the finding says trail does: an empty index, nothing listed.
        QString error;
        QCOMPARE(TrajectoryTools::trailList(ws.path(), QStringLiteral("041"), &error), QStringList());
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    void indexMalformed_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("problem"); // what the evidence must say
        QTest::addColumn<bool>("trailFails"); // real 0.4.1 `trail list`: exits nonzero, else lists none
        const Traj a = traj(QStringLiteral("traj_one1abcdefgh"), QStringLiteral("active"));
        const Traj b = traj(QStringLiteral("traj_race18abcdef"), QStringLiteral("active"));
        // README's torn index: two unlocked writeFiles overlapped and the shorter finished last,
        // leaving a whole one-entry index followed by the tail of the longer one.
        const QByteArray shorter
            = indexJson({ { a, QStringLiteral("/ws/.trajectories/active/traj_one1abcdefgh.json"), {} } });
        const QByteArray longer
            = indexJson({ { a, QStringLiteral("/ws/.trajectories/active/traj_one1abcdefgh.json"), {} },
                { b, QStringLiteral("/ws/.trajectories/active/traj_race18abcdef.json"), {} } });
        const QByteArray torn = shorter + longer.mid(shorter.size());
        QTest::newRow("torn") << torn
                              << QStringLiteral("JSON error at byte %1 of %2").arg(shorter.size()).arg(torn.size())
                              << false;
        QTest::newRow("not JSON") << QByteArray("not json") << QStringLiteral("JSON error at byte") << false;
        QTest::newRow("whitespace only") << QByteArray(" \n") << QStringLiteral("whitespace") << false;
        QTest::newRow("no trajectories object")
            << QByteArray(R"({"version":1,"lastUpdated":"2026-05-11T00:00:00.000Z"})")
            << QStringLiteral("no \"trajectories\" object: trail list and every save fail") << true;
        QTest::newRow("trajectories is an array") << QByteArray(R"({"version":1,"trajectories":[]})")
                                                  << QStringLiteral("\"trajectories\" is an array") << false;
        QTest::newRow("top level is an array") << QByteArray("[]") << QStringLiteral("not a JSON object") << true;
    }

    void indexMalformed()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, problem);
        QFETCH(bool, trailFails);
        QTemporaryDir ws;
        const QString dir = indexEraDir(ws.path(),
            { traj(QStringLiteral("traj_one1abcdefgh"), QStringLiteral("active")),
                traj(QStringLiteral("traj_two2abcdefgh"), QStringLiteral("completed")) });
        writeFile(dir + QLatin1String("/index.json"), content);
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("index-malformed") });
        const Finding& f = s.findings.first();
        QCOMPARE(f.subject, dir + QLatin1String("/index.json"));
        QCOMPARE(f.severity, Severity::Error);
        QVERIFY2(f.evidence.contains(problem), qPrintable(f.evidence));
        QVERIFY2(f.evidence.contains(QLatin1String("2 trajectories")), qPrintable(f.evidence));
        QCOMPARE(namesOf(f.repairs), QStringList { QStringLiteral("replace-corrupt-index") });
        QCOMPARE(s.jobs.size(), 2);
        for (const Job& j : s.jobs)
            QVERIFY(!j.inIndex);
        // Check the evidence's claim about trail against the real 0.4.1.
        QString error;
        const QStringList listed = TrajectoryTools::trailList(ws.path(), QStringLiteral("041"), &error);
        QVERIFY(listed.isEmpty());
        QVERIFY2(error.isEmpty() != trailFails, qPrintable(error));
        QCOMPARE(readAll(dir + QLatin1String("/index.json")), content);
    }

    void indexUnreadable_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("problem");
        QTest::newRow("over the size cap")
            << QStringLiteral("huge") << QStringLiteral("%1 bytes").arg(TrajectoriesSource::kMaxRecordBytes + 1);
        QTest::newRow("a directory") << QStringLiteral("directory") << QStringLiteral("not a regular file");
        QTest::newRow("a fifo") << QStringLiteral("fifo") << QStringLiteral("not a regular file");
    }

    void indexUnreadable()
    {
        QFETCH(QString, kind);
        QFETCH(QString, problem);
        QTemporaryDir ws;
        const QString dir
            = indexEraDir(ws.path(), { traj(QStringLiteral("traj_one1abcdefgh"), QStringLiteral("active")) });
        const QString index = dir + QLatin1String("/index.json");
        QVERIFY(QFile::remove(index));
        if (kind == QLatin1String("huge")) {
            QFile f(index);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QVERIFY(f.resize(TrajectoriesSource::kMaxRecordBytes + 1));
        } else if (kind == QLatin1String("directory")) {
            QVERIFY(QDir().mkdir(index));
        } else {
            QCOMPARE(::mkfifo(QFile::encodeName(index).constData(), 0600), 0); // opening it must not block
        }
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("index-unreadable") });
        QCOMPARE(s.findings.first().subject, index);
        QVERIFY2(s.findings.first().evidence.contains(problem), qPrintable(s.findings.first().evidence));
        QCOMPARE(s.jobs.size(), 1);
        QVERIFY(!s.jobs.first().inIndex);
    }

    void indexMissing()
    {
        QTemporaryDir ws;
        const QString dir = indexEraDir(ws.path(),
            { traj(QStringLiteral("traj_one1abcdefgh"), QStringLiteral("active")),
                traj(QStringLiteral("traj_two2abcdefgh"), QStringLiteral("completed")) });
        const QString index = dir + QLatin1String("/index.json");
        QVERIFY(QFile::remove(index));
        Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("index-missing") });
        QCOMPARE(s.findings.first().subject, index);
        QVERIFY2(s.findings.first().evidence.contains(QLatin1String("2 valid trajectory files")),
            qPrintable(s.findings.first().evidence));
        QCOMPARE(namesOf(s.findings.first().repairs), QStringList { QStringLiteral("reindex") });
        for (const Job& j : s.jobs)
            QVERIFY(!j.inIndex);

        // The real 0.4.1 lists none, and seeds an empty index: now each file is missing from it.
        QString error;
        QCOMPARE(TrajectoryTools::trailList(ws.path(), QStringLiteral("041"), &error), QStringList());
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(QFileInfo::exists(index));
        s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList(2, QStringLiteral("index-missing-record")));
    }

    void bothLayouts()
    {
        QTemporaryDir ws;
        const QString legacyDir
            = indexEraDir(ws.path(), { traj(QStringLiteral("traj_old1abcdefgh"), QStringLiteral("completed")) });
        const QString newDir = ws.path() + QLatin1String("/.agentworkforce/trajectories");
        put(newDir, QStringLiteral("active/traj_new1abcdefgh/trajectory.json"),
            newRecord(traj(QStringLiteral("traj_new1abcdefgh"), QStringLiteral("active"))));
        QCOMPARE(TrajectoriesSource().stateDirs(ws.path()), QStringList({ legacyDir, newDir }));
        const Snapshot legacy = scanDir(ws.path(), legacyDir);
        QVERIFY(invariantsHold(legacy));
        QCOMPARE(findingCodes(legacy), QStringList { QStringLiteral("both-layouts") });
        QCOMPARE(legacy.findings.first().subject, legacyDir);
        QVERIFY2(legacy.findings.first().evidence.contains(QLatin1String("the 1 trajectories here are invisible")),
            qPrintable(legacy.findings.first().evidence));
        const Snapshot current = scanDir(ws.path(), newDir);
        QVERIFY(invariantsHold(current));
        QVERIFY2(current.findings.isEmpty(), qPrintable(describe(current)));
        QCOMPARE(current.jobs.size(), 1);
    }

    void indexInNewLayout_data()
    {
        QTest::addColumn<bool>("symlink");
        QTest::newRow("file") << false;
        QTest::newRow("symlink") << true;
    }

    void indexInNewLayout()
    {
        QFETCH(bool, symlink);
        QTemporaryDir ws, elsewhere;
        const QString dir = ws.path() + QLatin1String("/.agentworkforce/trajectories");
        const Traj t = traj(QStringLiteral("traj_new1abcdefgh"), QStringLiteral("active"));
        put(dir, QStringLiteral("active/traj_new1abcdefgh/trajectory.json"), newRecord(t));
        const QString index = dir + QLatin1String("/index.json");
        if (symlink) {
            writeFile(elsewhere.path() + QLatin1String("/index.json"), indexJson({}));
            QVERIFY(QFile::link(elsewhere.path() + QLatin1String("/index.json"), index));
        } else {
            writeFile(index, indexJson({}));
        }
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("index-in-new-layout") });
        QCOMPARE(s.findings.first().subject, index);
        QCOMPARE(s.findings.first().severity, Severity::Info);
        QCOMPARE(s.jobs.size(), 1);
        QVERIFY(s.jobs.first().inIndex); // an index here means nothing to 0.5.9+
    }

    void indexSymlinkNotFollowed()
    {
        QTemporaryDir ws, elsewhere;
        const Traj here = traj(QStringLiteral("traj_here1abcdef"), QStringLiteral("active"));
        const QString dir = indexEraDir(ws.path(), { here });
        const QString index = dir + QLatin1String("/index.json");
        // A valid index elsewhere: read, it would mark the job indexed and add a dangling entry.
        const QString target = elsewhere.path() + QLatin1String("/index.json");
        writeFile(target,
            indexJson({ { here, dir + QLatin1String("/active/traj_here1abcdef.json"), {} },
                { traj(QStringLiteral("traj_outside1abc"), QStringLiteral("active")),
                    elsewhere.path() + QLatin1String("/traj_outside1abc.json"), {} } }));
        QVERIFY(QFile::remove(index));
        QVERIFY(QFile::link(target, index));
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("index-symlink") });
        QCOMPARE(s.findings.first().subject, index);
        QCOMPARE(s.findings.first().severity, Severity::Error);
        QVERIFY2(s.findings.first().evidence.contains(target), qPrintable(s.findings.first().evidence));
        QCOMPARE(s.jobs.size(), 1);
        QVERIFY(!s.jobs.first().inIndex);
    }

    void stateDirSymlinkRefused_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("legacy") << QStringLiteral(".trajectories");
        QTest::newRow("0.5.9+") << QStringLiteral(".agentworkforce/trajectories");
    }

    void stateDirSymlinkRefused()
    {
        QFETCH(QString, name);
        QTemporaryDir ws, elsewhere;
        const QString target
            = indexEraDir(elsewhere.path(), { traj(QStringLiteral("traj_far1abcdefgh"), QStringLiteral("active")) });
        const QString link = ws.path() + QLatin1Char('/') + name;
        QVERIFY(QDir().mkpath(QFileInfo(link).path()));
        QVERIFY(QFile::link(target, link));
        QCOMPARE(TrajectoriesSource().stateDirs(ws.path()), QStringList { link }); // listed, to be refused loudly
        const Snapshot s = scanDir(ws.path(), link);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("state-dir-symlink") });
        QCOMPARE(s.findings.first().subject, link);
        QVERIFY2(s.findings.first().evidence.contains(target), qPrintable(s.findings.first().evidence));
        QVERIFY(s.jobs.isEmpty());
        QVERIFY(s.tempFiles.isEmpty());
    }

    // A symlinked .agentworkforce/ leads out of the workspace as surely as a symlinked state dir.
    void stateDirThroughSymlinkedParentRefused()
    {
        QTemporaryDir ws, elsewhere;
        const QString real = elsewhere.path() + QLatin1String("/trajectories");
        QVERIFY(QDir().mkpath(real + QLatin1String("/active/traj_far2abcdefgh")));
        writeFile(real + QLatin1String("/active/traj_far2abcdefgh/trajectory.json"), "{}");
        QVERIFY(QFile::link(elsewhere.path(), ws.path() + QLatin1String("/.agentworkforce")));
        const QString dir = ws.path() + QLatin1String("/.agentworkforce/trajectories");
        QCOMPARE(TrajectoriesSource().stateDirs(ws.path()), QStringList { dir });
        const Snapshot s = scanDir(ws.path(), dir);
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("state-dir-symlink") });
        QVERIFY2(s.findings.first().summary.contains(ws.path() + QLatin1String("/.agentworkforce")),
            qPrintable(s.findings.first().summary));
        QVERIFY(s.jobs.isEmpty());
    }

    // tmpfiles.cpp knows both of 0.5.7's index tmp names; the shared sweep judges them.
    void leftoverIndexTmpFiles()
    {
        QTemporaryDir ws;
        const QString dir
            = indexEraDir(ws.path(), { traj(QStringLiteral("traj_one1abcdefgh"), QStringLiteral("active")) });
        QProcess gone; // a writer that has exited: its PID names no live process
        gone.start(QStringLiteral("true"), {});
        QVERIFY(gone.waitForStarted());
        const qint64 deadPid = gone.processId();
        QVERIFY(gone.waitForFinished());
        const auto uuid = [] { return QUuid::createUuid().toString(QUuid::WithoutBraces); };
        const QString fixedOld = dir + QLatin1String("/index.json.tmp");
        const QString deadWriter = QStringLiteral("%1/index.json.%2.%3.tmp").arg(dir).arg(deadPid).arg(uuid());
        const QString liveWriter = QStringLiteral("%1/index.json.%2.%3.tmp").arg(dir).arg(::getpid()).arg(uuid());
        writeFile(fixedOld, indexJson({}));
        backdate(fixedOld, 120);
        writeFile(deadWriter, indexJson({}).left(40));
        writeFile(liveWriter, indexJson({}));
        writeFile(dir + QLatin1String("/index.json.bak"), indexJson({})); // no tool's tmp name
        const Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList(2, QStringLiteral("orphan-tmp")));
        QStringList subjects;
        for (const Finding& f : s.findings) {
            subjects.append(f.subject);
            QCOMPARE(namesOf(f.repairs), QStringList { QStringLiteral("sweep-tmp") });
        }
        QCOMPARE(sorted(subjects), sorted({ fixedOld, deadWriter }));
        QCOMPARE(findings(s, QStringLiteral("orphan-tmp")).size(), 2);
        QCOMPARE(s.tempFiles.size(), 3);
        for (const TempFile& t : s.tempFiles) {
            QCOMPARE(t.name.family, QStringLiteral("trajectories"));
            QCOMPARE(t.name.target, QStringLiteral("index.json"));
            QCOMPARE(t.orphan, t.path != liveWriter);
        }
        for (const Finding& f : s.findings) {
            const QString expected
                = f.subject == fixedOld ? QStringLiteral("names no writer") : QStringLiteral("its writer is gone");
            QVERIFY2(f.evidence.contains(expected), qPrintable(f.evidence));
        }
    }

    // Nothing a state dir holds leads the scan outside it: symlinked records and directories are
    // reported, never followed; an index entry's path is quoted, never opened.
    void unsafePathsAreNeverFollowed()
    {
        QTemporaryDir ws, elsewhere;
        const QString out = elsewhere.path();
        put(out, QStringLiteral("traj_link1abcdef.json"),
            legacyRecord(traj(QStringLiteral("traj_link1abcdef"), QStringLiteral("active"))));
        put(out, QStringLiteral("traj_ldir1abcdef/trajectory.json"),
            newRecord(traj(QStringLiteral("traj_ldir1abcdef"), QStringLiteral("active"))));
        put(out, QStringLiteral("month/traj_lmon1abcdef.json"),
            legacyRecord(traj(QStringLiteral("traj_lmon1abcdef"), QStringLiteral("completed"))));
        put(out, QStringLiteral("activeDir/traj_lact1abcdef.json"),
            legacyRecord(traj(QStringLiteral("traj_lact1abcdef"), QStringLiteral("active"))));

        const Traj safe = traj(QStringLiteral("traj_safe1abcdef"), QStringLiteral("active"));
        const QString dir = ws.path() + QLatin1String("/.trajectories");
        put(dir, QStringLiteral("active/traj_safe1abcdef.json"), legacyRecord(safe));
        put(dir, QStringLiteral("active/traj_bad1abcdefg.json"),
            legacyRecord(traj(QStringLiteral("../../x"), QStringLiteral("active"))));
        QVERIFY(QDir().mkpath(dir + QLatin1String("/active/traj_nest1abcdef")));
        QVERIFY(QFile::link(out + QLatin1String("/traj_ldir1abcdef/trajectory.json"),
            dir + QLatin1String("/active/traj_nest1abcdef/trajectory.json")));
        QVERIFY(QFile::link(
            out + QLatin1String("/traj_link1abcdef.json"), dir + QLatin1String("/active/traj_link1abcdef.json")));
        QVERIFY(QFile::link(out + QLatin1String("/traj_ldir1abcdef"), dir + QLatin1String("/active/traj_ldir1abcdef")));
        QVERIFY(QDir().mkpath(dir + QLatin1String("/completed")));
        QVERIFY(QFile::link(out + QLatin1String("/month"), dir + QLatin1String("/completed/2026-05")));
        put(dir, QStringLiteral("index.json"),
            indexJson({ { safe, dir + QLatin1String("/active/traj_safe1abcdef.json"), {} },
                { traj(QStringLiteral("../../x"), QStringLiteral("active")),
                    out + QLatin1String("/traj_link1abcdef.json"), {} } }));

        Snapshot s = scanDir(ws.path(), dir);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s),
            QStringList({ QStringLiteral("index-dangling"), QStringLiteral("record-invalid"),
                QStringLiteral("record-symlink"), QStringLiteral("record-symlink"), QStringLiteral("record-symlink"),
                QStringLiteral("record-symlink") }));
        QCOMPARE(jobsById(s).keys(), QStringList { safe.id });
        QStringList links;
        for (const Finding& f : findings(s, QStringLiteral("record-symlink"))) {
            links.append(f.subject.mid(dir.size() + 1));
            QVERIFY2(f.evidence.contains(out), qPrintable(f.evidence));
        }
        QCOMPARE(sorted(links),
            QStringList({ QStringLiteral("active/traj_ldir1abcdef"), QStringLiteral("active/traj_link1abcdef.json"),
                QStringLiteral("active/traj_nest1abcdef/trajectory.json"), QStringLiteral("completed/2026-05") }));
        QCOMPARE(findings(s, QStringLiteral("record-invalid")).first().subject,
            dir + QLatin1String("/active/traj_bad1abcdefg.json"));
        QCOMPARE(
            findings(s, QStringLiteral("index-dangling")).first().subject, dir + QLatin1String("/index.json#../../x"));

        // active/ and completed/ themselves as links: neither is listed.
        QTemporaryDir ws2;
        const QString dir2 = ws2.path() + QLatin1String("/.trajectories");
        QVERIFY(QDir().mkpath(dir2));
        writeFile(dir2 + QLatin1String("/index.json"), indexJson({}));
        QVERIFY(QFile::link(out + QLatin1String("/activeDir"), dir2 + QLatin1String("/active")));
        QVERIFY(QFile::link(out + QLatin1String("/month"), dir2 + QLatin1String("/completed")));
        s = scanDir(ws2.path(), dir2);
        QVERIFY(invariantsHold(s));
        QCOMPARE(findingCodes(s), QStringList(2, QStringLiteral("record-symlink")));
        QVERIFY(s.jobs.isEmpty());
        // The same rule holds for recovery, which shares the record walk.
        for (const TrajectoryRecord& r : findTrajectoryRecords(dir2))
            QFAIL(qPrintable(QStringLiteral("read through a link: ") + r.path));
        for (const TrajectoryRecord& r : findTrajectoryRecords(dir))
            QVERIFY2(!QFileInfo(r.path).isSymLink() && r.path.startsWith(dir + QLatin1Char('/')), qPrintable(r.path));
    }
};

QTEST_GUILESS_MAIN(TestTrajectoriesSource)
#include "tst_trajectoriessource.moc"
