// SPDX-License-Identifier: GPL-3.0-or-later
// sw-lockbench: our LockFile under the same workloads as the codegraph drivers.
//   sw-lockbench uncontended DIR OPS         lock + append one line + release, OPS times
//   sw-lockbench contend DIR OPS START_MS     one of N contending processes; logs the
//                                             CLOCK_MONOTONIC entry/exit of each hold
// DIR is the journal directory (…/.codegraph). Output: one JSON line.
#include "lock/lockfile.h"

#include <QByteArray>
#include <QDateTime>
#include <QThread>

#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

namespace {

qint64 monotonicNs()
{
    timespec ts {};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool appendLine(const QByteArray& journal, const QByteArray& line)
{
    const int fd = ::open(journal.constData(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, line.constData(), size_t(line.size())) == line.size();
    ::close(fd);
    return ok;
}

} // namespace

int main(int argc, char* argv[])
{
    if (argc < 4) {
        std::fprintf(stderr, "usage: sw-lockbench uncontended|contend DIR OPS [START_EPOCH_MS]\n");
        return 2;
    }
    const QByteArray mode = argv[1];
    const QString dir = QString::fromLocal8Bit(argv[2]);
    const long ops = std::atol(argv[3]);
    const QByteArray journal = QByteArray(argv[2]) + "/changes.journal";
    Stateward::LockFile lock(dir + QLatin1String("/changes.journal"));

    if (mode == "uncontended") {
        const qint64 t0 = monotonicNs();
        for (long i = 0; i < ops; ++i) {
            if (lock.tryLock() != Stateward::LockFile::Status::Acquired) {
                std::fprintf(stderr, "sw-lockbench: %s\n", qPrintable(lock.errorString()));
                return 1;
            }
            appendLine(journal, "bench-line-" + QByteArray::number(qlonglong(i)) + '\n');
            lock.unlock();
        }
        std::printf("{\"impl\":\"stateward\",\"op\":\"uncontended\",\"ops\":%ld,\"ns_per_op\":%lld}\n", ops,
            static_cast<long long>((monotonicNs() - t0) / ops));
        return 0;
    }
    if (mode == "contend" && argc >= 5) {
        const qint64 start = std::atoll(argv[4]);
        while (QDateTime::currentMSecsSinceEpoch() < start)
            QThread::usleep(200);
        QByteArray out = "{\"impl\":\"stateward\",\"op\":\"contended\",\"pid\":" + QByteArray::number(::getpid())
            + ",\"intervals\":[";
        for (long i = 0; i < ops; ++i) {
            if (!lock.lock(std::chrono::seconds(60))) {
                std::fprintf(stderr, "sw-lockbench: %s\n", qPrintable(lock.errorString()));
                return 1;
            }
            const qint64 in = monotonicNs();
            appendLine(
                journal, "contend-" + QByteArray::number(::getpid()) + '-' + QByteArray::number(qlonglong(i)) + '\n');
            lock.unlock();
            const qint64 outNs = monotonicNs();
            out += (i ? ",[" : "[") + QByteArray::number(in) + ',' + QByteArray::number(outNs) + ']';
        }
        out += "]}\n";
        std::fwrite(out.constData(), 1, size_t(out.size()), stdout);
        return 0;
    }
    std::fprintf(stderr, "sw-lockbench: unknown mode %s\n", argv[1]);
    return 2;
}
