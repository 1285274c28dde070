// SPDX-License-Identifier: GPL-3.0-or-later
#include "lock/atomicwrite.h"
#include "testfiles.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Stateward;

class TestAtomicWrite : public QObject
{
    Q_OBJECT

    static int leftovers(const QString& dir)
    {
        return int(QDir(dir).entryList({ QStringLiteral("*.tmp") }, QDir::Files | QDir::Hidden).size());
    }

private slots:
    void createsAndReplacesKeepingMode()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("state.json"));
        AtomicWriteResult r = atomicWrite(path, "{\"jobs\":[]}");
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(TestFiles::readAll(path, "<unreadable>"), QByteArray("{\"jobs\":[]}"));

        QVERIFY(::chmod(QFile::encodeName(path).constData(), 0600) == 0);
        const auto before = FileStamp::ofPath(path);
        r = atomicWrite(path, "{\"jobs\":[1]}");
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(TestFiles::readAll(path, "<unreadable>"), QByteArray("{\"jobs\":[1]}"));
        struct stat st
        {
        };
        QVERIFY(::stat(QFile::encodeName(path).constData(), &st) == 0);
        QCOMPARE(st.st_mode & 07777, mode_t(0600));
        QVERIFY(FileStamp::ofPath(path)->key != before->key); // a new inode: readers saw old or new
        QCOMPARE(leftovers(dir.path()), 0);
    }

    void compareBeforeRename()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("index.json"));
        QVERIFY(atomicWrite(path, "v1").ok);
        const auto seen = FileStamp::ofPath(path);
        QVERIFY(seen);
        AtomicWriteOptions expectV1;
        expectV1.expected = *seen;
        // A lock-less writer replaced it after we read it: we must not overwrite its version.
        QVERIFY(atomicWrite(path, "v2 by another tool").ok);
        const AtomicWriteResult r = atomicWrite(path, "v2 by us", expectV1);
        QVERIFY(!r.ok);
        QVERIFY(r.changedMeanwhile);
        QVERIFY(r.error.contains(QStringLiteral("changed since it was read")));
        QCOMPARE(TestFiles::readAll(path, "<unreadable>"), QByteArray("v2 by another tool"));
        QCOMPARE(leftovers(dir.path()), 0);

        AtomicWriteOptions expectCurrent;
        expectCurrent.expected = *FileStamp::ofPath(path);
        QVERIFY(atomicWrite(path, "v3", expectCurrent).ok);
        QCOMPARE(TestFiles::readAll(path, "<unreadable>"), QByteArray("v3"));
    }

    void refusesSymlinksAndDirectories()
    {
        QTemporaryDir dir;
        const QString victim = dir.filePath(QStringLiteral("victim"));
        QVERIFY(atomicWrite(victim, "precious").ok);
        const QString link = dir.filePath(QStringLiteral("browse.json"));
        QVERIFY(QFile::link(victim, link));
        AtomicWriteResult r = atomicWrite(link, "evil");
        QVERIFY(!r.ok);
        QVERIFY(r.error.contains(QStringLiteral("is a symlink")));
        QVERIFY(r.error.contains(link));
        QCOMPARE(TestFiles::readAll(victim, "<unreadable>"), QByteArray("precious"));
        QVERIFY(QFileInfo(link).isSymLink());

        const QString sub = dir.filePath(QStringLiteral("sub"));
        QVERIFY(QDir().mkdir(sub));
        r = atomicWrite(sub, "x");
        QVERIFY(!r.ok);
        QVERIFY(r.error.contains(QStringLiteral("not a regular file")));

        r = atomicWrite(dir.filePath(QStringLiteral("missing/dir/file")), "x");
        QVERIFY(!r.ok);
        QVERIFY(r.error.contains(QStringLiteral("cannot open its directory")));
        QCOMPARE(leftovers(dir.path()), 0);
    }

    void largeContent()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("big"));
        const QByteArray big(8 * 1024 * 1024 + 3, 'x');
        QVERIFY(atomicWrite(path, big).ok);
        QCOMPARE(QFileInfo(path).size(), big.size());
    }
};

QTEST_GUILESS_MAIN(TestAtomicWrite)
#include "tst_atomicwrite.moc"
