// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the benchmarks read of their own process: peak and current memory, CPU time.
#include <QByteArray>
#include <QFile>

#include <ctime>

namespace BenchProcess {

// A field of /proc/self/status (VmHWM, VmRSS, …) in KiB; -1 when it cannot be read.
inline qint64 statusKiB(const char* field)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray key = QByteArray(field) + ':';
    for (const QByteArray& line : f.readAll().split('\n')) {
        if (line.startsWith(key))
            return line.mid(key.size()).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

inline qint64 threadCpuNs()
{
    timespec ts {};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

} // namespace BenchProcess
