// SPDX-License-Identifier: GPL-3.0-or-later
// TreeFingerprint::updated against a whole walk: after every step of a seeded random sequence of
// file and directory changes across nested directories, the tree updated from the one before (the
// directories named as a directory watch names them, or each entry as inotify names it) equals
// TreeFingerprint::of, and what it says changed, its lookups and its recent entries agree with the
// entries themselves.
#include "proc/filetree.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Stateward;

namespace {

// A step's changes, as QFileSystemWatcher reports them (named: the directories whose entries
// changed, and the files written in place) and as inotify with names reports them (names: each
// entry created, removed, moved from or to, written or whose attributes changed, by its path in
// its directory; a directory's own attribute change by the directory).
struct Step
{
    QSet<QString> named;
    QSet<QString> names;
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

    QStringList symlinks()
    {
        QStringList out;
        for (const TreeEntry& e : TreeFingerprint::of(m_root).entries) {
            if (e.stamp.isSymlink)
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

    // One random change of the first `kinds` kinds; false when there was nothing to apply it to.
    bool change(Step& step, int kinds = 9)
    {
        const QStringList dirs = under(true, true);
        const QStringList files = under(false);
        const QString dir = dirs.at(pick(dirs.size()));
        switch (pick(kinds)) {
        case 0: { // a new file
            const QString path = newName(dir, "f");
            write(path, pick(64));
            step.named.insert(dir);
            step.names.insert(path);
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
            step.names.insert(path);
            step.touched << path << dir;
            if (pick(2)) {
                write(path + QLatin1String("/inner"), 3);
                step.names.insert(path + QLatin1String("/inner"));
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
            step.names.insert(path);
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
            step.names << tmp << path;
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
            step.names << from << to;
            step.touched << parentOf(from) << dir;
            return true;
        }
        case 5: { // a directory removed with everything in it
            const QStringList inner = under(true);
            if (inner.isEmpty())
                return false;
            const QString path = inner.at(pick(inner.size()));
            for (const TreeEntry& e : TreeFingerprint::of(path).entries)
                step.names.insert(e.path); // each one deleted, and the directory itself
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
            step.names << from << to;
            step.touched << parentOf(from) << dir << to;
            return true;
        }
        case 7: { // a file written in place to another size: only a watch on the file names it
            if (files.isEmpty())
                return false;
            const QString path = files.at(pick(files.size()));
            write(path, 64 + pick(64));
            step.named.insert(path);
            step.names.insert(path);
            step.touched << path;
            return true;
        }
        case 8: { // a symlink to a directory: an entry, never followed
            const QString path = newName(dir, "l");
            if (!QFile::link(m_root, path))
                return false;
            step.named.insert(dir);
            step.names.insert(path);
            step.touched << path << dir;
            return true;
        }
        case 9: { // a file written in place to the same size
            if (files.isEmpty())
                return false;
            const QString path = files.at(pick(files.size()));
            write(path, int(QFileInfo(path).size()));
            step.named.insert(path);
            step.names.insert(path);
            step.touched << path;
            return true;
        }
        case 10: { // a symlink replaced by another, renamed over it
            const QStringList links = symlinks();
            if (links.isEmpty())
                return false;
            const QString path = links.at(pick(links.size()));
            const QString tmp = path + QLatin1String(".new");
            if (!QFile::link(parentOf(path), tmp)
                || ::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(path).constData()) != 0)
                return false;
            step.named.insert(parentOf(path));
            step.names << tmp << path;
            step.touched << path << parentOf(path);
            return true;
        }
        case 11: { // a file's mode changed: its ctime moves, nothing else
            if (files.isEmpty())
                return false;
            const QString path = files.at(pick(files.size()));
            const QFileInfo info(path);
            if (::chmod(QFile::encodeName(path).constData(), (info.permissions() & QFile::ReadGroup) ? 0600 : 0644)
                != 0)
                return false;
            step.named.insert(path);
            step.names.insert(path);
            return true;
        }
        default: { // a directory's mode changed (still readable): named as itself
            const QFileInfo info(dir);
            if (::chmod(QFile::encodeName(dir).constData(), (info.permissions() & QFile::ReadGroup) ? 0700 : 0755) != 0)
                return false;
            step.named.insert(dir);
            step.names.insert(dir);
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

    // The lists an update kept: a directory no named path leads into (nothing in it looked at)
    // shares before's list, but the root when it is listed on every update; with every change
    // named, so does each directory not named itself whose entries are all as they were.
    void keptShared(const TreeFingerprint& before, const TreeFingerprint& updated, const QSet<QString>& names,
        bool everyChangeNamed)
    {
        QHash<QString, const QList<TreeEntry>*> listOf;
        for (const QList<TreeEntry>& chunk : before.entries.chunks()) {
            if (chunk.first().depth > 0)
                listOf.insert(parentOf(chunk.first().path), &chunk);
        }
        for (const QList<TreeEntry>& chunk : updated.entries.chunks()) {
            const QString dir = parentOf(chunk.first().path);
            const QList<TreeEntry>* was = listOf.value(dir);
            if (chunk.first().depth == 0 || !was)
                continue;
            const bool shared = chunk.constData() == was->constData();
            const bool leadsInto = std::any_of(names.cbegin(), names.cend(),
                [&](const QString& n) { return n == dir || n.startsWith(dir + QLatin1Char('/')); });
            if (!leadsInto && (everyChangeNamed || dir != m_root))
                QVERIFY2(shared, qPrintable(dir));
            const bool asItWas = std::equal(was->cbegin(), was->cend(), chunk.cbegin(), chunk.cend(),
                [](const TreeEntry& a, const TreeEntry& b) { return a == b && a.ctimeNs == b.ctimeNs; });
            if (everyChangeNamed && !names.contains(dir) && asItWas)
                QVERIFY2(shared, qPrintable(dir));
        }
    }

    void setMtime(const QString& path, qint64 seconds)
    {
        const struct timespec times[2] = { { seconds, 0 }, { seconds, 0 } };
        QCOMPARE(::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, AT_SYMLINK_NOFOLLOW), 0);
    }

    // Seeded random steps of the first `kinds` kinds of change. Before each change's paths are
    // aged, beforeAging(step) looks at them; after each step, update(tree, step) is compared
    // with a whole walk, then checked(tree, updated, step), and is the tree the next step starts
    // from, as a watch's scans do.
    template <typename BeforeAging, typename Update, typename Checked>
    void randomSteps(quint32 seed, int kinds, BeforeAging beforeAging, Update update, Checked checked)
    {
        m_random.seed(seed);
        TreeFingerprint tree = TreeFingerprint::of(m_root);
        QVERIFY(tree.complete && !tree.racy);
        int applied = 0;
        for (int round = 0; round < 150; ++round) {
            Step step;
            const int changes = 1 + pick(4);
            for (int i = 0; i < changes; ++i) {
                applied += change(step, kinds) ? 1 : 0;
                if (QTest::currentTestFailed())
                    return;
                beforeAging(step);
                age(step.touched); // now: a later change may move them
                step.touched.clear();
            }
            const TreeFingerprint updated = update(tree, step);
            const TreeFingerprint walked = TreeFingerprint::of(m_root);
            compare(tree, updated, walked);
            checked(tree, updated, step);
            if (QTest::currentTestFailed()) {
                qWarning() << "seed" << seed << "round" << round << "named" << step.named << "names" << step.names;
                return;
            }
            tree = updated;
        }
        QVERIFY(applied > 150);
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
        randomSteps(
            seed, 9, [](const Step&) {},
            [&](const TreeFingerprint& tree, const Step& step) {
                return TreeFingerprint::updated(m_root, tree, step.named);
            },
            [](const TreeFingerprint&, const TreeFingerprint&, const Step&) {});
    }

    // The same with the paths inotify names, entry by entry (a file named is looked at alone):
    // after every step the update, given exactly those paths, equals a whole walk whether or not
    // it may take them as every change, and keeps the lists of what it did not look into.
    void namedEntriesEqualAWholeWalk_data()
    {
        QTest::addColumn<quint32>("seed");
        QTest::addColumn<bool>("everyChangeNamed");
        for (bool all : { true, false }) {
            for (quint32 seed : { 11u, 12u, 13u, 14u, 15u })
                QTest::addRow("seed %u, %s", seed, all ? "every change named" : "not every change named")
                    << seed << all;
        }
    }

    void namedEntriesEqualAWholeWalk()
    {
        QFETCH(quint32, seed);
        QFETCH(bool, everyChangeNamed);
        randomSteps(
            seed, 13,
            [&](const Step& step) {
                // Aging stands for time passing, which no event names: each path it moves is
                // named, or holds an entry named (and is looked at again on the way down to it).
                for (const QString& path : step.touched) {
                    QVERIFY2(step.names.contains(path)
                            || std::any_of(step.names.cbegin(), step.names.cend(),
                                [&](const QString& n) { return parentOf(n) == path; }),
                        qPrintable(path));
                }
            },
            [&](const TreeFingerprint& tree, const Step& step) {
                return TreeFingerprint::updated(m_root, tree, step.names, everyChangeNamed);
            },
            [&](const TreeFingerprint& before, const TreeFingerprint& updated, const Step& step) {
                keptShared(before, updated, step.names, everyChangeNamed);
            });
    }

    // A file named is looked at alone, never with its directory's other entries: a sibling
    // written in place without an event naming it keeps its old stamp. Without every change
    // named, the root, a directory holding a racy entry and one whose stamp moved are listed
    // again; with it, a racy entry is looked at again by itself and nothing is listed.
    void aNamedFileIsLookedAtAlone()
    {
        const QString c = m_root + QLatin1String("/c");
        const QString index = m_root + QLatin1String("/index.json");
        QVERIFY(QDir().mkpath(c));
        QStringList touched { m_root, c, index };
        write(index, 1);
        for (int f = 0; f < 5; ++f) {
            write(c + QStringLiteral("/f%1").arg(f), 1);
            touched << c + QStringLiteral("/f%1").arg(f);
        }
        age(touched);
        const QString f1 = c + QLatin1String("/f1"), f2 = c + QLatin1String("/f2"), f3 = c + QLatin1String("/f3");
        const qint64 ahead = TreeFingerprint::clockNs() / 1000000000 + 3600; // racy for every walk here
        setMtime(f3, ahead);
        const TreeFingerprint before = TreeFingerprint::of(m_root);
        QVERIFY(before.complete && before.racy);

        write(f1, 10); // named
        write(f2, 20); // in place, not named: c's stamp stays
        write(index, 30); // in place, not named
        write(f3, 40); // not named, racy
        age({ f1, f2, index });
        setMtime(f3, ahead + 1);
        const TreeFingerprint walked = TreeFingerprint::of(m_root);
        const auto stampOf = [](const TreeFingerprint& tree, const QString& path) {
            const TreeEntry* e = tree.find(path);
            return e ? e->stamp : FileStamp {};
        };
        for (const QString& path : { f1, f2, f3, index })
            QVERIFY(!(stampOf(walked, path) == stampOf(before, path)));

        const TreeFingerprint named = TreeFingerprint::updated(m_root, before, { f1 }, true);
        QVERIFY(named.complete && named.racy);
        QCOMPARE(stampOf(named, f1), stampOf(walked, f1));
        QCOMPARE(stampOf(named, f3), stampOf(walked, f3)); // racy: looked at again
        QCOMPARE(stampOf(named, f2), stampOf(before, f2)); // c not listed again
        QCOMPARE(stampOf(named, index), stampOf(before, index)); // nor the root
        QVERIFY(named.changedSince(before));
        QStringList changed = *named.changedSince(before);
        changed.sort();
        QCOMPARE(changed, (QStringList { f1, f3 }));
        const auto listOf = [this](const TreeFingerprint& tree, const QString& dir) {
            for (const QList<TreeEntry>& chunk : tree.entries.chunks()) {
                if (chunk.first().depth > 0 && parentOf(chunk.first().path) == dir)
                    return chunk.constData();
            }
            return static_cast<const TreeEntry*>(nullptr);
        };
        QVERIFY(listOf(named, m_root) == listOf(before, m_root)); // c re-statted on the way: as it was
        QVERIFY(listOf(named, c) != listOf(before, c));

        const TreeFingerprint polled = TreeFingerprint::updated(m_root, before, { f1 }, false);
        QVERIFY(polled.entries == walked.entries); // c listed again for its racy f3, the root as always
        QCOMPARE(polled.racy, walked.racy);

        // Nothing racy: a file created in c without a name moves c's stamp.
        setMtime(f3, 1577836800);
        const TreeFingerprint settled = TreeFingerprint::of(m_root);
        QVERIFY(settled.complete && !settled.racy);
        const QString g = c + QLatin1String("/g");
        write(g, 5);
        write(f1, 11);
        age({ g, f1, c });
        const TreeFingerprint now = TreeFingerprint::of(m_root);
        QVERIFY(TreeFingerprint::updated(m_root, settled, { f1 }, false).entries == now.entries);
        const TreeFingerprint onlyF1 = TreeFingerprint::updated(m_root, settled, { f1 }, true);
        QVERIFY(!onlyF1.find(g));
        QCOMPARE(stampOf(onlyF1, f1), stampOf(now, f1));
        QCOMPARE(stampOf(onlyF1, c), stampOf(now, c)); // on the way down: looked at again
        // Named, it is looked at alone too, as is a path under a directory created since.
        const QString deep = c + QLatin1String("/new/inner");
        QVERIFY(QDir().mkpath(parentOf(deep)));
        write(deep, 2);
        age({ deep, parentOf(deep), c });
        const TreeFingerprint later = TreeFingerprint::of(m_root);
        const TreeFingerprint both = TreeFingerprint::updated(m_root, settled, { f1, g, deep }, true);
        QVERIFY(both.entries == later.entries);
        QVERIFY(both.find(deep));
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

    // find() halves a directory's names, sorted by their bytes: a name past U+D7FF sorts otherwise
    // in UTF-16 (U+FF21 before an emoji in bytes, after it in UTF-16) and is still found, and so is
    // every other entry; an absent name is not.
    void findsEveryNameWhateverItsOrder()
    {
        const QStringList names { QStringLiteral("A.json"), QStringLiteral("z.json"), QStringLiteral("caf\u00e9.json"),
            QStringLiteral("\uff21.json"), QStringLiteral("\U0001F600.json"), QStringLiteral("\uFFFD.json"),
            QStringLiteral("\u4e2d.json") };
        for (const QString& name : names)
            write(m_root + QLatin1String("/a/") + name, 1);
        const TreeFingerprint tree = TreeFingerprint::of(m_root);
        QCOMPARE(under(false).size(), names.size());
        for (const TreeEntry& e : tree.entries) {
            const TreeEntry* found = tree.find(e.path);
            QVERIFY2(found && found->path == e.path, qPrintable(e.path));
        }
        QVERIFY(!tree.find(m_root + QLatin1String("/a/\U0001F601.json")));
        QVERIFY(!tree.find(m_root + QLatin1String("/a/absent")));
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
