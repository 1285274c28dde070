// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "proc/filekey.h"
#include "proc/uniquefd.h"

#include <QString>

#include <optional>

namespace Stateward {

// A state directory opened once. Every path a repair touches is resolved relative to its fd one
// component at a time with O_NOFOLLOW, so neither a symlink nor ".." in a record leads outside
// (docs/architecture.md, Safety rules). Paths are "a/b/c", relative to the state dir.
class StateDir
{
public:
    explicit StateDir(const QString& path);

    bool isOpen() const { return m_fd.isValid(); }
    const QString& error() const { return m_error; }
    const QString& path() const { return m_path; }
    int fd() const { return m_fd.get(); }

    // The relative form of an absolute path inside this directory; nullopt (and why) for anything
    // outside it, the directory itself, or a path with "." or ".." components.
    std::optional<QString> relativePath(const QString& absolute, QString* why = nullptr) const;
    QString absolutePath(const QString& relative) const;

    // The directory holding `relative`, opened component by component (O_NOFOLLOW|O_DIRECTORY);
    // missing components are made (0755) when `create`. Sets *leaf to the last component.
    UniqueFd openParent(const QString& relative, QByteArray* leaf, bool create, QString* error) const;

    // lstat of `relative` through openParent: never follows a symlink anywhere on the way.
    std::optional<FileStamp> stamp(const QString& relative) const;

    // Stateward's own area inside a state directory: quarantine and audit log. Scans skip it.
    static constexpr const char* kAreaName = ".stateward";

private:
    QString m_path;
    UniqueFd m_fd;
    QString m_error;
};

} // namespace Stateward
