// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Small file fixtures the tests share. Failures are recorded with QVERIFY in the calling test.
#include "snapshot/snapshot.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QMap>
#include <QRegularExpression>
#include <QTest>

#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>

namespace TestFiles {

inline void writeFile(const QString& path, const QByteArray& content)
{
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
    QCOMPARE(f.write(content), content.size());
}

// The file's bytes; `unreadable` when it cannot be opened (a missing file reads as empty unless
// the test wants the two told apart).
inline QByteArray readAll(const QString& path, const QByteArray& unreadable = {})
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : unreadable;
}

// Sets the path's own times (never a symlink's target) to `seconds` ago.
inline void backdate(const QString& path, int seconds)
{
    struct timespec times[2];
    ::clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= seconds;
    times[1] = times[0];
    QVERIFY2(
        ::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, AT_SYMLINK_NOFOLLOW) == 0, qPrintable(path));
}

// The snapshot's finding codes, sorted: what most adapter tests compare.
inline QStringList findingCodes(const Stateward::Snapshot& s)
{
    QStringList codes;
    for (const Stateward::Finding& f : s.findings)
        codes.append(f.code);
    codes.sort();
    return codes;
}

// Every file under dir (relative path → bytes; a symlink → "-> target"), to prove a command
// changed nothing there.
inline QMap<QString, QByteArray> treeContents(const QString& dir)
{
    QMap<QString, QByteArray> tree;
    QDirIterator it(
        dir, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QFileInfo info = it.fileInfo();
        QByteArray content;
        if (info.isSymLink()) {
            content = "-> " + QFile::encodeName(info.symLinkTarget());
        } else if (info.isFile()) {
            content = readAll(path, "<unreadable>");
        } else {
            content = "<dir>";
        }
        tree.insert(QDir(dir).relativeFilePath(path), content);
    }
    return tree;
}

// A trajectory record as agent-trajectories 0.4.x writes it (active/<id>.json, or completed/ with
// its completedAt when status is not "active").
inline QByteArray trajectoryRecord(
    const QString& id, const QString& title, const QString& status = QStringLiteral("active"))
{
    QString s = QStringLiteral("{\n  \"id\": \"%1\",\n  \"version\": 1,\n  \"task\": {\n    \"title\": \"%2\"\n  },\n"
                               "  \"status\": \"%3\",\n  \"startedAt\": \"2026-05-10T18:45:02.118Z\",\n"
                               "  \"agents\": [],\n  \"chapters\": [],\n  \"commits\": [],\n  \"filesChanged\": []")
                    .arg(id, title, status);
    if (status != QLatin1String("active"))
        s += QStringLiteral(",\n  \"completedAt\": \"2026-05-10T19:15:02.118Z\"");
    return (s + QStringLiteral("\n}\n")).toUtf8();
}

// The snapshot as JSON text, its scan time and the ages it reports blanked: what two scans a few
// milliseconds apart never share. Ages differ between two scans a moment apart ("refreshed 0.3 s
// ago", then "0.5 s ago"), the more so on a loaded machine: only they are masked. Limits ("stale
// after 10.0 s") stay.
inline QByteArray stableJson(Stateward::Snapshot s)
{
    s.scannedAt = QDateTime();
    QString text = QString::fromUtf8(QJsonDocument(s.toJson()).toJson(QJsonDocument::Indented));
    static const QRegularExpression ages(
        QStringLiteral("(?<=\"ageMs\": )\\d+|\\d+(?:\\.\\d+)? s(?= old| ago)|(?<=for )\\d+(?:\\.\\d+)? s"));
    text.replace(ages, QStringLiteral("N"));
    return text.toUtf8();
}

} // namespace TestFiles
