// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

// Small, race-tolerant readers for /proc. A process may exit between two reads and permission
// errors are normal, so every call reports errno instead of failing loudly.
namespace Stateward::ProcFs {

struct ReadResult
{
    QByteArray data;
    int error = 0; // errno of the failing call, 0 on success
    bool ok() const { return error == 0; }
};

// Reads a whole file relative to dirFd (AT_FDCWD for absolute paths) through readRegularFile
// (regularfile.h). /proc files report size 0, so this reads until EOF, up to maxBytes.
ReadResult readAt(int dirFd, const char* name, qsizetype maxBytes = 4 * 1024 * 1024);
ReadResult readLinkAt(int dirFd, const char* name);

qint64 clockTicksPerSecond();
// Boot time in ms since the epoch, derived from CLOCK_REALTIME - CLOCK_BOOTTIME: /proc/stat's
// btime is truncated to whole seconds, which would blur "started after" judgements by up to 1 s.
qint64 bootTimeMsecs();
// btime from /proc/stat, in seconds since the epoch (for cross-checking and display).
qint64 bootTimeSecondsFromStat();
QString bootId();
QString hostName();
qint64 pidMax();

QString errorText(int error);

// Splits without copying (QByteArrayView::split arrives only in Qt 6.8).
enum class SplitBehavior
{
    KeepEmpty,
    SkipEmpty
};
QList<QByteArrayView> split(QByteArrayView text, char separator, SplitBehavior behavior = SplitBehavior::KeepEmpty);

} // namespace Stateward::ProcFs
