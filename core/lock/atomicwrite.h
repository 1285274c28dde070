// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "proc/filekey.h"

#include <QByteArrayView>
#include <QString>

#include <optional>

namespace Stateward {

// Replaces a file's content so every reader sees the old bytes or the new ones, never a mix:
// a unique tmp "X.<pid>.<hex>.stateward.tmp" beside X, write, fsync, rename, fsync the
// directory. Keeps X's permission bits. Refuses when X is a symlink or not a regular file.
struct AtomicWriteOptions
{
    // Compare-before-rename: when set, X must still be exactly this (inode, size, mtime) right
    // before the rename, or nothing is replaced (a writer without a lock changed it meanwhile).
    std::optional<FileStamp> expected;
    // The file must not exist yet (the tool creates it only when missing): checked right before
    // the rename, like `expected`.
    bool expectAbsent = false;
    // Mode for a new file (an existing file's mode always wins).
    unsigned newFileMode = 0644;
};

struct AtomicWriteResult
{
    bool ok = false;
    bool changedMeanwhile = false; // `expected` no longer held
    QString error; // names the file and the problem
};

AtomicWriteResult atomicWrite(const QString& path, QByteArrayView data, const AtomicWriteOptions& options = {});

} // namespace Stateward
