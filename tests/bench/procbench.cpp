// SPDX-License-Identifier: GPL-3.0-or-later
// sw-procbench N: spawns N real idle processes (each holding a file open), then times one
// /proc/*/fd holder scan, one /proc/locks read and one full inspectProcess per child.
// Prints a small table; the children are killed and reaped before exit.
#include "proc/kernellocks.h"
#include "proc/openfiles.h"
#include "proc/processinfo.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

int main(int argc, char* argv[])
{
    const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
    QTemporaryDir dir;
    const QByteArray file = QFile::encodeName(dir.filePath(QStringLiteral("held")));
    ::close(::open(file.constData(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    std::vector<pid_t> children;
    for (int i = 0; i < n; ++i) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::open(file.constData(), O_RDONLY); // held open until killed
            ::pause();
            ::_exit(0);
        }
        if (pid < 0)
            break;
        children.push_back(pid);
    }
    ::usleep(300000);

    auto timeIt = [](auto&& f, int reps) {
        std::vector<qint64> us;
        for (int i = 0; i < reps; ++i) {
            QElapsedTimer t;
            t.start();
            f();
            us.push_back(t.nsecsElapsed() / 1000);
        }
        std::sort(us.begin(), us.end());
        return us[us.size() / 2];
    };
    Stateward::OpenFileTable table;
    const qint64 scanUs = timeIt([&] { table = Stateward::OpenFileTable::scan(); }, 5);
    const auto key = Stateward::FileKey::ofPath(dir.filePath(QStringLiteral("held")));
    const qint64 locksUs = timeIt([] { Stateward::KernelLockTable::read(); }, 5);
    const qint64 inspectUs = timeIt(
        [&] {
            for (pid_t p : children)
                Stateward::inspectProcess(p);
        },
        3);

    std::printf("process inspection, %zu extra processes (%d processes scanned, %lld fds)\n", children.size(),
        table.processesScanned(), static_cast<long long>(table.descriptorsSeen()));
    std::printf("  /proc/*/fd holder scan          %8.2f ms   (holders of the shared file found: %lld)\n",
        scanUs / 1000.0, static_cast<long long>(key ? table.holders(*key).size() : -1));
    std::printf("  /proc/locks read + parse        %8.2f ms\n", locksUs / 1000.0);
    std::printf(
        "  inspectProcess, per process     %8.1f us\n", double(inspectUs) / std::max<size_t>(1, children.size()));
    for (pid_t p : children)
        ::kill(p, SIGKILL);
    for (pid_t p : children)
        ::waitpid(p, nullptr, 0);
    return 0;
}
