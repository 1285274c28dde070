// SPDX-License-Identifier: GPL-3.0-or-later
#include "lock/tmpfiles.h"

#include <QTest>

using namespace Stateward;

class TestTmpFiles : public QObject
{
    Q_OBJECT
private slots:
    void recognises_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("family");
        QTest::addColumn<QString>("target");
        QTest::addColumn<qint64>("pid");
        auto row = [](const char* name, const char* family, const char* target, qint64 pid) {
            QTest::newRow(name) << QString::fromLatin1(name) << QString::fromLatin1(family)
                                << QString::fromLatin1(target) << pid;
        };
        row("index.json.tmp", "trajectories", "index.json", -1);
        row("index.json.4242.1b4e28ba-2fa1-11d2-883f-0016d3cca427.tmp", "trajectories", "index.json", 4242);
        row("changes.journal.tmp", "codegraph", "changes.journal", -1);
        row("changes.journal.lock.31337-9f86d081884c7d65.tmp", "codegraph", "changes.journal.lock", 31337);
        row(".nightly.db.tmp-555-1700000000000-0123456789ab", "codegraph", "nightly.db", 555);
        row("graph.db.restore-tmp-556-1700000000000-0123456789ab", "codegraph", "graph.db", 556);
        row("browse.json.tmp", "gstack", "browse.json", -1);
        row("browse.json.tmp.4242.a1b2c3d4", "gstack", "browse.json", 4242);
        row(".tmp-tabs-77", "gstack", "tabs.json", 77);
        row(".tmp-tab-78", "gstack", "active-tab.json", 78);
        row(".tmp-claude-79", "gstack", "claude-available.json", 79);
        row("state.json.991.deadbeef01.stateward.tmp", "stateward", "state.json", 991);
        row("counter.lock.992-0123456789abcdef.tmp", "stateward", "counter.lock", 992);
    }

    void recognises()
    {
        QFETCH(QString, name);
        QFETCH(QString, family);
        QFETCH(QString, target);
        QFETCH(qint64, pid);
        const TmpFileName t = recogniseTmpName(name);
        QVERIFY(t.recognised);
        QCOMPARE(t.family, family);
        QCOMPARE(t.target, target);
        QCOMPARE(t.ownerPid, pid);
        QVERIFY(!t.pattern.isEmpty());
    }

    void leavesOthersAlone_data()
    {
        QTest::addColumn<QString>("name");
        for (const char* n : { "index.json", "browse-daemon.log.1", "changes.journal", "browse.json.tmp.x.a1b2c3d4",
                 "changes.journal.lock", "index.json.12.not-a-uuid.tmp", "notes.tmp", "" })
            QTest::newRow(n) << QString::fromLatin1(n);
    }

    void leavesOthersAlone()
    {
        QFETCH(QString, name);
        QVERIFY(!recogniseTmpName(name).recognised);
    }
};

QTEST_GUILESS_MAIN(TestTmpFiles)
#include "tst_tmpfiles.moc"
