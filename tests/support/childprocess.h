// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <sys/types.h>

// A real child process with pipes on stdin/stdout, spawned with posix_spawn so the test decides
// when it is reaped (QProcess reaps on its own, which would hide zombies).
class ChildProcess
{
public:
    ChildProcess() = default;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess(); // SIGKILL and reap, whatever state the test left it in

    bool start(const QString& program, const QStringList& arguments);
    // Waits until a line starting with prefix arrives on the child's stdout; returns the line.
    QByteArray waitForLine(const QByteArray& prefix, int timeoutMs = 10000);
    bool send(const QByteArray& line);
    void closeStdin();
    bool signal(int sig);
    // Waits for exit and reaps; returns the raw wait status, or -1 on timeout.
    int reap(int timeoutMs = 10000);
    pid_t pid() const { return m_pid; }

    static QString binary(const char* name); // a program in the build's bin/ folder
    // The PID of a child already killed and reaped: dead until the kernel hands it out again.
    // -1 when no child could be started.
    static qint64 deadPid();

private:
    pid_t m_pid = -1;
    int m_stdin = -1;
    int m_stdout = -1;
    QByteArray m_buffer;
};
