// SPDX-License-Identifier: GPL-3.0-or-later
// stateward-cli as a user runs it: --help, --version, proc PID [--json] and its exit codes.
#include "childprocess.h"
#include "clirun.h"
#include "proc/procfs.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <unistd.h>

class TestCliProc : public QObject
{
    Q_OBJECT

    static CliRun run(const QStringList& args) { return runCli(args); }

private slots:
    void helpAndVersion()
    {
        const CliRun help = run({ QStringLiteral("--help") });
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.out.contains("Usage: stateward-cli COMMAND"));
        QVERIFY(help.out.contains("proc"));
        QVERIFY(help.out.contains("Exit codes"));

        const CliRun version = run({ QStringLiteral("--version") });
        QCOMPARE(version.exitCode, 0);
        QVERIFY(version.out.startsWith("stateward-cli "));

        const CliRun procHelp = run({ QStringLiteral("proc"), QStringLiteral("--help") });
        QCOMPARE(procHelp.exitCode, 0);
        QVERIFY(procHelp.out.contains("--json"));

        const CliRun unknown = run({ QStringLiteral("frobnicate") });
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY(unknown.err.contains("unknown command 'frobnicate'"));
        QCOMPARE(run({}).exitCode, 2);
    }

    void procJsonOfLiveChild()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());

        const CliRun r = run({ QStringLiteral("proc"), QString::number(child.pid()), QStringLiteral("--json") });
        QCOMPARE(r.exitCode, 0);
        QJsonParseError error;
        const QJsonObject o = QJsonDocument::fromJson(r.out, &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(o.value(QStringLiteral("pid")).toInteger(), qint64(child.pid()));
        QCOMPARE(o.value(QStringLiteral("alive")).toBool(), true);
        QCOMPARE(o.value(QStringLiteral("liveness")).toString(), QStringLiteral("alive"));
        QCOMPARE(o.value(QStringLiteral("uid")).toInteger(), qint64(::getuid()));
        QCOMPARE(o.value(QStringLiteral("argv")).toArray().at(1).toString(), QStringLiteral("sleep"));
        const QDateTime started
            = QDateTime::fromString(o.value(QStringLiteral("startTime")).toString(), Qt::ISODateWithMs);
        QVERIFY(started.isValid());
        QVERIFY(qAbs(started.msecsTo(QDateTime::currentDateTimeUtc())) < 60000);
        QCOMPARE(o.value(QStringLiteral("bootId")).toString(), Stateward::ProcFs::bootId());

        const CliRun text = run({ QStringLiteral("proc"), QString::number(child.pid()) });
        QCOMPARE(text.exitCode, 0);
        QVERIFY(text.out.contains("liveness   alive"));
        QVERIFY(text.out.contains("sw-testchild sleep"));
    }

    void deadPidIsAClearAnswer()
    {
        ChildProcess child;
        QVERIFY(child.start(ChildProcess::binary("sw-testchild"), { QStringLiteral("sleep") }));
        QVERIFY(!child.waitForLine("ready").isEmpty());
        const pid_t pid = child.pid();
        child.closeStdin();
        QVERIFY(child.reap() >= 0);

        const CliRun r = run({ QStringLiteral("proc"), QString::number(pid), QStringLiteral("--json") });
        QCOMPARE(r.exitCode, 1);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(QStringLiteral("alive")).toBool(true), false);
        QCOMPARE(o.value(QStringLiteral("liveness")).toString(), QStringLiteral("dead"));

        const CliRun text = run({ QStringLiteral("proc"), QString::number(pid) });
        QCOMPARE(text.exitCode, 1);
        QVERIFY(text.out.contains("liveness   dead"));
    }

    void garbageIsAnError_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("message");
        QTest::newRow("zero") << QStringList { QStringLiteral("proc"), QStringLiteral("0") } << QByteArray("PID 0");
        QTest::newRow("negative") << QStringList { QStringLiteral("proc"), QStringLiteral("--"), QStringLiteral("-7") }
                                  << QByteArray("PID -7");
        QTest::newRow("huge") << QStringList { QStringLiteral("proc"), QStringLiteral("123456789012") }
                              << QByteArray("out of range");
        QTest::newRow("word") << QStringList { QStringLiteral("proc"), QStringLiteral("init") }
                              << QByteArray("'init' is not a PID");
        QTest::newRow("missing") << QStringList { QStringLiteral("proc") } << QByteArray("exactly one PID");
    }

    void garbageIsAnError()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, message);
        const CliRun r = run(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), r.err.constData());
        QVERIFY(r.out.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestCliProc)
#include "tst_cli_proc.moc"
