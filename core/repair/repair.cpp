// SPDX-License-Identifier: GPL-3.0-or-later
#include "repair.h"

#include "lock/atomicwrite.h"
#include "lock/lockfile.h"
#include "logging.h"
#include "problem/problem.h"
#include "proc/openfiles.h"
#include "proc/procfs.h"
#include "proc/regularfile.h"
#include "quarantine.h"
#include "recover/recover.h"
#include "sources/source.h"
#include "statedir.h"
#include "terminate.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QRegularExpression>

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace Stateward {

namespace {

    using namespace std::chrono_literals;

    constexpr auto kLockTimeout = 10s;
    constexpr int kRewriteAttempts = 5; // compare-before-rename retries against lock-less writers
    constexpr qint64 kMaxKeptLockBytes = 64 * 1024 * 1024; // a larger "lock" is no tool's: left alone

    // The index entry a finding is about: the one it names, or that of the job whose record it is.
    QString entryIdOf(const Finding& f, const Snapshot& s)
    {
        if (!f.target.entryId.isEmpty())
            return f.target.entryId;
        for (const Job& j : s.jobs) {
            if (!f.target.itemId.isEmpty() && j.id == f.target.itemId)
                return j.jobId;
        }
        return {};
    }

    // The file the family keeps its index in; none when it keeps no index.
    QString indexFileOf(const Snapshot& s)
    {
        const ToolIndex* index = adapterFor(s.family).index();
        return index ? QDir(s.stateDir).filePath(index->fileName()) : QString();
    }

    // The first ids of a set, sorted; the rest counted. A plan line is read by a person (the CLI, the
    // confirmation dialog): a moved workspace's index has 100 000 entries to correct, a megabyte of
    // ids on one line. The action's findings list every one.
    QString joinIds(const QSet<QString>& ids)
    {
        constexpr qsizetype kShown = 20;
        QStringList list(ids.cbegin(), ids.cend());
        list.sort();
        if (list.size() <= kShown)
            return list.join(QStringLiteral(", "));
        return QStringLiteral("%1, … and %2 more")
            .arg(list.first(kShown).join(QStringLiteral(", ")))
            .arg(list.size() - kShown);
    }

    RepairResult outcome(const RepairAction& a, RepairResult::Outcome o, const QString& detail)
    {
        RepairResult r;
        r.actionId = a.id;
        r.outcome = o;
        r.detail = detail;
        return r;
    }

    // Commits the quarantine of an applied change. The change is done either way, so a manifest that
    // cannot be completed is a note on the result, not a failure: the one written ahead of the change
    // lets undo restore it (docs/undo.md, Interrupted repairs).
    QString uncommitted(Quarantine& q)
    {
        QString error;
        if (q.commit(&error))
            return {};
        return QStringLiteral("; but its manifest could not be completed (%1): undo restores it as an interrupted "
                              "repair")
            .arg(error);
    }

    RepairResult changedEveryTime(const RepairAction& a)
    {
        return outcome(a, RepairResult::Outcome::Skipped,
            QStringLiteral("%1 changed under every one of %2 attempts; left alone")
                .arg(a.target)
                .arg(kRewriteAttempts));
    }

    // --- the kinds ---------------------------------------------------------------------------

    RepairResult rewriteIndex(const RepairAction& a, const StateDir& dir)
    {
        const std::optional<QString> relative = dir.relativePath(a.target);
        if (!relative)
            return outcome(
                a, RepairResult::Outcome::Failed, QStringLiteral("%1 is outside the state dir").arg(a.target));
        // The tools take no cross-process lock on these files: ours serialises Stateward
        // processes, compare-before-rename catches a tool that wrote meanwhile (then: again).
        LockFile lock(a.target);
        if (!lock.lock(kLockTimeout))
            return outcome(a, RepairResult::Outcome::Skipped,
                QStringLiteral("could not take %1: %2").arg(lock.lockPath(), lock.errorString()));
        IndexEdit edit { a.add, a.drop, a.fix, a.replaceCorrupt };
        for (int attempt = 1; attempt <= kRewriteAttempts; ++attempt) {
            const EditedIndex e = editIndex(a.family, a.stateDir, edit);
            if (!e.error.isEmpty())
                return outcome(a, RepairResult::Outcome::Skipped, e.error);
            if (e.document.isEmpty()) {
                RepairResult r = outcome(a, RepairResult::Outcome::Skipped, QStringLiteral("nothing left to change"));
                r.skipped = e.skipped;
                return r;
            }
            // An empty or torn index may be one a tool that writes it in place has just truncated
            // and is still writing through its open fd: what it writes next would land in the file
            // swapped out, so a file someone holds open is not replaced now.
            if (e.currentExists && (e.currentBytes.isEmpty() || a.replaceCorrupt)) {
                if (const QList<qint64> holders = OpenFileTable::scan().holders(e.current.key); !holders.isEmpty())
                    return outcome(a, RepairResult::Outcome::Skipped,
                        QStringLiteral("%1 is open by PID %2, which may be writing it now; left alone")
                            .arg(a.target)
                            .arg(holders.first()));
            }
            Quarantine q(dir, a.id, a.toJson());
            QString error;
            if (!q.isValid()
                || (e.currentExists && !q.keepReplaced(*relative, e.currentBytes, e.current, e.document, &error))) {
                q.discardCopies(); // leaves no empty quarantine behind
                return outcome(a, RepairResult::Outcome::Failed,
                    QStringLiteral("cannot keep the previous version: %1").arg(q.isValid() ? error : q.error()));
            }
            AtomicWriteOptions options;
            if (e.currentExists)
                options.expected = e.current;
            else
                options.expectAbsent = true;
            const AtomicWriteResult w = atomicWrite(a.target, e.document, options);
            if (w.changedMeanwhile) {
                q.discardCopies();
                continue; // a tool wrote it meanwhile: compute again from what it wrote
            }
            if (!w.ok) {
                q.discardCopies();
                return outcome(a, RepairResult::Outcome::Failed, w.error);
            }
            RepairResult r = outcome(a, RepairResult::Outcome::Applied,
                QStringLiteral("%1 rewritten: %2 changes").arg(a.target).arg(e.applied.size()));
            if (attempt > 1)
                r.detail += QStringLiteral(" (after %1 writes by others meanwhile)").arg(attempt - 1);
            r.detail += uncommitted(q);
            r.applied = e.applied;
            r.skipped = e.skipped;
            r.applied.sort();
            r.skipped.sort();
            r.quarantineId = e.currentExists ? q.id() : QString();
            return r;
        }
        return changedEveryTime(a);
    }

    // A queued/running job whose process is gone is ended in the tool's job state: its adapter works
    // the rewrite out (JobEnding) from the files as they are now, under the lock of the file the
    // plan names; a tool that wrote the first file meanwhile means working it out again.
    RepairResult markFailed(const RepairAction& a, const StateDir& dir)
    {
        LockFile lock(a.target);
        if (!lock.lock(kLockTimeout))
            return outcome(a, RepairResult::Outcome::Skipped,
                QStringLiteral("could not take %1: %2").arg(lock.lockPath(), lock.errorString()));
        const SourceAdapter& adapter = adapterFor(a.family);
        for (int attempt = 1; attempt <= kRewriteAttempts; ++attempt) {
            const JobEnding e = adapter.endDeadJob(a.stateDir, a.target, a.jobId, a.pid);
            if (!e.refusal.isEmpty() || e.files.isEmpty())
                return outcome(a, RepairResult::Outcome::Skipped,
                    e.refusal.isEmpty() ? QStringLiteral("nothing left to change") : e.refusal);
            Quarantine q(dir, a.id, a.toJson());
            QString error;
            bool kept = true;
            for (const FileRewrite& f : e.files)
                kept = kept && q.keepReplaced(f.relative, f.bytes, f.stamp, f.written, &error);
            if (!kept) {
                q.discardCopies(); // nothing was changed: keep no half of it
                return outcome(a, RepairResult::Outcome::Failed,
                    QStringLiteral("cannot keep the previous version: %1").arg(q.isValid() ? error : q.error()));
            }
            const FileRewrite& first = e.files.constFirst();
            AtomicWriteOptions options;
            options.expected = first.stamp;
            const AtomicWriteResult w = atomicWrite(first.path, first.written, options);
            if (w.changedMeanwhile) {
                q.discardCopies();
                continue;
            }
            if (!w.ok) {
                q.discardCopies();
                return outcome(a, RepairResult::Outcome::Failed, w.error);
            }
            RepairResult r = outcome(a, RepairResult::Outcome::Applied, e.done);
            for (const FileRewrite& f : e.files.sliced(1)) {
                options.expected = f.stamp;
                const AtomicWriteResult wf = atomicWrite(f.path, f.written, options);
                r.detail += wf.ok ? QStringLiteral(" and %1").arg(f.relative)
                                  : QStringLiteral("; %1 left as it is: %2").arg(f.relative, wf.error);
            }
            r.detail += uncommitted(q);
            r.quarantineId = q.id();
            r.applied = e.applied;
            return r;
        }
        return changedEveryTime(a);
    }

    // A lock directory with an owner file (owner-dir): its owner's bytes go to the quarantine, and the
    // directory is moved into the quarantine before it is emptied, so a crash midway leaves it there,
    // never half-removed at its path. Any other lock directory (mkdir) is left to its tool.
    RepairResult clearLockDirectory(const RepairAction& a, const StateDir& dir, const QString& relative)
    {
        if (const LockVerdict v = LockJudge().judge(a.target, std::nullopt, LockJudge::Evidence::Lazy);
            v.dialect != LockDialect::OwnerDir)
            return outcome(a, RepairResult::Outcome::Skipped,
                QStringLiteral("%1: a %2 lock directory; left alone").arg(a.target, nameOf(v.dialect)));
        Quarantine q(dir, a.id, a.toJson());
        if (!q.isValid())
            return outcome(a, RepairResult::Outcome::Failed,
                QStringLiteral("%1 cannot be kept, so it is not cleared: %2").arg(a.target, q.error()));
        ClearOptions options;
        options.parkDirFd = q.filesFd();
        options.parkName = QFile::encodeName(QStringLiteral("parked-") + QFileInfo(relative).fileName());
        options.keepOwner = [&q, &relative](const QString& ownerFile, const QByteArray& bytes, QString* error) {
            return q.keepCleared(relative + QLatin1Char('/') + ownerFile, bytes, error);
        };
        const ClearResult c = clearStaleLock(a.target, options); // judges again, with full evidence
        if (!c.cleared && c.leftAt.isEmpty()) {
            const bool failed = q.recordFailed();
            q.discardCopies();
            return outcome(a, failed ? RepairResult::Outcome::Failed : RepairResult::Outcome::Skipped, c.message);
        }
        RepairResult r = outcome(
            a, c.cleared ? RepairResult::Outcome::Applied : RepairResult::Outcome::Failed, c.message + uncommitted(q));
        r.quarantineId = q.id();
        return r;
    }

    RepairResult clearLock(const RepairAction& a, const StateDir& dir)
    {
        const std::optional<QString> relative = dir.relativePath(a.target);
        if (!relative || !a.expected || dir.stamp(*relative) != a.expected)
            return outcome(a, RepairResult::Outcome::Skipped,
                QStringLiteral("%1 changed or went away since it was judged").arg(a.target));
        if (a.expected->isDirectory)
            return clearLockDirectory(a, dir, *relative);
        // Every byte goes to the quarantine, or the lock stays. Closed again before judging: an open
        // fd means "held".
        const RegularFile lock = readRegularFile(a.target, kMaxKeptLockBytes);
        if (!lock.ok() || lock.stamp != *a.expected)
            return outcome(a, RepairResult::Outcome::Skipped,
                QStringLiteral("%1: %2; left alone")
                    .arg(a.target, lock.ok() ? QStringLiteral("changed since it was judged") : lock.problem));
        Quarantine q(dir, a.id, a.toJson());
        QString error;
        if (!q.isValid() || !q.keepCleared(*relative, lock.bytes, &error)) {
            q.discardCopies();
            return outcome(a, RepairResult::Outcome::Failed,
                QStringLiteral("%1 cannot be kept, so it is not cleared: %2")
                    .arg(a.target, q.isValid() ? error : q.error()));
        }
        const ClearResult c = clearStaleLock(a.target); // judges again, with full evidence
        if (!c.cleared) {
            q.discardCopies();
            return outcome(a, RepairResult::Outcome::Skipped, c.message);
        }
        RepairResult r = outcome(a, RepairResult::Outcome::Applied, c.message + uncommitted(q));
        r.quarantineId = q.id();
        return r;
    }

    RepairResult moveToQuarantine(const RepairAction& a, const StateDir& dir, const OpenFileTable* openFiles)
    {
        const std::optional<QString> relative = dir.relativePath(a.target);
        if (!relative || !a.expected)
            return outcome(
                a, RepairResult::Outcome::Failed, QStringLiteral("%1 is outside the state dir").arg(a.target));
        if (openFiles) {
            if (const QList<qint64> holders = openFiles->holders(a.expected->key); !holders.isEmpty())
                return outcome(a, RepairResult::Outcome::Skipped,
                    QStringLiteral("%1 is open by PID %2 now").arg(a.target).arg(holders.first()));
        }
        Quarantine q(dir, a.id, a.toJson());
        QString error;
        if (!q.isValid())
            return outcome(a, RepairResult::Outcome::Failed, q.error());
        if (!q.moveIn(*relative, *a.expected, &error)) {
            const RepairResult::Outcome o
                = q.recordFailed() ? RepairResult::Outcome::Failed : RepairResult::Outcome::Skipped;
            q.commit(&error);
            return outcome(a, o, error);
        }
        RepairResult r = outcome(a, RepairResult::Outcome::Applied,
            QStringLiteral("%1 moved to %2").arg(a.target, q.path()) + uncommitted(q));
        r.quarantineId = q.id();
        return r;
    }

    // A daemon's state file goes only while the finding that condemned it still holds: the
    // family's adapter scans the state dir again, under the file's lock.
    RepairResult removeStateFile(const RepairAction& a, const StateDir& dir)
    {
        LockFile lock(a.target); // its tool sees a live holder in our PID line (docs/formats/gstack.md)
        if (!lock.lock(kLockTimeout))
            return outcome(a, RepairResult::Outcome::Skipped,
                QStringLiteral("could not take %1: %2").arg(lock.lockPath(), lock.errorString()));
        ScanContext context;
        const Snapshot now = adapterFor(a.family).scan(a.workspace, a.stateDir, context);
        bool stillWrong = false;
        for (const Finding& f : now.findings)
            stillWrong |= a.findingIds.contains(f.id);
        if (!stillWrong)
            return outcome(a, RepairResult::Outcome::Skipped,
                QStringLiteral("%1: the daemon it names is fine again; kept").arg(a.target));
        return moveToQuarantine(a, dir, nullptr);
    }

    // Why the family keeps no place of its own for records it cannot read, or empty.
    QString noAsideDir(const SourceAdapter& adapter, const std::optional<UnreadableRecords>& rule)
    {
        return rule ? QString()
                    : QStringLiteral("%1 keeps no place for records it cannot read; never touched").arg(adapter.name());
    }

    // A record its tool cannot read goes to the tool's own place for them (the adapter's
    // UnreadableRecords), recorded in a quarantine manifest so Undo brings it back.
    RepairResult quarantineInvalid(const RepairAction& a, const StateDir& dir, const OpenFileTable& openFiles)
    {
        const std::optional<QString> relative = dir.relativePath(a.target);
        if (!relative || !a.expected)
            return outcome(
                a, RepairResult::Outcome::Failed, QStringLiteral("%1 is outside the state dir").arg(a.target));
        const SourceAdapter& adapter = adapterFor(a.family);
        const std::optional<UnreadableRecords> rule = adapter.unreadableRecords();
        if (const QString why = noAsideDir(adapter, rule); !why.isEmpty())
            return outcome(a, RepairResult::Outcome::Skipped, QStringLiteral("%1: %2").arg(a.target, why));
        if (const QList<qint64> holders = openFiles.holders(a.expected->key); !holders.isEmpty())
            return outcome(a, RepairResult::Outcome::Skipped,
                QStringLiteral("%1 is open by PID %2 now: a writer may be in the middle of it")
                    .arg(a.target)
                    .arg(holders.first()));
        const qint64 age = (QDateTime::currentMSecsSinceEpoch() * 1000000 - a.expected->mtimeNs) / 1000000000;
        if (age < rule->settleSecs)
            return outcome(a, RepairResult::Outcome::Skipped,
                (QStringLiteral("%1 changed %2 s ago (under %3 s): ") + rule->writer
                    + QStringLiteral(" writes records in place, so it may be half-written by a live writer; left "
                                     "alone for now"))
                    .arg(a.target)
                    .arg(age)
                    .arg(rule->settleSecs));
        Quarantine q(dir, a.id, a.toJson());
        QString error;
        if (!q.isValid())
            return outcome(a, RepairResult::Outcome::Failed, q.error());
        if (!q.moveAside(*relative, rule->asideDir + QLatin1Char('/') + *relative, *a.expected, &error)) {
            const RepairResult::Outcome o
                = q.recordFailed() ? RepairResult::Outcome::Failed : RepairResult::Outcome::Skipped;
            q.commit(&error);
            return outcome(a, o, error);
        }
        const QString stored = dir.absolutePath(q.entries().constFirst().stored);
        RepairResult r = outcome(
            a, RepairResult::Outcome::Applied, QStringLiteral("%1 moved to %2").arg(a.target, stored) + uncommitted(q));
        r.quarantineId = q.id();
        return r;
    }

    // Empties and removes one session dir of ours (SessionDirs: the family's adapter says what one
    // is) that no live daemon uses: every file is first copied into the quarantine (sockets cannot be
    // kept; they are listed), through a dir fd opened with O_NOFOLLOW. Returns why not, or empty;
    // `done` lists each step. A dir another workspace's state names is that workspace's: never swept
    // by stateDir's repair.
    QString cleanSessionDir(
        const QString& path, Family family, const QString& stateDir, Quarantine& q, QStringList* done)
    {
        const SourceAdapter& adapter = adapterFor(family);
        const SessionDirs* dirs = adapter.sessionDirs();
        if (!dirs)
            return QStringLiteral("%1: %2 keeps no session dirs; never touched").arg(path, adapter.name());
        if (!dirs->isSessionDir(path))
            return QStringLiteral("%1 is not a %2; never touched").arg(path, dirs->shape());
        if (const QStringList by = dirs->namedElsewhere(path, stateDir); !by.isEmpty())
            return QStringLiteral("%1 is named by %2: it belongs to that workspace; left alone")
                .arg(path, by.join(QStringLiteral(", ")));
        const QFileInfo info(path);
        const UniqueFd tmp(::open(QFile::encodeName(info.path()).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        const QByteArray name = QFile::encodeName(info.fileName());
        const UniqueFd fd(tmp.isValid()
                ? ::openat(tmp.get(), name.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                : -1);
        struct stat st
        {
        };
        if (!fd.isValid()) {
            if (errno == ENOENT)
                return QStringLiteral("%1 is gone already").arg(path);
            return QStringLiteral("%1: %2").arg(path, ProcFs::errorText(errno));
        }
        if (::fstat(fd.get(), &st) != 0 || st.st_uid != ::geteuid())
            return QStringLiteral("%1 belongs to uid %2, not to us; never touched").arg(path).arg(st.st_uid);
        // A daemon started in it since the scan makes it live again.
        if (const qint64 pid = dirs->usedBy(path); pid > 0)
            return QStringLiteral("%1 is used by live broker PID %2 now; kept").arg(path).arg(pid);
        // Collect first, change nothing until every entry is known to be one we can keep or explain.
        struct Item
        {
            QByteArray name;
            struct stat st;
            QByteArray bytes;
        };
        QList<Item> items;
        DIR* d = ::fdopendir(::dup(fd.get()));
        if (!d)
            return QStringLiteral("%1: %2").arg(path, ProcFs::errorText(errno));
        QString refusal;
        while (const dirent* e = ::readdir(d)) {
            const QByteArray entry(e->d_name);
            if (entry == "." || entry == "..")
                continue;
            Item item { entry, {}, {} };
            if (items.size() >= dirs->maxEntries() || ::fstatat(fd.get(), e->d_name, &item.st, AT_SYMLINK_NOFOLLOW) != 0
                || S_ISDIR(item.st.st_mode) || (S_ISREG(item.st.st_mode) && item.st.st_size > dirs->maxFileBytes())) {
                refusal = QStringLiteral("%1 holds %2, which no broker session dir does; left alone")
                              .arg(path,
                                  items.size() >= dirs->maxEntries()
                                      ? QStringLiteral("over %1 entries").arg(dirs->maxEntries())
                                      : QString::fromUtf8(entry));
                break;
            }
            if (S_ISREG(item.st.st_mode)) {
                RegularFile file = readRegularFile(fd.get(), e->d_name, dirs->maxFileBytes());
                if (!file.ok()) {
                    refusal = QStringLiteral("%1/%2 cannot be read: %3")
                                  .arg(path, QString::fromUtf8(entry),
                                      file.exists() ? file.problem : QStringLiteral("gone"));
                    break;
                }
                item.bytes = std::move(file.bytes);
            }
            items.append(item);
        }
        ::closedir(d);
        if (!refusal.isEmpty())
            return refusal;
        for (const Item& item : std::as_const(items)) {
            const QString file = path + QLatin1Char('/') + QString::fromUtf8(item.name);
            QString error;
            if (S_ISREG(item.st.st_mode)) {
                if (!q.keepRemoved(file, item.bytes, item.st.st_mode & 07777,
                        qint64(item.st.st_mtim.tv_sec) * 1000000000 + item.st.st_mtim.tv_nsec, &error))
                    return QStringLiteral("cannot keep %1: %2").arg(file, error);
                done->append(QStringLiteral("%1 (%2 bytes) kept in the quarantine and removed")
                                 .arg(file)
                                 .arg(item.bytes.size()));
            } else {
                done->append(QStringLiteral("%1 removed (a %2; it cannot be kept)")
                                 .arg(file,
                                     S_ISSOCK(item.st.st_mode)      ? QStringLiteral("socket")
                                         : S_ISLNK(item.st.st_mode) ? QStringLiteral("symlink")
                                                                    : QStringLiteral("special file")));
            }
            if (::unlinkat(fd.get(), item.name.constData(), 0) != 0 && errno != ENOENT)
                return QStringLiteral("cannot remove %1: %2").arg(file, ProcFs::errorText(errno));
        }
        if (::unlinkat(tmp.get(), name.constData(), AT_REMOVEDIR) != 0)
            return QStringLiteral("cannot remove %1: %2 (something new appeared in it?)")
                .arg(path, ProcFs::errorText(errno));
        done->append(QStringLiteral("%1 removed").arg(path));
        return {};
    }

    RepairResult removeSessionDir(const RepairAction& a, const StateDir& dir)
    {
        Quarantine q(dir, a.id, a.toJson());
        if (!q.isValid())
            return outcome(a, RepairResult::Outcome::Failed, q.error());
        QStringList done;
        const QString why = cleanSessionDir(a.sessionDir, a.family, a.stateDir, q, &done);
        QString error;
        q.commit(&error);
        RepairResult r = outcome(a, why.isEmpty() ? RepairResult::Outcome::Applied : RepairResult::Outcome::Skipped,
            why.isEmpty() ? QStringLiteral("%1 removed; its files are in %2").arg(a.sessionDir, q.path()) : why);
        r.applied = done;
        if (!q.entries().isEmpty())
            r.quarantineId = q.id();
        return r;
    }

    // docs/architecture.md, Safety rules: an orphan broker/daemon is signalled only after
    // terminateVerified has checked, on the live process, that it is ours, not us or an ancestor,
    // the same process the scan saw (start ticks), still of the family's shape for this state dir,
    // still not the one the state file names and still at the endpoint and session dir planned
    // (the adapter's orphanMismatch). Then its session dir goes.
    RepairResult terminateOrphan(const RepairAction& a, const StateDir& dir)
    {
        TerminateRequest request;
        request.pid = a.pid;
        request.startTicks = a.startTicks;
        Broker seen; // the orphan as the scan saw it
        seen.pid = a.pid;
        seen.startTicks = a.startTicks;
        seen.endpoint = a.endpoint;
        seen.sessionDir = a.sessionDir;
        request.identity
            = [a, seen](const ProcessInfo& p) { return adapterFor(a.family).orphanMismatch(p, a.stateDir, seen); };
        const TerminateResult t = terminateVerified(request);
        RepairResult r;
        switch (t.outcome) {
        case TerminateResult::Outcome::Terminated:
            r = outcome(a, RepairResult::Outcome::Applied, t.message);
            break;
        case TerminateResult::Outcome::AlreadyGone:
        case TerminateResult::Outcome::Refused:
            r = outcome(a, RepairResult::Outcome::Skipped, t.message);
            break;
        case TerminateResult::Outcome::Failed:
            r = outcome(a, RepairResult::Outcome::Failed, t.message);
            break;
        }
        r.applied = t.verified;
        if (t.outcome == TerminateResult::Outcome::Refused || t.outcome == TerminateResult::Outcome::Failed
            || a.sessionDir.isEmpty())
            return r;
        Quarantine q(dir, a.id, a.toJson());
        QStringList done;
        const QString why = q.isValid() ? cleanSessionDir(a.sessionDir, a.family, a.stateDir, q, &done) : q.error();
        QString error;
        q.commit(&error);
        r.applied += done;
        if (!why.isEmpty())
            r.skipped.append(why);
        if (!q.entries().isEmpty())
            r.quarantineId = q.id();
        return r;
    }

    // What applying a plan shares between its actions: one /proc scan per state dir's tmp sweep.
    struct Applying
    {
        QHash<QString, OpenFileTable> openFiles;
        const OpenFileTable& openFilesOf(const QString& stateDir)
        {
            if (!openFiles.contains(stateDir))
                openFiles.insert(stateDir, OpenFileTable::scan());
            return openFiles[stateDir];
        }
    };

    // A tmp file whose name carries no PID was judged orphaned by its age and by no writer of it
    // running (a writer that takes no lock, LockScanOptions::liveWriter): one may have started
    // since the plan, so the family's adapter judges it again first.
    RepairResult sweepTmp(const RepairAction& a, const StateDir& dir, Applying& applying)
    {
        if (recogniseTmpName(QFileInfo(a.target).fileName()).ownerPid <= 0) {
            ScanContext context;
            const Snapshot now = adapterFor(a.family).scan(a.workspace, a.stateDir, context);
            bool stillOrphan = false;
            for (const Finding& f : now.findings)
                stillOrphan |= a.findingIds.contains(f.id);
            if (!stillOrphan) {
                QString why = QStringLiteral("no longer judged orphaned");
                for (const TempFile& t : now.tempFiles) {
                    if (t.path == a.target)
                        why = t.reason;
                }
                return outcome(a, RepairResult::Outcome::Skipped, QStringLiteral("%1: %2; kept").arg(a.target, why));
            }
        }
        return moveToQuarantine(a, dir, &applying.openFilesOf(a.stateDir));
    }

    using ApplyFunction = RepairResult (*)(const RepairAction&, const StateDir&, Applying&);

    struct KindRow
    {
        RepairKind kind;
        const char* name; // for JSON and the command line only
        RepairSafety safety;
        bool undoable;
        bool rewritesIndex;
        ApplyFunction apply;
    };

    constexpr ApplyFunction kRewriteIndex
        = [](const RepairAction& a, const StateDir& d, Applying&) { return rewriteIndex(a, d); };

    // The one table of repair kinds, in apply order (the order of RepairKind).
    constexpr KindRow kKinds[] {
        { RepairKind::ClearStaleLock, "clear-stale-lock", RepairSafety::Safe, false, false,
            [](const RepairAction& a, const StateDir& d, Applying&) { return clearLock(a, d); } },
        { RepairKind::SweepTmp, "sweep-tmp", RepairSafety::Safe, true, false,
            [](const RepairAction& a, const StateDir& d, Applying& c) { return sweepTmp(a, d, c); } },
        { RepairKind::QuarantineInvalid, "quarantine-invalid", RepairSafety::Safe, true, false,
            [](const RepairAction& a, const StateDir& d, Applying& c) {
                return quarantineInvalid(a, d, c.openFilesOf(a.stateDir));
            } },
        { RepairKind::ReplaceCorruptIndex, "replace-corrupt-index", RepairSafety::Safe, true, true, kRewriteIndex },
        { RepairKind::Reindex, "reindex", RepairSafety::Safe, true, true, kRewriteIndex },
        { RepairKind::DropDanglingEntry, "drop-dangling-entry", RepairSafety::Safe, true, true, kRewriteIndex },
        { RepairKind::FixIndexEntry, "fix-index-entry", RepairSafety::Safe, true, true, kRewriteIndex },
        { RepairKind::MarkFailed, "mark-failed", RepairSafety::Safe, true, false,
            [](const RepairAction& a, const StateDir& d, Applying&) { return markFailed(a, d); } },
        { RepairKind::RemoveStateFile, "remove-state-file", RepairSafety::Safe, true, false,
            [](const RepairAction& a, const StateDir& d, Applying&) { return removeStateFile(a, d); } },
        { RepairKind::TerminateOrphan, "terminate-orphan", RepairSafety::SignalsProcess, false, false,
            [](const RepairAction& a, const StateDir& d, Applying&) { return terminateOrphan(a, d); } },
        { RepairKind::RemoveSessionDir, "remove-session-dir", RepairSafety::Safe, true, false,
            [](const RepairAction& a, const StateDir& d, Applying&) { return removeSessionDir(a, d); } },
    };

    constexpr bool inEnumOrder()
    {
        for (int i = 0; i < int(std::size(kKinds)); ++i) {
            if (int(kKinds[i].kind) != i)
                return false;
        }
        return true;
    }
    static_assert(inEnumOrder(), "kKinds lists every RepairKind, in the enum's order");

    const KindRow& kindRow(RepairKind kind)
    {
        return kKinds[int(kind)];
    }

} // namespace

QJsonObject RepairAction::toJson() const
{
    QJsonObject o { { QStringLiteral("id"), id }, { QStringLiteral("kind"), nameOf(kind) },
        { QStringLiteral("kinds"), QJsonArray::fromStringList(namesOf(kinds)) },
        { QStringLiteral("family"), nameOf(family) }, { QStringLiteral("workspace"), workspace },
        { QStringLiteral("stateDir"), stateDir }, { QStringLiteral("target"), target },
        { QStringLiteral("summary"), summary }, { QStringLiteral("effects"), QJsonArray::fromStringList(effects) },
        { QStringLiteral("findings"), QJsonArray::fromStringList(findingIds) } };
    if (expected)
        o.insert(QStringLiteral("expected"),
            QJsonObject { { QStringLiteral("file"), expected->key.toString() },
                { QStringLiteral("size"), expected->size },
                { QStringLiteral("mtimeNs"), QString::number(expected->mtimeNs) } });
    if (!jobId.isEmpty())
        o.insert(QStringLiteral("jobId"), jobId);
    if (pid > 0)
        o.insert(QStringLiteral("pid"), pid);
    if (startTicks >= 0)
        o.insert(QStringLiteral("startTicks"), startTicks);
    if (!endpoint.isEmpty())
        o.insert(QStringLiteral("endpoint"), endpoint);
    if (!sessionDir.isEmpty())
        o.insert(QStringLiteral("sessionDir"), sessionDir);
    return o;
}

QJsonObject RepairPlan::toJson() const
{
    QJsonArray list;
    for (const RepairAction& a : actions)
        list.append(a.toJson());
    return QJsonObject { { QStringLiteral("schema"), QStringLiteral("stateward-repair-plan/1") },
        { QStringLiteral("actions"), list }, { QStringLiteral("notes"), QJsonArray::fromStringList(notes) } };
}

QString nameOf(RepairResult::Outcome outcome)
{
    switch (outcome) {
    case RepairResult::Outcome::Applied:
        return QStringLiteral("applied");
    case RepairResult::Outcome::Skipped:
        return QStringLiteral("skipped");
    case RepairResult::Outcome::Failed:
        return QStringLiteral("failed");
    }
    return {};
}

QJsonObject RepairResult::toJson() const
{
    QJsonObject o { { QStringLiteral("action"), actionId }, { QStringLiteral("outcome"), nameOf(outcome) },
        { QStringLiteral("detail"), detail }, { QStringLiteral("applied"), QJsonArray::fromStringList(applied) },
        { QStringLiteral("skipped"), QJsonArray::fromStringList(skipped) } };
    if (!quarantineId.isEmpty())
        o.insert(QStringLiteral("quarantine"), quarantineId);
    return o;
}

const QList<RepairKind>& repairKinds()
{
    static const QList<RepairKind> kinds = [] {
        QList<RepairKind> all;
        for (const KindRow& row : kKinds)
            all.append(row.kind);
        return all;
    }();
    return kinds;
}

QString nameOf(RepairKind kind)
{
    return QLatin1String(kindRow(kind).name);
}

QStringList namesOf(const QList<RepairKind>& kinds)
{
    QStringList names;
    for (RepairKind kind : kinds)
        names.append(nameOf(kind));
    return names;
}

std::optional<RepairKind> repairKindNamed(QStringView name)
{
    for (const KindRow& row : kKinds) {
        if (name == QLatin1String(row.name))
            return row.kind;
    }
    return std::nullopt;
}

RepairSafety safetyOf(RepairKind kind)
{
    return kindRow(kind).safety;
}

QString nameOf(RepairSafety safety)
{
    switch (safety) {
    case RepairSafety::Safe:
        return QStringLiteral("safe");
    case RepairSafety::SignalsProcess:
        return QStringLiteral("signals-process");
    case RepairSafety::NeedsDecision:
        return QStringLiteral("needs-decision");
    }
    return {};
}

bool undoable(RepairKind kind)
{
    return kindRow(kind).undoable;
}

bool rewritesIndex(RepairKind kind)
{
    return kindRow(kind).rewritesIndex;
}

const QList<RepairKind>& orphanCleanupKinds()
{
    static const QList<RepairKind> kinds { RepairKind::TerminateOrphan, RepairKind::RemoveSessionDir };
    return kinds;
}

RepairPlan planRepairs(const QList<Snapshot>& snapshots, const QList<RepairKind>& kinds)
{
    RepairPlan plan;
    const auto wanted = [&](RepairKind kind) {
        return kinds.isEmpty() ? safetyOf(kind) == RepairSafety::Safe : kinds.contains(kind);
    };
    QSet<QString> sessionDirs; // a family's snapshots may each list the same unused session dirs: plan each once
    for (const Snapshot& s : snapshots) {
        const StateDir dir(s.stateDir);
        RepairAction index; // every index kind for this state dir, in one rewrite
        index.family = s.family;
        index.workspace = s.workspace;
        index.stateDir = s.stateDir;
        index.target = indexFileOf(s);
        for (const Finding& f : s.findings) {
            for (RepairKind kind : f.repairs) {
                if (!wanted(kind))
                    continue;
                if (rewritesIndex(kind)) {
                    const QString id = entryIdOf(f, s);
                    if (kind == RepairKind::ReplaceCorruptIndex)
                        index.replaceCorrupt = true;
                    else if (f.code == QLatin1String("index-missing")) {
                        for (const Job& j : s.jobs) {
                            if (!j.inIndex)
                                index.add.insert(j.jobId);
                        }
                    } else if (id.isEmpty())
                        continue;
                    else if (kind == RepairKind::Reindex)
                        index.add.insert(id);
                    else if (kind == RepairKind::DropDanglingEntry)
                        index.drop.insert(id);
                    else
                        index.fix.insert(id);
                    if (!index.kinds.contains(kind))
                        index.kinds.append(kind);
                    index.findingIds.append(f.id);
                    continue;
                }
                RepairAction a;
                a.kind = kind;
                a.kinds = { kind };
                a.family = s.family;
                a.workspace = s.workspace;
                a.stateDir = s.stateDir;
                a.findingIds = { f.id };
                QString why;
                if (kind == RepairKind::MarkFailed) {
                    a.jobId = entryIdOf(f, s);
                    for (const Job& j : s.jobs) {
                        if (j.jobId == a.jobId)
                            a.pid = j.pid;
                    }
                    a.target = indexFileOf(s);
                    a.summary = QStringLiteral("mark job %1 failed (its process %2 is gone)").arg(a.jobId).arg(a.pid);
                } else if (kind == RepairKind::TerminateOrphan) {
                    a.target = f.subject; // the state file and the PID it does not name
                    for (const Broker& b : s.brokers) {
                        if (f.target.pid > 0 && b.pid == f.target.pid && b.id == f.target.itemId) {
                            a.pid = b.pid;
                            a.startTicks = b.startTicks;
                            a.endpoint = b.endpoint;
                            a.sessionDir = b.sessionDir;
                        }
                    }
                    if (a.pid <= 0) {
                        plan.notes.append(QStringLiteral("%1: no orphan process in the scan").arg(f.subject));
                        continue;
                    }
                    a.summary = QStringLiteral("terminate orphan %1 PID %2 (SIGTERM to its process group, SIGKILL "
                                               "after 3 s)%3")
                                    .arg(adapterFor(s.family).daemonNoun())
                                    .arg(a.pid)
                                    .arg(a.sessionDir.isEmpty()
                                            ? QString()
                                            : QStringLiteral(" and remove its session dir %1").arg(a.sessionDir));
                } else if (kind == RepairKind::RemoveSessionDir) {
                    if (sessionDirs.contains(f.target.path))
                        continue;
                    sessionDirs.insert(f.target.path);
                    // Nothing watches $TMPDIR: a snapshot can still list a dir a repair removed since.
                    if (!FileStamp::ofPath(f.target.path)) {
                        plan.notes.append(QStringLiteral("%1: gone since the scan").arg(f.target.path));
                        continue;
                    }
                    a.target = f.target.path;
                    a.sessionDir = f.target.path;
                    const SessionDirs* dirs = adapterFor(s.family).sessionDirs();
                    a.summary = QStringLiteral("remove the unused %1 %2 (its files kept in the quarantine)")
                                    .arg(dirs ? dirs->noun() : QStringLiteral("session dir"), a.target);
                } else {
                    a.target = f.target.path;
                    const std::optional<QString> relative = dir.relativePath(a.target, &why);
                    if (!relative) {
                        plan.notes.append(QStringLiteral("%1: never touched: %2").arg(f.subject, why));
                        continue;
                    }
                    const SourceAdapter& adapter = adapterFor(s.family);
                    const std::optional<UnreadableRecords> rule = adapter.unreadableRecords();
                    if (const QString no = noAsideDir(adapter, rule);
                        kind == RepairKind::QuarantineInvalid && !no.isEmpty()) {
                        plan.notes.append(QStringLiteral("%1: %2").arg(f.subject, no));
                        continue;
                    }
                    a.expected = dir.stamp(*relative);
                    if (!a.expected) {
                        plan.notes.append(QStringLiteral("%1: gone since the scan").arg(f.subject));
                        continue;
                    }
                    a.summary = kind == RepairKind::ClearStaleLock
                        ? QStringLiteral("clear the stale lock %1").arg(a.target)
                        : kind == RepairKind::QuarantineInvalid
                        ? QStringLiteral("move %1 to %2")
                              .arg(a.target, dir.absolutePath(rule->asideDir + QLatin1Char('/') + *relative))
                        : QStringLiteral("move %1 to the quarantine").arg(a.target);
                }
                a.effects = { f.summary };
                a.id = nameOf(kind) + QLatin1Char(':') + a.target
                    + (a.jobId.isEmpty() ? QString() : QLatin1Char('#') + a.jobId);
                plan.actions.append(a);
            }
        }
        if (!index.kinds.isEmpty()) {
            index.kind = *std::min_element(index.kinds.cbegin(), index.kinds.cend()); // the weightiest names it
            index.id = QStringLiteral("%1:%2").arg(nameOf(index.kind), index.target);
            if (index.replaceCorrupt)
                index.effects.append(QStringLiteral("replace the unreadable index by one recovered from the records"));
            if (!index.add.isEmpty())
                index.effects.append(
                    QStringLiteral("add %1: %2")
                        .arg(counted(index.add.size(), QStringLiteral("entry"), QStringLiteral("entries")),
                            joinIds(index.add)));
            if (!index.drop.isEmpty())
                index.effects.append(
                    QStringLiteral("drop %1: %2")
                        .arg(counted(index.drop.size(), QStringLiteral("entry"), QStringLiteral("entries")),
                            joinIds(index.drop)));
            if (!index.fix.isEmpty())
                index.effects.append(
                    QStringLiteral("correct %1: %2")
                        .arg(counted(index.fix.size(), QStringLiteral("entry"), QStringLiteral("entries")),
                            joinIds(index.fix)));
            index.summary = QStringLiteral("rewrite %1").arg(index.target);
            plan.actions.append(index);
        }
    }
    // Locks first (a stale lock would block the rest), then litter, indexes, jobs, state files.
    std::stable_sort(plan.actions.begin(), plan.actions.end(),
        [](const RepairAction& a, const RepairAction& b) { return a.kind < b.kind; });
    for (const RepairAction& a : std::as_const(plan.actions))
        qCDebug(lcRepair) << "planned" << nameOf(a.kind) << a.target << a.summary;
    for (const QString& note : std::as_const(plan.notes))
        qCDebug(lcRepair) << "not planned:" << note;
    return plan;
}

QList<RepairResult> applyPlan(
    const RepairPlan& plan, const std::function<void(int done, int total, const RepairResult&)>& progress)
{
    QList<RepairResult> results;
    Applying applying;
    for (const RepairAction& a : plan.actions) {
        const StateDir dir(a.stateDir);
        const QString unaudited = dir.isOpen() ? auditLogProblem(dir) : QString();
        const RepairResult r = !dir.isOpen() ? outcome(a, RepairResult::Outcome::Failed, dir.error())
            : !unaudited.isEmpty()
            ? outcome(a, RepairResult::Outcome::Failed, unaudited) // no repair without its audit line
            : kindRow(a.kind).apply(a, dir, applying);
        QJsonObject audit = r.toJson();
        audit.insert(QStringLiteral("op"), QStringLiteral("repair"));
        audit.insert(QStringLiteral("kind"), nameOf(a.kind));
        audit.insert(QStringLiteral("target"), a.target);
        if (dir.isOpen() && unaudited.isEmpty())
            appendAudit(dir, audit);
        qCDebug(lcRepair) << nameOf(r.outcome) << nameOf(a.kind) << a.target << r.detail;
        results.append(r);
        if (progress)
            progress(int(results.size()), int(plan.actions.size()), r);
    }
    return results;
}

} // namespace Stateward
