// SPDX-License-Identifier: GPL-3.0-or-later
#include "mainwindow.h"
#include "version.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>

int main(int argc, char* argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("stateward"));
    QApplication::setOrganizationName(QStringLiteral("Stateward"));
    QApplication::setApplicationDisplayName(QStringLiteral("Stateward"));
    QApplication::setApplicationVersion(Stateward::version());
    QApplication::setDesktopFileName(Stateward::applicationId());

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Watch and safely repair the state directories of local developer and agent tools."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
        QStringLiteral(
            "Render the main window to a PNG file and exit (works headless with QT_QPA_PLATFORM=offscreen)."),
        QStringLiteral("file"));
    parser.addOption(screenshot);
    parser.addPositionalArgument(
        QStringLiteral("workspace"), QStringLiteral("Workspace folders to open."), QStringLiteral("[workspace…]"));
    parser.process(app);

    Stateward::MainWindow window;
    for (const QString& path : parser.positionalArguments())
        window.openWorkspace(path);

    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        window.show();
        // Let layouts and the style settle before grabbing.
        QTimer::singleShot(0, &window, [&window, &file] {
            const bool ok = window.grab().save(file, "PNG");
            if (!ok)
                std::fprintf(stderr, "stateward: cannot write screenshot to %s\n", qPrintable(file));
            QApplication::exit(ok ? 0 : 2);
        });
        return QApplication::exec();
    }

    window.show();
    return QApplication::exec();
}
