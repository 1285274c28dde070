// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The interop drivers in tests/interop: real upstream tools run by Node.
#include <QDebug>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace NodeTools {

// The pinned Node.js (STATEWARD_NODE, from tests/CMakeLists.txt), never the system's: the tools need
// a newer one than Debian 12 has, and every machine should run them on the same. See missing().
inline QString node()
{
    return QStringLiteral(STATEWARD_NODE);
}

inline QString script(const char* name)
{
    return QStringLiteral(STATEWARD_SOURCE_DIR "/tests/interop/") + QLatin1String(name);
}

// A stand-in from tests/fixtures/standins (exact upstream formats and argv shapes).
inline QString standin(const char* name)
{
    return QStringLiteral(STATEWARD_SOURCE_DIR "/tests/fixtures/standins/") + QLatin1String(name);
}

// A codex-companion state dir for ws under pluginData (as $CLAUDE_PLUGIN_DATA), written by
// make-codex-state.mjs; returns its path, "" on failure (the script's stderr is logged).
inline QString makeCodexState(const QString& pluginData, const QString& ws, const QStringList& options)
{
    QProcess p;
    p.start(node(),
        // PID 1 started at boot, before the fixture's back-dated job times: a plausible live job
        // process. (The test's own PID started after them and would rightly count as reused.)
        QStringList { standin("make-codex-state.mjs"), pluginData, ws, QStringLiteral("--no-git"),
            QStringLiteral("--live-pid"), QStringLiteral("1") }
            + options);
    if (!p.waitForFinished(30000) || p.exitCode() != 0) {
        qWarning() << p.readAllStandardError();
        return {};
    }
    return QString::fromUtf8(p.readAllStandardOutput().trimmed());
}

// Empty when node() can run, otherwise what to do about it.
inline QString missingNode()
{
    if (!QFileInfo(node()).isExecutable())
        return QStringLiteral("the pinned Node.js %1 is missing: run scripts/deps").arg(node());
    return {};
}

// Empty when the drivers can run, otherwise what to do about it.
inline QString missing()
{
    if (const QString why = missingNode(); !why.isEmpty())
        return why;
    if (!QFile::exists(script("node_modules/@optave/codegraph/dist/domain/graph/journal.js")))
        return QStringLiteral("tests/interop/node_modules is missing: run scripts/deps");
    return {};
}

} // namespace NodeTools
