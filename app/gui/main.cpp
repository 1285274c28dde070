// SPDX-License-Identifier: GPL-3.0-or-later
#include "common/terminationsignals.h"
#include "demoworkspace.h"
#include "mainwindow.h"
#include "theme.h"
#include "version.h"
#include "watch/watchhub.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>

namespace {

void setIdentity()
{
    QCoreApplication::setApplicationName(QStringLiteral("stateward"));
    QCoreApplication::setOrganizationName(QStringLiteral("Stateward"));
    QCoreApplication::setApplicationVersion(Stateward::version());
}

// The GUI's command line, built once for the display-less --help/--version parse and once for the real one.
struct Options
{
    QCommandLineParser parser;
    const QCommandLineOption screenshot { QStringLiteral("screenshot"),
        QStringLiteral(
            "Render the main window to a PNG file and exit (works headless with QT_QPA_PLATFORM=offscreen)."),
        QStringLiteral("file") };
    const QCommandLineOption demo { QStringLiteral("demo"),
        QStringLiteral("Open a temporary demo workspace with every tool's state, live stand-in daemons and typical "
                       "problems to try the repairs on; all of it is removed on exit.") };
    const QCommandLineOption hidden { QStringLiteral("hidden"),
        QStringLiteral("Start with the window hidden in the system tray (minimised where there is none), as at "
                       "login; Stateward speaks up when something goes wrong.") };
    const QCommandLineOption colors { QStringLiteral("colors"),
        QStringLiteral("Colour scheme for this run: system, light or dark (View → Colours remembers one)."),
        QStringLiteral("scheme") };

    Options()
    {
        parser.setApplicationDescription(
            QStringLiteral("Watch and safely repair the state directories of local developer and agent tools."));
        parser.addHelpOption();
        parser.addVersionOption();
        parser.addOption(screenshot);
        parser.addOption(demo);
        parser.addOption(hidden);
        parser.addOption(colors);
        parser.addPositionalArgument(
            QStringLiteral("workspace"), QStringLiteral("Workspace folders to open."), QStringLiteral("[workspace…]"));
    }
};

} // namespace

int main(int argc, char* argv[])
{
    // A demo stand-in (this binary re-run by DemoWorkspace) never becomes a GUI: checked first.
    if (Stateward::DemoWorkspace::isStandInInvocation())
        return Stateward::DemoWorkspace::runStandIn(argc, argv);

    // --help and --version answer without a display: QApplication aborts first when there is none.
    // A plain QCoreApplication parses them (and only them; the full parse below reports the rest).
    const auto wantsHelpOrVersion = [argc, argv] {
        for (int i = 1; i < argc; ++i) {
            const QByteArray a(argv[i]);
            if (a == "--") // what follows is a workspace
                return false;
            if (a == "-h" || a == "--help" || a == "-?" || a == "--help-all" || a == "-v" || a == "--version")
                return true;
        }
        return false;
    };
    if (wantsHelpOrVersion()) {
        QCoreApplication core(argc, argv);
        setIdentity();
        Options options;
        options.parser.parse(QCoreApplication::arguments());
        if (options.parser.isSet(QStringLiteral("version")))
            options.parser.showVersion();
        options.parser.showHelp(); // both exit
    }

    QApplication app(argc, argv);
    setIdentity();
    QApplication::setApplicationDisplayName(QStringLiteral("Stateward"));
    QApplication::setDesktopFileName(Stateward::applicationId());

    Options options;
    QCommandLineParser& parser = options.parser;
    const QCommandLineOption& screenshot = options.screenshot;
    const QCommandLineOption& demo = options.demo;
    const QCommandLineOption& colors = options.colors;
    parser.process(app);
    const QString scheme = parser.isSet(colors) ? parser.value(colors) : Stateward::savedColorScheme();
    if (!Stateward::applyColorScheme(scheme)) {
        std::fprintf(stderr, "stateward: unknown colour scheme '%s' (system, light or dark)\n", qPrintable(scheme));
        return 2;
    }

    Stateward::DemoWorkspace demoWorkspace; // outlives the window, which may still watch its files
    if (parser.isSet(demo)) {
        Stateward::quitOnTerminationSignals(); // Ctrl+C still runs the cleanup below
        QString error;
        if (!demoWorkspace.create(&error)) {
            std::fprintf(stderr, "stateward: cannot create the demo workspace: %s\n", qPrintable(error));
            return 2;
        }
    }
    // The demo shows only itself; the remembered workspaces stay as they were.
    Stateward::MainWindow window(nullptr, !parser.isSet(demo));
    if (parser.isSet(demo))
        window.openWorkspace(demoWorkspace.path(), false);
    for (const QString& path : parser.positionalArguments())
        window.openWorkspace(path);

    if (parser.isSet(options.hidden) && !parser.isSet(screenshot))
        window.startHidden();
    else
        window.show();
    if (parser.isSet(screenshot)) {
        const auto grab = [&window, file = parser.value(screenshot)] {
            window.selectFirstRow(Stateward::MainWindow::View::Problems); // the detail pane explains the worst
            const bool ok = window.grab().save(file, "PNG");
            if (!ok)
                std::fprintf(stderr, "stateward: cannot write screenshot to %s\n", qPrintable(file));
            QApplication::exit(ok ? 0 : 2);
        };
        // Once every workspace's first scan is in (and layouts settled), or after 30 s regardless.
        const auto allScanned = [&window] {
            for (const QString& ws : window.hub()->workspaces()) {
                if (window.hub()->deliveredGeneration(ws) == 0)
                    return false;
            }
            return true;
        };
        auto* timeout = new QTimer(&window);
        timeout->setSingleShot(true);
        QObject::connect(timeout, &QTimer::timeout, &window, grab);
        timeout->start(30000);
        const auto settle = [timeout, allScanned] {
            if (timeout->isActive() && allScanned()) {
                timeout->start(300);
            }
        };
        QObject::connect(window.hub(), &Stateward::WatchHub::scanFinished, &window, settle);
        QTimer::singleShot(0, &window, settle);
    }
    const int status = QApplication::exec();
    demoWorkspace.shutdown(); // the stand-ins stop before the window and the event loop are gone
    return status;
}
