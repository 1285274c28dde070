// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QHashFunctions>
#include <QString>

#include <optional>

struct stat;

namespace Stateward {

// Identity of a file on this machine: (device, inode), as stat(2) reports them. Paths can be
// renamed or replaced; this is what /proc/*/fd and /proc/locks agree on.
struct FileKey
{
    quint64 device = 0;
    quint64 inode = 0;

    bool isValid() const { return inode != 0; }
    friend bool operator==(const FileKey&, const FileKey&) = default;
    QString toString() const; // "MAJ:MIN:INODE" with hex device numbers, as /proc/locks prints
    static FileKey fromStat(const struct stat& st);
    static FileKey fromMajorMinor(quint32 major, quint32 minor, quint64 inode);
    // lstat(2): the key of the path itself, never of a symlink's target.
    static std::optional<FileKey> ofPath(const QString& path);
};

// What a file looked like at one moment: identity plus size and mtime. Compared right before
// acting (steal, rename-over) to prove nobody replaced or rewrote it since it was judged.
struct FileStamp
{
    FileKey key;
    qint64 size = -1;
    qint64 mtimeNs = 0; // since the epoch
    bool isDirectory = false;
    bool isSymlink = false;

    bool isValid() const { return key.isValid(); }
    qint64 mtimeMs() const { return mtimeNs / 1000000; }
    friend bool operator==(const FileStamp&, const FileStamp&) = default;
    static FileStamp fromStat(const struct stat& st);
    static std::optional<FileStamp> ofPath(const QString& path); // lstat: never follows a symlink
};

inline size_t qHash(const FileKey& key, size_t seed = 0) noexcept
{
    return qHashMulti(seed, key.device, key.inode);
}

} // namespace Stateward
