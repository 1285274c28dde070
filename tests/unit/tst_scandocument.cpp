// SPDX-License-Identifier: GPL-3.0-or-later
// The `scan --json` document (core/problem/scandocument.h) written piece by piece (JsonStream) is
// the document the whole-object path builds, byte for byte: on hand-made values with every JSON
// type and edge, on a real scan of the demo workspace, and as the built stateward-cli prints it.
#include "clirun.h"
#include "livedemo.h"
#include "problem/scandocument.h"
#include "sources/source.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace Stateward;

namespace {

QByteArray streamed(const JsonMembers& members)
{
    QByteArray out;
    JsonStream([&out](QByteArrayView bytes) { out.append(bytes); }).writeDocument(members);
    return out;
}

QByteArray built(const JsonMembers& members)
{
    return QJsonDocument(toJsonObject(members)).toJson(QJsonDocument::Indented);
}

// The document as `scan --json` built it before it was streamed: every item an object in memory.
QJsonObject wholeDocument(
    const QStringList& workspaces, const QList<Problem>& problems, const QList<Snapshot>& snapshots)
{
    const auto array = [](const auto& items) {
        QJsonArray a;
        for (const auto& item : items)
            a.append(item.toJson());
        return a;
    };
    QJsonArray snapshotArray;
    for (const Snapshot& s : snapshots) {
        snapshotArray.append(QJsonObject {
            { QStringLiteral("family"), nameOf(s.family) },
            { QStringLiteral("workspace"), s.workspace },
            { QStringLiteral("stateDir"), s.stateDir },
            { QStringLiteral("recognised"), s.recognised.toJson() },
            { QStringLiteral("scannedAt"), s.scannedAt.toString(Qt::ISODateWithMs) },
            { QStringLiteral("jobs"), array(s.jobs) },
            { QStringLiteral("brokers"), array(s.brokers) },
            { QStringLiteral("locks"), array(s.locks) },
            { QStringLiteral("tempFiles"), array(s.tempFiles) },
            { QStringLiteral("findings"), array(s.findings) },
        });
    }
    return QJsonObject { { QStringLiteral("schema"), QStringLiteral("stateward-scan/2") },
        { QStringLiteral("workspaces"), QJsonArray::fromStringList(workspaces) },
        { QStringLiteral("problems"), array(problems) }, { QStringLiteral("snapshots"), snapshotArray } };
}

} // namespace

class TestScanDocument : public QObject
{
    Q_OBJECT

private slots:
    // Every JSON type, empty and nested containers, escapes, keys out of order and keys that sort
    // by code unit: what QJsonDocument writes is what the stream writes.
    void valuesOfEveryKind()
    {
        const QJsonObject nested { { QStringLiteral("z"), QJsonArray { 1, QJsonArray {}, QJsonObject {} } },
            { QStringLiteral("a"), QJsonObject { { QStringLiteral("deep"), QJsonArray { QJsonObject {} } } } } };
        const JsonMembers inner { { QStringLiteral("b"), 2.5, {} },
            { QStringLiteral("list"), {},
                [&nested](JsonArraySink& sink) {
                    sink.append(nested);
                    sink.append(QJsonArray { QStringLiteral("x"), QJsonValue() });
                    sink.appendObject({});
                    sink.append(QStringLiteral("tab\there \"quoted\" \\ é \u202e\n"));
                } },
            { QStringLiteral("a"), QJsonValue(), {} } };
        const JsonMembers members {
            { QStringLiteral("zeta"), true, {} },
            { QStringLiteral("Zeta"), false, {} },
            { QStringLiteral("é-key \"q\""), -1, {} },
            { QStringLiteral("big"), qint64(9007199254740991), {} },
            { QStringLiteral("empty"), {}, [](JsonArraySink&) {} },
            { QStringLiteral("emptyObject"), QJsonObject {}, {} },
            { QStringLiteral("emptyArray"), QJsonArray {}, {} },
            { QStringLiteral("nested"), nested, {} },
            { QStringLiteral("objects"), {},
                [&inner](JsonArraySink& sink) {
                    sink.appendObject(inner);
                    sink.appendObject(inner);
                } },
            { QStringLiteral("strings"), QJsonArray { QStringLiteral(""), QStringLiteral("\x01") }, {} },
        };
        const QByteArray text = streamed(members);
        QCOMPARE(text, built(members));
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(text, &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(doc.object(), toJsonObject(members));
        QCOMPARE(streamed({}), QByteArray("{\n}\n"));
        QCOMPARE(streamed({}), built({}));
    }

    // A real scan of the demo workspace (every family, brokers, locks, tmp files, findings, problems).
    void demoWorkspace()
    {
        LiveDemo live;
        QVERIFY2(live.start(), qPrintable(live.error));
        const DemoWorkspace& demo = live.demo;
        const QTemporaryDir& tmp = live.tmp;
        const QStringList workspaces { demo.path(), tmp.path() }; // the second holds no tool state
        ScanContext context;
        QList<Snapshot> snapshots;
        for (const QString& ws : workspaces)
            snapshots += scanWorkspace(ws, context);
        const QList<Problem> problems = problemsOf(snapshots);
        QVERIFY(snapshots.size() >= 4);
        QVERIFY(!problems.isEmpty());

        const QByteArray text = streamed(scanDocument(workspaces, problems, snapshots));
        const QJsonObject whole = wholeDocument(workspaces, problems, snapshots);
        QCOMPARE(text, QJsonDocument(whole).toJson(QJsonDocument::Indented));
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(text, &parseError);
        QCOMPARE(parseError.error, QJsonParseError::NoError);
        QCOMPARE(doc.object(), whole);
        for (const Snapshot& s : snapshots)
            QCOMPARE(s.toJson(), toJsonObject(s.jsonMembers()));

        // The built CLI streams it to stdout: what it prints is what QJsonDocument would print for it.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("TMPDIR"), tmp.path());
        const CliRun run = runCli({ QStringLiteral("scan"), QStringLiteral("--json"), demo.path() }, env);
        QVERIFY2(run.exitCode == 0 || run.exitCode == 1, run.err.constData());
        const QJsonDocument printed = QJsonDocument::fromJson(run.out, &parseError);
        QCOMPARE(parseError.error, QJsonParseError::NoError);
        QCOMPARE(printed.toJson(QJsonDocument::Indented), run.out);
        QCOMPARE(printed.object().value(QStringLiteral("schema")).toString(), QStringLiteral("stateward-scan/2"));
        QCOMPARE(printed.object().keys(), whole.keys());
        QCOMPARE(printed.object().value(QStringLiteral("snapshots")).toArray().size(),
            whole.value(QStringLiteral("snapshots")).toArray().size());
    }
};

QTEST_GUILESS_MAIN(TestScanDocument)
#include "tst_scandocument.moc"
