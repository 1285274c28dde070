// SPDX-License-Identifier: GPL-3.0-or-later
// `stateward-cli scan` on codegraph state written by the real @optave/codegraph 3.11.2 journal
// functions, including a holder killed mid-lock.
#include "childprocess.h"
#include "nodetools.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

class TestInteropCodegraph : public QObject
{
    Q_OBJECT

    static QJsonObject scan(const QString& ws, int expectedExit)
    {
        QProcess p;
        p.start(ChildProcess::binary("stateward-cli"), { QStringLiteral("scan"), ws, QStringLiteral("--json") });
        if (!p.waitForFinished(30000) || p.exitCode() != expectedExit)
            return {};
        return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    }
    static QStringList codes(const QJsonObject& report)
    {
        QStringList c;
        for (const QJsonValue& snap : report.value(QStringLiteral("snapshots")).toArray())
            for (const QJsonValue& f : snap.toObject().value(QStringLiteral("findings")).toArray())
                c.append(f.toObject().value(QStringLiteral("code")).toString());
        c.sort();
        return c;
    }
    static bool run(const char* script, const QStringList& args)
    {
        QProcess p;
        p.start(NodeTools::node(), QStringList { NodeTools::script(script) } + args);
        return p.waitForFinished(60000) && p.exitCode() == 0;
    }

private slots:
    void initTestCase()
    {
        const QString missing = NodeTools::missing();
        QVERIFY2(missing.isEmpty(), qPrintable(missing));
    }

    void appendsLeaveAPlaceholderHeader()
    {
        // appendJournalEntries creates the journal with header timestamp 0, which codegraph itself
        // reads as invalid until a build stamps it: the scan says so, with the entry count.
        QTemporaryDir ws;
        QVERIFY(run("cg-append.mjs", { ws.path(), QStringLiteral("src/file"), QStringLiteral("5") }));
        const QJsonObject report = scan(ws.path(), 1);
        QCOMPARE(report.value(QStringLiteral("schema")).toString(), QStringLiteral("stateward-scan/1"));
        QCOMPARE(codes(report), QStringList { QStringLiteral("journal-placeholder-header") });
        const QJsonObject finding = report.value(QStringLiteral("snapshots"))
                                        .toArray()
                                        .first()
                                        .toObject()
                                        .value(QStringLiteral("findings"))
                                        .toArray()
                                        .first()
                                        .toObject();
        QVERIFY(finding.value(QStringLiteral("evidence")).toString().contains(QStringLiteral("5 changed")));
        QVERIFY(
            finding.value(QStringLiteral("subject")).toString().endsWith(QStringLiteral(".codegraph/changes.journal")));
    }

    void killedHolderIsAStaleLock()
    {
        QTemporaryDir ws;
        ChildProcess holder;
        QVERIFY(holder.start(NodeTools::node(), { NodeTools::script("cg-hold.mjs"), ws.path() }));
        QVERIFY(!holder.waitForLine("inside", 20000).isEmpty());
        const qint64 pid = holder.pid();

        QJsonObject report = scan(ws.path(), 1); // the placeholder header, but the lock is held
        QCOMPARE(codes(report), QStringList { QStringLiteral("journal-placeholder-header") });
        const QJsonObject lock = report.value(QStringLiteral("snapshots"))
                                     .toArray()
                                     .first()
                                     .toObject()
                                     .value(QStringLiteral("locks"))
                                     .toArray()
                                     .first()
                                     .toObject();
        QCOMPARE(lock.value(QStringLiteral("state")).toString(), QStringLiteral("held"));
        QVERIFY(lock.value(QStringLiteral("openHolders")).toArray().contains(QJsonValue(pid)));

        QVERIFY(holder.signal(SIGKILL));
        QVERIFY(holder.reap() >= 0);
        report = scan(ws.path(), 1);
        QCOMPARE(
            codes(report), QStringList({ QStringLiteral("journal-placeholder-header"), QStringLiteral("stale-lock") }));
        QVERIFY(QJsonDocument(report).toJson().contains(QStringLiteral("holder PID %1 is dead").arg(pid).toUtf8()));

        // codegraph recovers by its own rules; the scan then shows no lock at all.
        QVERIFY(run("cg-append-timed.mjs", { ws.path() }));
        report = scan(ws.path(), 1);
        QCOMPARE(codes(report), QStringList { QStringLiteral("journal-placeholder-header") });
        QVERIFY(report.value(QStringLiteral("snapshots"))
                    .toArray()
                    .first()
                    .toObject()
                    .value(QStringLiteral("locks"))
                    .toArray()
                    .isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestInteropCodegraph)
#include "tst_interop_codegraph.moc"
