// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "proc/filekey.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace Stateward {

// One read of a file that a tool (or anyone with write access to its directory) controls. Never
// blocks and never grows without bound: a FIFO would wait for a writer forever, /dev/zero never
// ends, and a symlink points anywhere. So: lstat first (a device is not even opened), then
// open(O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC), fstat the fd (regular files only, and the
// same file lstat saw), and read at most maxBytes (+1 to notice more). Every reader of such files
// in core goes through here.
struct RegularFile
{
    enum class Status
    {
        Ok,
        Missing,
        Symlink,
        NotRegular, // a FIFO, socket, device or directory: not opened, or closed unread
        TooLarge, // more than maxBytes (with Overflow::KeepPrefix, `bytes` holds the first maxBytes)
        Unreadable, // open or read failed (`error`)
    };
    Status status = Status::Missing;
    QByteArray bytes;
    FileStamp stamp; // of the file read (from fstat before reading); lstat's for NotRegular
    int error = 0; // errno when Unreadable
    QString problem; // one line for evidence, without the path; empty when Ok or Missing

    bool ok() const { return status == Status::Ok; }
    bool exists() const { return status != Status::Missing; }
};

enum class Overflow
{
    Refuse, // TooLarge, no bytes
    KeepPrefix, // TooLarge, the first maxBytes (for classifying by a prefix)
};

RegularFile readRegularFile(int dirFd, const char* name, qint64 maxBytes, Overflow overflow = Overflow::Refuse);
RegularFile readRegularFile(const QString& path, qint64 maxBytes, Overflow overflow = Overflow::Refuse);

// SHA-256 (lower-case hex) of a regular file, read in chunks: memory stays flat whatever its size.
// nullopt (with *problem) when it is missing, not a regular file, or unreadable.
std::optional<QByteArray> sha256OfRegularFile(int dirFd, const char* name, QString* problem = nullptr);

// "a FIFO", "a socket", "a character device", …: what a non-regular st_mode is, for evidence.
QString fileTypeName(unsigned mode);

} // namespace Stateward
