// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

class QProcess;
class QTemporaryDir;

namespace Stateward {

// `stateward --demo`: a throw-away workspace holding every family's state with typical problems,
// plus live stand-in processes (two codex brokers, one of them orphaned, a gstack daemon and an Nx daemon), so a
// first-time user sees every view populated and can try every repair without risk: everything the
// demo creates lies inside the workspace, its codex state dir or its own $TMPDIR/cxc-* dirs.
//
// The stand-ins are this program run again with STATEWARD_DEMO_STANDIN=<kind> and the argv/env of
// the real tools, so the adapters recognise and verify them by the same rules as the real ones. No
// node or bun is needed.
class DemoWorkspace
{
public:
    DemoWorkspace();
    ~DemoWorkspace(); // shutdown(), then removes the workspace and codex state unless kept
    DemoWorkspace(const DemoWorkspace&) = delete;
    DemoWorkspace& operator=(const DemoWorkspace&) = delete;

    // The executable re-run as the stand-ins. Default: QCoreApplication::applicationFilePath().
    QString standInProgram() const { return m_standInProgram; }
    void setStandInProgram(const QString& program) { m_standInProgram = program; }
    // Keep the workspace and the codex state dir on destruction (stand-ins and session dirs still go).
    bool keep() const { return m_keep; }
    void setKeep(bool keep) { m_keep = keep; }

    // Makes a fresh $TMPDIR/stateward-demo-XXXXXX, starts the stand-ins and writes every family's
    // state. Once only. On failure everything made so far is undone and *error says why.
    bool create(QString* error = nullptr);

    QString path() const { return m_path; } // canonical; empty before create()
    QString codexStateDir() const { return m_codexStateDir; }
    // The $TMPDIR/cxc-XXXXXX dirs it made: the named broker's, the orphan's, a leftover one.
    QStringList sessionDirs() const { return m_sessionDirs; }
    qint64 brokerPid() const { return m_brokerPid; } // the one broker.json names
    qint64 orphanBrokerPid() const { return m_orphanBrokerPid; }
    qint64 daemonPid() const { return m_daemonPid; } // gstack
    qint64 nxDaemonPid() const { return m_nxDaemonPid; }
    // Stand-ins started and not yet reaped (one a repair terminated is dropped once reaped).
    QList<qint64> processes() const;

    // Terminates every stand-in still running (SIGTERM to its process group, SIGKILL after a short
    // grace), reaps them and removes the session dirs. Idempotent.
    void shutdown();

    // The environment variable that turns this program into a stand-in, and the stand-in's main():
    // app/gui/main.cpp checks it before any QApplication exists.
    static constexpr const char* kStandInVariable = "STATEWARD_DEMO_STANDIN";
    static bool isStandInInvocation();
    static int runStandIn(int argc, char** argv);

private:
    bool build(QString* error);
    bool startBroker(const QString& sessionDir, qint64* pid, QString* error);
    bool startDaemon(QString* error);
    bool startNxDaemon(QString* error);
    bool startStandIn(const QString& kind, const QString& program, const QStringList& arguments,
        const QStringList& environment, const QString& logFile, qint64* pid, QString* error);
    void removeOwnDirs();

    QString m_standInProgram;
    bool m_keep = false;
    bool m_created = false;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
    QString m_codexStateDir;
    bool m_madeCodexRoot = false; // $TMPDIR/codex-companion did not exist before
    QStringList m_sessionDirs;
    qint64 m_brokerPid = -1;
    qint64 m_orphanBrokerPid = -1;
    qint64 m_nxDaemonPid = -1;
    qint64 m_daemonPid = -1;
    std::vector<std::unique_ptr<QProcess>> m_processes;
};

} // namespace Stateward
