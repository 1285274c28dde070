// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The gstack stand-in daemon (tests/fixtures/standins/gstack-daemon.mjs) started with gstack's own
// argv, `bun run <tools>/browse/src/server.ts`: `bun` is node under gstack's name, so /proc shows
// what the real daemon shows (stand-in README).
#include "childprocess.h"
#include "nodetools.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QThread>

class GstackDaemonTools
{
public:
    // Empty when the shim is in place, else why not.
    QString setUp()
    {
        const QString node = NodeTools::node();
        if (node.isEmpty())
            return QStringLiteral("node is not installed: run scripts/deps");
        if (!QDir().mkpath(m_tools.filePath(QStringLiteral("shim")))
            || !QDir().mkpath(m_tools.filePath(QStringLiteral("browse/src")))
            || !QFile::link(QFileInfo(node).canonicalFilePath(), m_tools.filePath(QStringLiteral("shim/bun"))))
            return QStringLiteral("cannot make the bun shim in %1").arg(m_tools.path());
        return {};
    }

    // Starts the daemon for ws (BROWSE_STATE_FILE=<ws>/.gstack/browse.json, plus extraEnv, e.g.
    // "STANDIN_UNHEALTHY=1"); waits until browse.json names it.
    bool start(ChildProcess& daemon, const QString& ws, const QByteArray& extraEnv = {}) const
    {
        const QString stateFile = QDir(ws).filePath(QStringLiteral(".gstack/browse.json"));
        const QString script = QStringLiteral(
            "PATH=\"$1:$PATH\" NODE_OPTIONS=\"--import=file://$2\" BROWSE_STATE_FILE=\"$3\" %1 exec bun run \"$4\"")
                                   .arg(QString::fromLatin1(extraEnv));
        if (!daemon.start(QStringLiteral("/bin/sh"),
                { QStringLiteral("-c"), script, QStringLiteral("sh"), m_tools.filePath(QStringLiteral("shim")),
                    NodeTools::standin("gstack-daemon.mjs"), stateFile,
                    m_tools.filePath(QStringLiteral("browse/src/server.ts")) }))
            return false;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 20000) {
            QFile f(stateFile);
            if (f.open(QIODevice::ReadOnly)
                && QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("pid")).toInteger()
                    == daemon.pid())
                return true;
            QThread::msleep(20);
        }
        return false;
    }

private:
    QTemporaryDir m_tools;
};
