// SPDX-License-Identifier: GPL-3.0-or-later
#include "childprocess.h"

#include <QElapsedTimer>
#include <QFile>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

ChildProcess::~ChildProcess()
{
    if (m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        ::waitpid(m_pid, nullptr, 0);
    }
    if (m_stdin >= 0)
        ::close(m_stdin);
    if (m_stdout >= 0)
        ::close(m_stdout);
}

QString ChildProcess::binary(const char* name)
{
    return QStringLiteral(STATEWARD_BIN_DIR "/") + QLatin1String(name);
}

bool ChildProcess::start(const QString& program, const QStringList& arguments)
{
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0)
        return false;
    if (::pipe2(out, O_CLOEXEC) != 0) {
        ::close(in[0]);
        ::close(in[1]);
        return false;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);

    QList<QByteArray> storage { QFile::encodeName(program) };
    for (const QString& a : arguments)
        storage.append(QFile::encodeName(a));
    std::vector<char*> argv;
    for (QByteArray& s : storage)
        argv.push_back(s.data());
    argv.push_back(nullptr);

    const int rc = ::posix_spawn(&m_pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    if (rc != 0) {
        m_pid = -1;
        ::close(in[1]);
        ::close(out[0]);
        return false;
    }
    m_stdin = in[1];
    m_stdout = out[0];
    return true;
}

QByteArray ChildProcess::waitForLine(const QByteArray& prefix, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        qsizetype nl;
        while ((nl = m_buffer.indexOf('\n')) >= 0) {
            const QByteArray line = m_buffer.left(nl);
            m_buffer.remove(0, nl + 1);
            if (line.startsWith(prefix))
                return line;
        }
        const qint64 left = timeoutMs - timer.elapsed();
        if (left <= 0 || m_stdout < 0)
            return {};
        pollfd p { m_stdout, POLLIN, 0 };
        if (::poll(&p, 1, int(left)) <= 0)
            continue;
        char chunk[512];
        const ssize_t n = ::read(m_stdout, chunk, sizeof chunk);
        if (n <= 0)
            return {};
        m_buffer.append(chunk, n);
    }
}

bool ChildProcess::send(const QByteArray& line)
{
    const QByteArray data = line.endsWith('\n') ? line : line + '\n';
    return m_stdin >= 0 && ::write(m_stdin, data.constData(), size_t(data.size())) == data.size();
}

void ChildProcess::closeStdin()
{
    if (m_stdin >= 0)
        ::close(m_stdin);
    m_stdin = -1;
}

bool ChildProcess::signal(int sig)
{
    return m_pid > 0 && ::kill(m_pid, sig) == 0;
}

int ChildProcess::reap(int timeoutMs)
{
    if (m_pid <= 0)
        return -1;
    QElapsedTimer timer;
    timer.start();
    int status = 0;
    while (timer.elapsed() < timeoutMs) {
        const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) {
            m_pid = -1;
            return status;
        }
        ::usleep(2000);
    }
    return -1;
}

qint64 ChildProcess::deadPid()
{
    ChildProcess child;
    if (!child.start(binary("sw-testchild"), { QStringLiteral("sleep") }))
        return -1;
    const qint64 pid = child.pid();
    child.signal(SIGKILL);
    child.reap();
    return pid;
}
