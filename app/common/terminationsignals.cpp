// SPDX-License-Identifier: GPL-3.0-or-later
#include "terminationsignals.h"

#include <QCoreApplication>
#include <QSocketNotifier>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace Stateward {

namespace {

    int g_signalPipe[2] = { -1, -1 };
    int g_signal = 0;

    void onTerminationSignal(int sig)
    {
        const int saved = errno;
        const char byte = char(sig);
        [[maybe_unused]] const ssize_t n = ::write(g_signalPipe[1], &byte, 1);
        errno = saved;
    }

} // namespace

bool quitOnTerminationSignals()
{
    if (g_signalPipe[0] >= 0)
        return true;
    if (::pipe2(g_signalPipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return false;
    auto* notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, QCoreApplication::instance());
    QObject::connect(notifier, &QSocketNotifier::activated, notifier, [] {
        char buffer[16];
        ssize_t n = 0;
        while ((n = ::read(g_signalPipe[0], buffer, sizeof buffer)) > 0) {
            if (g_signal == 0)
                g_signal = buffer[0];
        }
        QCoreApplication::quit();
    });
    struct sigaction action = {};
    action.sa_handler = onTerminationSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (int sig : { SIGINT, SIGTERM, SIGHUP })
        ::sigaction(sig, &action, nullptr);
    return true;
}

int terminationSignal()
{
    return g_signal;
}

} // namespace Stateward
