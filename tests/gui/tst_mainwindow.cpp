// SPDX-License-Identifier: GPL-3.0-or-later
// The main window offscreen: workspace list model invariants, persistence, and the headless
// screenshot path that scripts/run uses.
#include "childprocess.h"
#include "mainwindow.h"
#include "workspacelist.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QImage>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Stateward;

class TestMainWindow : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QApplication::setOrganizationName(QStringLiteral("StatewardTest"));
        QSettings().clear();
    }

    void workspaceModel()
    {
        WorkspaceListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTemporaryDir a, b;
        QCOMPARE(model.addWorkspace(a.path()), 0);
        QCOMPARE(model.addWorkspace(b.path()), 1);
        QCOMPARE(model.addWorkspace(a.path() + QLatin1String("/.")), 0); // same folder, canonicalised
        QCOMPARE(model.addWorkspace(a.filePath(QStringLiteral("missing"))), -1);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.index(1).data(WorkspaceListModel::PathRole).toString(), QDir(b.path()).canonicalPath());
        QVERIFY(model.removeWorkspace(0));
        QVERIFY(!model.removeWorkspace(5));
        QCOMPARE(model.rowCount(), 1);
    }

    void workspacesPersist()
    {
        QTemporaryDir ws;
        {
            MainWindow window;
            QAbstractItemModelTester tester(
                window.workspaces(), QAbstractItemModelTester::FailureReportingMode::QtTest);
            QVERIFY(window.openWorkspace(ws.path()));
            QVERIFY(!window.openWorkspace(ws.filePath(QStringLiteral("nope"))));
            window.show();
            window.close();
        }
        MainWindow reopened;
        QCOMPARE(reopened.workspaces()->workspaces(), QStringList { QDir(ws.path()).canonicalPath() });
    }

    void screenshotFromCommandLine()
    {
        QTemporaryDir out;
        const QString png = out.filePath(QStringLiteral("window.png"));
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), out.path()); // keep the user's settings out of it
        p.setProcessEnvironment(env);
        p.start(ChildProcess::binary("stateward"), { QStringLiteral("--screenshot"), png, out.path() });
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 0);
        const QImage image(png);
        QVERIFY(!image.isNull());
        QVERIFY(image.width() >= 400 && image.height() >= 300);
        // Not a blank canvas: the window draws menus, a dock and text.
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 7)
            for (int x = 0; x < image.width(); x += 7)
                colours.insert(image.pixel(x, y));
        QVERIFY(colours.size() > 4);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
