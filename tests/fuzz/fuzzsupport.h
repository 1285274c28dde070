// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What every harness of tests/fuzz shares: a private scratch directory (also $TMPDIR, so nothing a
// parser derives from a temp path leaves it), writing an input there as the tool would, and
// splitting one input into the several files one state dir holds.

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QList>
#include <QSet>

#include <cstdlib>
#include <fcntl.h>
#include <optional>
#include <unistd.h>

namespace FuzzSupport {

// Separates the files of one input, e.g. index.json and a record (tests/fuzz/README.md).
inline constexpr char kSeparator[] = "\n--8<--\n";

inline QList<QByteArray> splitInput(const uint8_t* data, size_t size, int maxParts)
{
    const QByteArray all(reinterpret_cast<const char*>(data), qsizetype(size));
    QList<QByteArray> parts;
    qsizetype from = 0;
    while (parts.size() < maxParts - 1) {
        const qsizetype at = all.indexOf(kSeparator, from);
        if (at < 0)
            break;
        parts.append(all.mid(from, at - from));
        from = at + qsizetype(sizeof kSeparator - 1);
    }
    parts.append(all.mid(from));
    return parts;
}

// The scratch dir, made once per process and removed at exit; $TMPDIR points into it.
inline const QString& scratchDir()
{
    static const QString dir = [] {
        // tmpfs when there is one: a disk's mkdir and rmdir cost more than a whole scan.
        QByteArray pattern
            = QFileInfo(QStringLiteral("/dev/shm")).isWritable() ? QByteArray("/dev/shm") : qgetenv("TMPDIR");
        pattern = (pattern.isEmpty() ? QByteArray("/tmp") : pattern) + "/stateward-fuzz-XXXXXX";
        if (!::mkdtemp(pattern.data()))
            std::abort();
        const QString path = QString::fromLocal8Bit(pattern);
        QDir(path).mkpath(QStringLiteral("tmp"));
        ::setenv("TMPDIR", (pattern + "/tmp").constData(), 1);
        std::atexit([] { QDir(scratchDir()).removeRecursively(); });
        return path;
    }();
    return dir;
}

// A directory inside the scratch dir, made on first use and kept: for the read-only scans, whose
// inputs are the files put() places in it each run.
inline QString dir(const QString& name)
{
    static QSet<QString> made;
    const QString path = scratchDir() + QLatin1Char('/') + name;
    if (!made.contains(path)) {
        QDir().mkpath(path);
        made.insert(path);
    }
    return path;
}

// A fresh, empty directory (whatever the last run left there is removed, and in $TMPDIR too): for
// targets whose code writes.
inline QString freshDir(const QString& name)
{
    const QString path = scratchDir() + QLatin1Char('/') + name;
    QDir(path).removeRecursively();
    QDir().mkpath(path);
    QDir tmp(scratchDir() + QStringLiteral("/tmp"));
    tmp.removeRecursively();
    QDir().mkpath(tmp.path());
    return path;
}

// Writes bytes as a tool would (a plain regular file; its parent dir must exist), or removes the
// file when the input has no such part.
inline void put(const QString& path, const std::optional<QByteArray>& bytes)
{
    const QByteArray name = QFile::encodeName(path);
    if (!bytes) {
        ::unlink(name.constData());
        return;
    }
    const int fd = ::open(name.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        std::abort();
    for (qsizetype done = 0; done < bytes->size();) {
        const ssize_t n = ::write(fd, bytes->constData() + done, size_t(bytes->size() - done));
        if (n <= 0)
            std::abort();
        done += n;
    }
    ::close(fd);
}

// Puts back the paths make-seeds replaced by placeholders (@WS@, @STATE@, @TMP@), so that what a
// seed names is where the harness put it.
inline void expand(QList<QByteArray>& parts, const QList<std::pair<QByteArray, QString>>& names)
{
    for (QByteArray& part : parts) {
        for (const auto& [placeholder, path] : names)
            part.replace(placeholder, QFile::encodeName(path));
    }
}

// Part i of an input, if it has one.
inline std::optional<QByteArray> part(const QList<QByteArray>& parts, qsizetype i)
{
    return i < parts.size() ? std::optional<QByteArray>(parts.at(i)) : std::nullopt;
}

} // namespace FuzzSupport
