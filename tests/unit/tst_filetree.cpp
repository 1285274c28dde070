// SPDX-License-Identifier: GPL-3.0-or-later
// TreeFingerprint::updated against a whole walk: after every step of a seeded random sequence of
// file and directory changes across nested directories, the tree updated from the one before (the
// directories named as a directory watch names them) equals TreeFingerprint::of, and what it says
// changed, its lookups and its recent entries agree with the entries themselves.
#include "proc/filetree.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Stateward;

namespace {

// A step's changes, as QFileSystemWatcher reports them: the directories whose entries changed,
// and the files written in place.
struct Step
{
    QSet<QString> named;
    QStringList touched; // given an mtime of their own, far from the walks
};

QStringList pathsOf(const TreeEntries& entries)
{
    QStringList out;
    for (const TreeEntry& e : entries)
        out.append(e.path);
    return out;
}

// The paths whose entry differs between two trees, compared one by one.
QStringList differences(const TreeFingerprint& before, const TreeFingerprint& now)
{
    QHash<QString, const TreeEntry*> was;
    for (const TreeEntry& e : before.entries)
        was.insert(e.path, &e);
    QStringList out;
    for (const TreeEntry& e : now.entries) {
        const TreeEntry* old = was.take(e.path);
        if (!old || !(*old == e) || old->ctimeNs != e.ctimeNs)
            out.append(e.path);
    }
    for (const TreeEntry* gone : std::as_const(was))
        out.append(gone->path);
    out.sort();
    return out;
}

QStringList recentOf(const TreeFingerprint& tree)
{
    QStringList out;
    for (const TreeEntry& e : tree.entries) {
        if (std::max(e.stamp.mtimeNs, e.ctimeNs) >= tree.takenAtNs - TreeFingerprint::kRecentWindowNs)
            out.append(e.path);
    }
    out.sort();
    return out;
}

bool racyOf(const TreeFingerprint& tree)
{
    return std::any_of(tree.entries.cbegin(), tree.entries.cend(),
        [&](const TreeEntry& e) { return e.stamp.mtimeNs >= tree.takenAtNs - TreeFingerprint::kRacyWindowNs; });
}

} // namespace

class TestFileTree : public QObject
{
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_root;
    QRandomGenerator m_random;
    qint64 m_nextMtime = 0;
    int m_nextName = 0;

    int pick(qsizetype n) { return int(m_random.bounded(quint32(n))); }

    QStringList under(bool dirs, bool withRoot = false)
    {
        QStringList out;
        if (dirs && withRoot)
            out.append(m_root);
        for (const TreeEntry& e : TreeFingerprint::of(m_root).entries) {
            if (e.depth > 0 && !e.stamp.isSymlink && e.stamp.isDirectory == dirs)
                out.append(e.path);
        }
        return out;
    }

    QString parentOf(const QString& path) { return path.left(path.lastIndexOf(QLatin1Char('/'))); }

    QString newName(const QString& dir, const char* kind)
    {
        return QStringLiteral("%1/%2%3").arg(dir, QLatin1String(kind)).arg(m_nextName++);
    }

    void write(const QString& path, int size)
    {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(f.write(QByteArray(size, 'x')), qint64(size));
    }

    // One random change; false when there was nothing to apply it to.
    bool change(Step& step)
    {
        const QStringList dirs = under(true, true);
        const QStringList files = under(false);
        const QString dir = dirs.at(pick(dirs.size()));
        switch (pick(9)) {
        case 0: { // a new file
            const QString path = newName(dir, "f");
            write(path, pick(64));
            step.named.insert(dir);
            step.touched << path << dir;
            return true;
        }
        case 1: { // a new directory, with a file in it at times
            if (QStringView(dir).mid(m_root.size()).count(QLatin1Char('/')) >= 5)
                return false;
            const QString path = newName(dir, "d");
            if (!QDir().mkdir(path))
                return false;
            step.named.insert(dir);
            step.touched << path << dir;
            if (pick(2)) {
                write(path + QLatin1String("/inner"), 3);
                step.touched << path + QLatin1String("/inner");
            }
            return true;
        }
        case 2: { // a file removed
            if (files.isEmpty())
                return false;
            const QString path = files.at(pick(files.size()));
            if (!QFile::remove(path))
                return false;
            step.named.insert(parentOf(path));
            step.touched << parentOf(path);
            return true;
        }
        case 3: { // a rename-replace: a new file renamed over another, as an atomic save does
            if (files.isEmpty())
                return false;
            const QString path = files.at(pick(files.size()));
            const QString tmp = path + QLatin1String(".tmp");
            write(tmp, pick(64));
            if (::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(path).constData()) != 0)
                return false;
            step.named.insert(parentOf(path));
            step.touched << path << parentOf(path);
            return true;
        }
        case 4: { // a file moved to another directory
            if (files.isEmpty())
                return false;
            const QString from = files.at(pick(files.size()));
            const QString to = newName(dir, "m");
            if (!QFile::rename(from, to))
                return false;
            step.named << parentOf(from) << dir;
            step.touched << parentOf(from) << dir;
            return true;
        }
        case 5: { // a directory removed with everything in it
            const QStringList inner = under(true);
            if (inner.isEmpty())
                return false;
            const QString path = inner.at(pick(inner.size()));
            if (!QDir(path).removeRecursively())
                return false;
            step.named << parentOf(path) << path;
            step.touched << parentOf(path);
            return true;
        }
        case 6: { // a directory moved elsewhere (never into itself)
            const QStringList inner = under(true);
            if (inner.isEmpty())
                return false;
            const QString from = inner.at(pick(inner.size()));
            if (dir == from || dir.startsWith(from + QLatin1Char('/'))
                || QStringView(dir).mid(m_root.size()).count(QLatin1Char('/')) >= 4)
                return false;
            const QString to = newName(dir, "r");
            if (::rename(QFile::encodeName(from).constData(), QFile::encodeName(to).constData()) != 0)
                return false;
            step.named << parentOf(from) << dir;
            step.touched << parentOf(from) << dir << to;
            return true;
        }
        case 7: { // a file written in place to another size: only a watch on the file names it
            if (files.isEmpty())
                return false;
            const QString path = files.at(pick(files.size()));
            write(path, 64 + pick(64));
            step.named.insert(path);
            step.touched << path;
            return true;
        }
        default: { // a symlink to a directory: an entry, never followed
            const QString path = newName(dir, "l");
            if (!QFile::link(m_root, path))
                return false;
            step.named.insert(dir);
            step.touched << path << dir;
            return true;
        }
        }
    }

    // Every time this step touched set far in the past, one second apart: stamps still move
    // with every change, and no entry is racy for either walk, whenever it runs.
    void age(const QStringList& touched)
    {
        for (const QString& path : touched) {
            const struct timespec times[2] = { { m_nextMtime, 0 }, { m_nextMtime, 0 } };
            ++m_nextMtime;
            ::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, AT_SYMLINK_NOFOLLOW);
        }
    }

    // The ways to read TreeEntries say the same: its iterator, at(), toList(), and its lists (one
    // per directory, none empty, each of one directory's entries); split anew by hand, it is equal.
    void entriesAgree(const TreeEntries& entries)
    {
        const QList<TreeEntry> list = entries.toList();
        QCOMPARE(list.size(), entries.size());
        QCOMPARE(entries.isEmpty(), list.isEmpty());
        qsizetype i = 0;
        for (const TreeEntry& e : entries) {
            QVERIFY(&entries.at(i) == &e);
            QVERIFY(list.at(i) == e);
            ++i;
        }
        QCOMPARE(i, entries.size());
        qsizetype inLists = 0;
        QSet<QString> dirs;
        for (const QList<TreeEntry>& chunk : entries.chunks()) {
            QVERIFY(!chunk.isEmpty());
            inLists += chunk.size();
            const QString dir = chunk.first().depth == 0 ? QString() : parentOf(chunk.first().path);
            QVERIFY(!dirs.contains(dir)); // each directory's entries together
            dirs.insert(dir);
            for (const TreeEntry& e : chunk)
                QCOMPARE(e.depth == 0 ? QString() : parentOf(e.path), dir);
        }
        QCOMPARE(inLists, entries.size());
        const TreeEntries split(list);
        QCOMPARE(split.chunks().size(), entries.chunks().size());
        QVERIFY(split == entries);
    }

    // What updated() gives beside a whole walk, and what it says of itself beside its entries.
    void compare(const TreeFingerprint& before, const TreeFingerprint& updated, const TreeFingerprint& walked)
    {
        QCOMPARE(pathsOf(updated.entries), pathsOf(walked.entries));
        QVERIFY(updated.entries == walked.entries);
        QCOMPARE(updated.complete, walked.complete);
        QCOMPARE(updated.racy, walked.racy);
        QCOMPARE(updated.racy, racyOf(updated));
        QCOMPARE(walked.racy, racyOf(walked));

        // A tree cut short (past the depth bound) is walked whole, as of() would.
        const QStringList* changed = updated.changedSince(before);
        QCOMPARE(bool(changed), before.complete);
        if (changed) {
            QStringList sorted = *changed;
            sorted.sort();
            QCOMPARE(sorted, differences(before, updated));
        }
        QVERIFY(!walked.changedSince(before));
        QCOMPARE(TreeFingerprint::unchanged(before, updated),
            before.complete && updated.complete && !before.racy && before.entries == updated.entries);

        for (const TreeFingerprint* tree : { &updated, &walked }) {
            entriesAgree(tree->entries);
            for (const TreeEntry& e : tree->entries)
                QVERIFY(tree->find(e.path) == &e);
            QVERIFY(!tree->find(m_root + QLatin1String("/nowhere")));
            QStringList recent;
            for (const TreeEntry* e : tree->recentEntries())
                recent.append(e->path);
            recent.sort();
            QCOMPARE(recent, recentOf(*tree));
        }
    }

private slots:
    void init()
    {
        QVERIFY(m_tmp.isValid());
        m_root = m_tmp.path() + QLatin1String("/state");
        QVERIFY(QDir().mkpath(m_root + QLatin1String("/a/b")));
        QVERIFY(QDir().mkpath(m_root + QLatin1String("/.stateward"))); // left out of every tree
        m_nextMtime = 1577836800; // 2020-01-01
        m_nextName = 0;
        age({ m_root, m_root + QLatin1String("/a"), m_root + QLatin1String("/a/b") });
    }

    void cleanup() { QDir(m_root).removeRecursively(); }

    void updatedEqualsAWholeWalk_data()
    {
        QTest::addColumn<quint32>("seed");
        for (quint32 seed : { 1u, 2u, 3u, 4u, 5u })
            QTest::addRow("seed %u", seed) << seed;
    }

    void updatedEqualsAWholeWalk()
    {
        QFETCH(quint32, seed);
        m_random.seed(seed);
        TreeFingerprint tree = TreeFingerprint::of(m_root);
        QVERIFY(tree.complete && !tree.racy);
        int applied = 0;
        for (int round = 0; round < 150; ++round) {
            Step step;
            const int changes = 1 + pick(4);
            for (int i = 0; i < changes; ++i) {
                applied += change(step) ? 1 : 0;
                if (QTest::currentTestFailed())
                    return;
                age(step.touched); // now: a later change may move them
                step.touched.clear();
            }
            const TreeFingerprint updated = TreeFingerprint::updated(m_root, tree, step.named);
            const TreeFingerprint walked = TreeFingerprint::of(m_root);
            compare(tree, updated, walked);
            if (QTest::currentTestFailed()) {
                qWarning() << "seed" << seed << "round" << round << "named" << step.named;
                return;
            }
            tree = updated; // the next update starts from this one, as a watch's scans do
        }
        QVERIFY(applied > 150);
    }

    // An update shares the entries of every directory it did not list again with the tree before
    // (what makes it cost what changed, not the whole tree): only the changed directory and the
    // ones above it are new lists.
    void updatedSharesTheDirectoriesItKept()
    {
        QStringList touched { m_root, m_root + QLatin1String("/c") };
        QVERIFY(QDir().mkpath(m_root + QLatin1String("/c")));
        for (int d = 0; d < 6; ++d) {
            const QString dir = m_root + QStringLiteral("/c/d%1").arg(d);
            QVERIFY(QDir().mkdir(dir));
            touched << dir;
            for (int f = 0; f < 5; ++f) {
                write(dir + QStringLiteral("/f%1").arg(f), f);
                touched << dir + QStringLiteral("/f%1").arg(f);
            }
        }
        age(touched);
        const TreeFingerprint before = TreeFingerprint::of(m_root);
        QVERIFY(before.complete && !before.racy);

        const QString changedDir = m_root + QLatin1String("/c/d3");
        const QString tmp = changedDir + QLatin1String("/f2.tmp");
        write(tmp, 40);
        QCOMPARE(::rename(QFile::encodeName(tmp).constData(),
                     QFile::encodeName(changedDir + QLatin1String("/f2")).constData()),
            0);
        age({ changedDir + QLatin1String("/f2"), changedDir });
        const TreeFingerprint updated = TreeFingerprint::updated(m_root, before, { changedDir });
        const TreeFingerprint walked = TreeFingerprint::of(m_root);
        compare(before, updated, walked);

        QHash<QString, const TreeEntry*> listOf; // each directory's list before, by where it lies
        for (const QList<TreeEntry>& chunk : before.entries.chunks())
            listOf.insert(parentOf(chunk.first().path), chunk.constData());
        int shared = 0;
        for (const QList<TreeEntry>& chunk : updated.entries.chunks()) {
            const QString dir = parentOf(chunk.first().path);
            // The root's own entry, its entries, c's (on the way down) and c/d3's are listed again.
            const bool listedAgain
                = chunk.first().depth == 0 || dir == m_root || dir == m_root + QLatin1String("/c") || dir == changedDir;
            QCOMPARE(chunk.constData() == listOf.value(dir), !listedAgain);
            shared += listedAgain ? 0 : 1;
        }
        QCOMPARE(shared, 5 + 1); // c/d0..d5 but d3, and a's (a/b)
        QVERIFY(updated.entries == walked.entries);
        QVERIFY(!(updated.entries == before.entries));
    }

    // Names are spelled once per walk: ASCII as it is, other valid UTF-8 decoded, and a name that
    // is not valid UTF-8 never an entry, only reported.
    void namesAreSpelledExactly()
    {
        const QString accented = m_root + QStringLiteral("/a/caf\u00e9.json");
        write(accented, 1);
        write(m_root + QLatin1String("/a/plain.json"), 1);
        const QByteArray invalid = QFile::encodeName(m_root) + "/a/bad\xff.json";
        const int fd = ::open(invalid.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        QVERIFY(fd >= 0);
        ::close(fd);
        const auto cleanUp = qScopeGuard([&] { ::unlink(invalid.constData()); }); // no QString names it
        const TreeFingerprint tree = TreeFingerprint::of(m_root);
        QVERIFY(tree.find(accented));
        QVERIFY(tree.find(m_root + QLatin1String("/a/plain.json")));
        QCOMPARE(tree.undecodable, QStringList { m_root + QLatin1String("/a/bad\\xff.json") });
        QCOMPARE(under(false).size(), 2);
    }

    // A tree whose entries were edited by hand is indexed anew, never read through a stale index.
    void editedEntriesAreIndexedAnew()
    {
        write(m_root + QLatin1String("/a/one"), 1);
        write(m_root + QLatin1String("/a/b/two"), 2);
        age({ m_root + QLatin1String("/a/one"), m_root + QLatin1String("/a/b/two"), m_root + QLatin1String("/a"),
            m_root + QLatin1String("/a/b") });
        const TreeFingerprint walked = TreeFingerprint::of(m_root);
        TreeFingerprint edited = walked;
        QList<TreeEntry> entries = walked.entries.toList();
        entries.removeLast();
        edited.entries = TreeEntries(entries);
        QVERIFY(edited.find(m_root + QLatin1String("/a/one")));
        QVERIFY(!edited.find(m_root + QLatin1String("/a/b/two")));
        QVERIFY(walked.find(m_root + QLatin1String("/a/b/two")));
        const TreeFingerprint updated = TreeFingerprint::updated(m_root, edited, { m_root + QLatin1String("/a/b") });
        QCOMPARE(pathsOf(updated.entries), pathsOf(walked.entries));
        QVERIFY(!updated.changedSince(edited)); // against an index made for the call only
        QVERIFY(!TreeFingerprint::unchanged(edited, updated));
        QVERIFY(TreeFingerprint::unchanged(walked, updated));
    }
};

QTEST_GUILESS_MAIN(TestFileTree)
#include "tst_filetree.moc"
