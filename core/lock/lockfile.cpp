// SPDX-License-Identifier: GPL-3.0-or-later
#include "lockfile.h"

#include "logging.h"
#include "proc/procfs.h"
#include "proc/regularfile.h"
#include "proc/uniquefd.h"
#include "tmpfiles.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstdio> // renameat2
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Stateward {

namespace {

    bool writeAll(int fd, const QByteArray& data)
    {
        qsizetype done = 0;
        while (done < data.size()) {
            const ssize_t n = ::write(fd, data.constData() + done, size_t(data.size() - done));
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return false;
            }
            done += n;
        }
        return true;
    }

    QByteArray readSmall(int dirFd, const char* name)
    {
        return readRegularFile(dirFd, name, 4096, Overflow::KeepPrefix).bytes;
    }

    // Why what sits at the lock's name can never be released by any tool's protocol (a FIFO,
    // socket or device, or a directory with entries, which no mkdir lock has), or empty. Waiting
    // for such a thing is waiting for a person: say so at once instead. (A symlink stays "busy":
    // a tool may replace it.)
    QString neverReleased(int dirFd, const char* name)
    {
        struct stat st
        {
        };
        if (::fstatat(dirFd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
            return {};
        if (S_ISDIR(st.st_mode)) {
            const int fd = ::openat(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            DIR* dir = fd >= 0 ? ::fdopendir(fd) : nullptr;
            if (!dir) {
                if (fd >= 0)
                    ::close(fd);
                return {};
            }
            qsizetype entries = 0;
            while (const dirent* e = ::readdir(dir))
                entries += qstrcmp(e->d_name, ".") != 0 && qstrcmp(e->d_name, "..") != 0;
            ::closedir(dir);
            return entries == 0 ? QString() : QStringLiteral("is a directory with %1 entries").arg(entries);
        }
        return QStringLiteral("is %1").arg(fileTypeName(st.st_mode));
    }

    FileKey keyOf(int fd)
    {
        struct stat st
        {
        };
        return ::fstat(fd, &st) == 0 ? FileKey::fromStat(st) : FileKey {};
    }

    bool isFile(const FileKey& key, int dirFd, const char* name)
    {
        struct stat st
        {
        };
        return key.isValid() && ::fstatat(dirFd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && FileKey::fromStat(st) == key;
    }

    bool sameFile(int fd, int dirFd, const char* name)
    {
        return isFile(keyOf(fd), dirFd, name);
    }

    // Does this batch of inotify events concern the lock's own name? Waiters' tmp files come and
    // go in the same directory; waking on those would make every release a thundering herd.
    bool concernsLock(const char* events, ssize_t length, const QByteArray& lockName)
    {
        for (ssize_t at = 0; at + ssize_t(sizeof(inotify_event)) <= length;) {
            const auto* e = reinterpret_cast<const inotify_event*>(events + at);
            if ((e->mask & IN_Q_OVERFLOW) || (e->len && lockName == e->name))
                return true;
            at += ssize_t(sizeof(inotify_event)) + e->len;
        }
        return false;
    }

    bool linkUnsupported(int error)
    {
        return error == EPERM || error == EOPNOTSUPP || error == ENOSYS || error == EMLINK || error == EXDEV;
    }

    // Why the owner-dir lock open as lockFd is no longer exactly what was judged stale: its one owner
    // file, the same inode, size and mtime. Empty when it is; *bytes then holds the owner file.
    QString ownerDirChanged(int lockFd, const LockVerdict& v, QByteArray* bytes)
    {
        DIR* dir = ::fdopendir(::fcntl(lockFd, F_DUPFD_CLOEXEC, 0));
        if (!dir)
            return QStringLiteral("cannot list it: %1").arg(ProcFs::errorText(errno));
        ::rewinddir(dir); // the dup shares its offset with lockFd: start from the top every time
        QStringList names;
        while (const dirent* e = ::readdir(dir)) {
            if (qstrcmp(e->d_name, ".") != 0 && qstrcmp(e->d_name, "..") != 0 && names.size() < 8)
                names.append(QFile::decodeName(e->d_name));
        }
        ::closedir(dir);
        if (names != QStringList { v.content.ownerFile })
            return QStringLiteral("it holds %1 now, not %2 alone")
                .arg(names.isEmpty() ? QStringLiteral("nothing") : names.join(QStringLiteral(", ")),
                    v.content.ownerFile);
        const RegularFile owner
            = readRegularFile(lockFd, QFile::encodeName(v.content.ownerFile).constData(), 64 * 1024);
        if (!owner.ok() || owner.stamp != v.ownerStamp)
            return QStringLiteral("its %1 changed since it was judged").arg(v.content.ownerFile);
        *bytes = owner.bytes;
        return {};
    }

    // The owner-dir removal (docs/formats/locks.md): prove the directory and its one owner file are
    // those judged stale, keep the owner's bytes, move the directory out of its path with
    // RENAME_NOREPLACE (oh-my-codex releases and recovers the same way: a new holder can only mkdir
    // anew, so it is never caught in a half-removed lock), check that what moved is the directory
    // judged, still unchanged, and only then empty it. Anything else moved is put straight back.
    bool clearOwnerDir(
        const QString& lockPath, const LockVerdict& v, const ClearOptions& options, QString* why, QString* leftAt)
    {
        const QFileInfo info(lockPath);
        const QByteArray leaf = QFile::encodeName(info.fileName());
        const UniqueFd parent(
            ::open(QFile::encodeName(info.absolutePath()).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!parent.isValid()) {
            *why = QStringLiteral("cannot open its directory: %1").arg(ProcFs::errorText(errno));
            return false;
        }
        const UniqueFd lock(::openat(parent.get(), leaf.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        struct stat st
        {
        };
        if (!lock.isValid() || ::fstat(lock.get(), &st) != 0 || FileStamp::fromStat(st) != v.stamp) {
            *why = QStringLiteral("it changed since it was judged");
            return false;
        }
        QByteArray bytes;
        if (*why = ownerDirChanged(lock.get(), v, &bytes); !why->isEmpty())
            return false;
        if (options.keepOwner && !options.keepOwner(v.content.ownerFile, bytes, why))
            return false;

        const int parkFd = options.parkDirFd >= 0 ? options.parkDirFd : parent.get();
        const QByteArray parkName = options.parkDirFd >= 0 && !options.parkName.isEmpty()
            ? options.parkName
            : leaf + ".stateward-" + newNonce().toLatin1();
        const QString parked = options.parkDirFd >= 0
            ? QStringLiteral("%1 in the quarantine").arg(QFile::decodeName(parkName))
            : info.absolutePath() + QLatin1Char('/') + QFile::decodeName(parkName);
        if (::renameat2(parent.get(), leaf.constData(), parkFd, parkName.constData(), RENAME_NOREPLACE) != 0) {
            *why = QStringLiteral("cannot move it out of its path: %1").arg(ProcFs::errorText(errno));
            return false;
        }
        // Between the checks and the move, its path may have been given to another directory.
        struct stat moved
        {
        };
        const bool same = ::fstatat(parkFd, parkName.constData(), &moved, AT_SYMLINK_NOFOLLOW) == 0
            && FileKey::fromStat(moved) == v.stamp.key;
        QByteArray again;
        if (const QString changed = same ? ownerDirChanged(lock.get(), v, &again)
                                         : QStringLiteral("another directory took its path before the move");
            !changed.isEmpty()) {
            if (::renameat2(parkFd, parkName.constData(), parent.get(), leaf.constData(), RENAME_NOREPLACE) == 0) {
                *why = changed + QStringLiteral("; put back");
                return false;
            }
            *why = changed
                + QStringLiteral("; it cannot be put back (%1), so it is left as %2")
                      .arg(ProcFs::errorText(errno), parked);
            *leftAt = parked;
            return false;
        }
        // Out of its path and exactly as judged: no tool reaches it any more.
        if (::unlinkat(lock.get(), QFile::encodeName(v.content.ownerFile).constData(), 0) != 0
            || ::unlinkat(parkFd, parkName.constData(), AT_REMOVEDIR) != 0) {
            *why = QStringLiteral("moved out of its path, but not emptied (%1): left as %2")
                       .arg(ProcFs::errorText(errno), parked);
            *leftAt = parked;
        }
        return true;
    }

} // namespace

LockFile::LockFile(const QString& targetPath, LockRules rules)
    : m_lockPath(targetPath + QLatin1String(".lock"))
    , m_rules(rules)
{
    const QFileInfo info(m_lockPath);
    m_dirPath = QFile::encodeName(info.absolutePath());
    m_lockName = QFile::encodeName(info.fileName());
}

LockFile::~LockFile()
{
    unlock();
    if (m_dirFd >= 0)
        ::close(m_dirFd);
}

bool LockFile::openDirectory()
{
    if (m_dirFd >= 0)
        return true;
    m_dirFd = ::open(m_dirPath.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m_dirFd < 0) {
        m_error = QStringLiteral("%1: cannot open directory: %2")
                      .arg(QFile::decodeName(m_dirPath), ProcFs::errorText(errno));
        return false;
    }
    return true;
}

LockFile::Status LockFile::tryLock()
{
    if (isLocked())
        return Status::Acquired;
    if (!openDirectory())
        return Status::Error;
    m_stole = false;
    const QString nonce = newNonce();
    const QByteArray content = ourLockContent(nonce);
    // Same shape as codegraph's steal tmp, so codegraph's own sweep tidies one we leave behind.
    const QByteArray tmpName = m_lockName + '.' + nonce.toLatin1() + ".tmp";

    // The lock's content is written before it has a name: an unnamed O_TMPFILE where the
    // filesystem has them (no tmp name to create and remove, so waiters see no churn), else a
    // named tmp file.
    bool named = false;
    int fd = ::openat(m_dirFd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
    if (fd < 0) {
        fd = ::openat(m_dirFd, tmpName.constData(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        named = true;
    }
    if (fd < 0) {
        m_error = QStringLiteral("%1: cannot create %2: %3")
                      .arg(m_lockPath, QFile::decodeName(tmpName), ProcFs::errorText(errno));
        return Status::Error;
    }
    char procPath[48];
    std::snprintf(procPath, sizeof procPath, "/proc/self/fd/%d", fd);
    auto linkTo = [&](const QByteArray& name) {
        return named ? ::linkat(m_dirFd, tmpName.constData(), m_dirFd, name.constData(), 0)
                     : ::linkat(AT_FDCWD, procPath, m_dirFd, name.constData(), AT_SYMLINK_FOLLOW);
    };
    auto giveUp = [&](Status status) {
        ::close(fd);
        if (named)
            ::unlinkat(m_dirFd, tmpName.constData(), 0);
        return status;
    };
    auto acquired = [&](bool stole) {
        m_fd = fd;
        m_key = keyOf(fd);
        m_nonce = nonce;
        m_stole = stole;
        qCDebug(lcLock) << (stole ? "stole the stale lock" : "acquired") << m_lockPath << "nonce" << nonce;
        return Status::Acquired;
    };
    if (!writeAll(fd, content)) {
        m_error = QStringLiteral("%1: cannot write lock content: %2").arg(m_lockPath, ProcFs::errorText(errno));
        return giveUp(Status::Error);
    }

    if (linkTo(m_lockName) == 0) {
        if (named)
            ::unlinkat(m_dirFd, tmpName.constData(), 0);
        return acquired(false);
    }
    const int linkError = errno;
    if (linkUnsupported(linkError)) {
        // No hard links here (some FUSE/network filesystems): codegraph's own O_EXCL create.
        giveUp(Status::Busy);
        fd = ::openat(m_dirFd, m_lockName.constData(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        named = false;
        if (fd >= 0) {
            if (writeAll(fd, content))
                return acquired(false);
            ::close(fd);
            ::unlinkat(m_dirFd, m_lockName.constData(), 0);
            m_error = QStringLiteral("%1: cannot write lock content").arg(m_lockPath);
            return Status::Error;
        }
        if (errno != EEXIST) {
            m_error = QStringLiteral("%1: cannot create: %2").arg(m_lockPath, ProcFs::errorText(errno));
            return Status::Error;
        }
        m_verdict = LockJudge(m_rules).judge(m_lockPath, std::nullopt, LockJudge::Evidence::Lazy);
        return Status::Busy; // without link there is no safe steal; the holder's own rules apply
    }
    if (linkError != EEXIST) {
        m_error = QStringLiteral("%1: cannot create: %2").arg(m_lockPath, ProcFs::errorText(linkError));
        return giveUp(Status::Error);
    }
    if (const QString why = neverReleased(m_dirFd, m_lockName.constData()); !why.isEmpty()) {
        m_error = QStringLiteral("%1 %2: not a lock any tool takes or releases; not waited for").arg(m_lockPath, why);
        return giveUp(Status::Error);
    }

    // Held by someone. Judge it; steal only what is provably stale and still the same file.
    m_verdict = LockJudge(m_rules).judge(m_lockPath, std::nullopt, LockJudge::Evidence::Lazy);
    const bool stealable = m_verdict.state == LockState::Stale && m_verdict.removable
        && (m_verdict.dialect == LockDialect::PidNonce || m_verdict.dialect == LockDialect::PidOnly);
    if (!stealable) {
        qCDebug(lcLock) << "busy:" << m_lockPath << nameOf(m_verdict.state) << m_verdict.reason;
        return giveUp(Status::Busy);
    }
    const auto now = FileStamp::ofPath(m_lockPath);
    if (!now || *now != m_verdict.stamp)
        return giveUp(Status::Busy); // changed since judged: judge again next time
    if (!named) { // renames need a name
        if (linkTo(tmpName) != 0)
            return giveUp(Status::Busy);
        named = true;
    }
    // Swap our lock in and take back exactly what was there. If that is the file judged stale,
    // it is ours alone; if someone replaced it in between, we hold their live lock in our hand
    // and swap it straight back. (A plain rename-over, codegraph's way, lets two stealers both
    // pass their nonce re-read.)
    if (::renameat2(m_dirFd, tmpName.constData(), m_dirFd, m_lockName.constData(), RENAME_EXCHANGE) == 0) {
        struct stat out
        {
        };
        const bool gotStale = ::fstatat(m_dirFd, tmpName.constData(), &out, AT_SYMLINK_NOFOLLOW) == 0
            && FileStamp::fromStat(out) == m_verdict.stamp;
        if (gotStale) {
            ::unlinkat(m_dirFd, tmpName.constData(), 0); // the stale lock itself
            return acquired(true);
        }
        ::renameat2(m_dirFd, tmpName.constData(), m_dirFd, m_lockName.constData(), RENAME_EXCHANGE);
        return giveUp(Status::Busy);
    }
    if (errno == EINVAL || errno == ENOSYS) {
        // No RENAME_EXCHANGE on this filesystem: rename over it and verify the nonce.
        if (::renameat(m_dirFd, tmpName.constData(), m_dirFd, m_lockName.constData()) == 0) {
            if (readSmall(m_dirFd, m_lockName.constData()).contains(nonce.toLatin1())
                && sameFile(fd, m_dirFd, m_lockName.constData()))
                return acquired(true);
            ::close(fd);
            return Status::Busy; // lost to another stealer; the winner's file stays
        }
    }
    return giveUp(Status::Busy);
}

bool LockFile::lock(std::chrono::milliseconds timeout)
{
    if (isLocked())
        return true;
    if (!openDirectory())
        return false;
    const QDeadlineTimer deadline(timeout);
    // Watch before the first try, so a release between the try and the wait is not missed.
    const int inotifyFd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (inotifyFd >= 0
        && ::inotify_add_watch(inotifyFd, m_dirPath.constData(), IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB)
            < 0) {
        ::close(inotifyFd);
    }
    bool swept = false;
    std::chrono::milliseconds backoff(2);
    const std::chrono::milliseconds maxBackoff(inotifyFd >= 0 ? 250 : 50);
    bool acquired = false;
    for (;;) {
        const Status s = tryLock();
        if (s == Status::Acquired) {
            acquired = true;
            break;
        }
        if (s == Status::Error)
            break;
        if (!swept) { // contended: tidy steal tmps of killed lockers once (the fast path never pays)
            sweepOrphanTmps();
            swept = true;
        }
        const qint64 left = deadline.remainingTime();
        if (left == 0) {
            m_error = QStringLiteral("%1: timed out after %2 ms: %3")
                          .arg(m_lockPath)
                          .arg(timeout.count())
                          .arg(m_verdict.reason);
            qCDebug(lcLock).noquote() << m_error;
            break;
        }
        const int wait = int(left < 0 ? backoff.count() : qMin<qint64>(left, backoff.count()));
        if (inotifyFd >= 0) {
            // Sleep out this slice unless the lock's own name changes.
            const QDeadlineTimer slice(wait);
            bool relevant = false;
            while (!relevant && !slice.hasExpired()) {
                pollfd p { inotifyFd, POLLIN, 0 };
                if (::poll(&p, 1, int(qMax<qint64>(slice.remainingTime(), 0))) <= 0)
                    break;
                alignas(inotify_event) char events[4096];
                for (ssize_t n; (n = ::read(inotifyFd, events, sizeof events)) > 0;)
                    relevant |= concernsLock(events, n, m_lockName);
            }
            if (relevant) {
                backoff = std::chrono::milliseconds(2); // the lock changed: retry promptly
                continue;
            }
        } else {
            ::usleep(useconds_t(wait) * 1000);
        }
        backoff = qMin(backoff * 2, maxBackoff);
    }
    if (inotifyFd >= 0)
        ::close(inotifyFd);
    return acquired;
}

void LockFile::sweepOrphanTmps()
{
    // "<lock>.<pid>-<16 hex>.tmp" is only ever opened by the process whose PID it carries, so
    // once that PID is dead (or reused since the file was written) nobody will touch it again.
    const int fd = ::openat(m_dirFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR* dir = fd >= 0 ? ::fdopendir(fd) : nullptr;
    if (!dir) {
        if (fd >= 0)
            ::close(fd);
        return;
    }
    const QByteArray prefix = m_lockName + '.';
    while (const dirent* e = ::readdir(dir)) {
        const QByteArrayView name(e->d_name);
        if (!name.startsWith(prefix) || !name.endsWith(".tmp"))
            continue;
        const QString fileName = QFile::decodeName(e->d_name);
        const TmpFileName tmp = recogniseTmpName(fileName);
        if (!tmp.recognised || tmp.ownerPid <= 0 || tmp.target != QFile::decodeName(m_lockName))
            continue;
        struct stat st
        {
        };
        if (::fstatat(m_dirFd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        const ProcessInfo owner = inspectProcess(tmp.ownerPid);
        const auto written = QDateTime::fromMSecsSinceEpoch(FileStamp::fromStat(st).mtimeMs(), Qt::UTC);
        const WriterVerdict w = judgeWriter(owner, written).verdict;
        if (w == WriterVerdict::Dead || w == WriterVerdict::Reused)
            ::unlinkat(m_dirFd, e->d_name, 0);
    }
    ::closedir(dir);
}

bool LockFile::stillOurs() const
{
    return m_fd >= 0 && isFile(m_key, m_dirFd, m_lockName.constData())
        && readSmall(m_dirFd, m_lockName.constData()).contains(m_nonce.toLatin1());
}

bool LockFile::unlock()
{
    if (m_fd < 0)
        return false;
    const bool ours = stillOurs();
    if (ours) {
        ::unlinkat(m_dirFd, m_lockName.constData(), 0);
        qCDebug(lcLock) << "released" << m_lockPath;
    } else {
        m_error = QStringLiteral("%1: no longer carries our nonce %2; left as it is").arg(m_lockPath, m_nonce);
        qCDebug(lcLock).noquote() << m_error;
    }
    ::close(m_fd);
    m_fd = -1;
    return ours;
}

bool LockFile::refresh()
{
    return stillOurs() && ::futimens(m_fd, nullptr) == 0;
}

ClearResult clearStaleLock(const QString& lockPath, LockRules rules)
{
    ClearOptions options;
    options.rules = rules;
    return clearStaleLock(lockPath, options);
}

ClearResult clearStaleLock(const QString& lockPath, const ClearOptions& options)
{
    const LockRules rules = options.rules;
    ClearResult r;
    r.verdict = LockJudge(rules).judge(lockPath);
    const LockVerdict& v = r.verdict;
    if (v.state != LockState::Stale || !v.removable) {
        r.message = QStringLiteral("%1: not removed: %2 (%3)").arg(lockPath, nameOf(v.state), v.reason);
        qCDebug(lcLock).noquote() << r.message;
        return r;
    }
    const QByteArray path = QFile::encodeName(lockPath);
    QString why; // why it was not cleared: the cause, never a guess (a read-only filesystem is not a race)
    auto unchanged = [&] {
        const auto now = FileStamp::ofPath(lockPath);
        if (!now || *now != v.stamp)
            why = now ? QStringLiteral("it changed since it was judged") : QStringLiteral("it went away meanwhile");
        return why.isEmpty();
    };
    auto done = [&](int rc) {
        if (rc != 0)
            why = ProcFs::errorText(errno);
        return rc == 0;
    };
    switch (v.dialect) {
    case LockDialect::PidNonce: {
        if (!lockPath.endsWith(QLatin1String(".lock"))) {
            why = QStringLiteral("not named <target>.lock");
            break;
        }
        LockFile ours(lockPath.chopped(5), rules); // steal, then release: the codegraph way
        const LockFile::Status s = ours.tryLock();
        if (s == LockFile::Status::Acquired && ours.stole())
            r.cleared = ours.unlock();
        if (!r.cleared)
            why = !ours.errorString().isEmpty() ? ours.errorString()
                : s == LockFile::Status::Busy   ? QStringLiteral("it was taken meanwhile")
                                                : QStringLiteral("it went away meanwhile");
        break;
    }
    case LockDialect::PidOnly:
        r.cleared = unchanged() && done(::unlink(path.constData()));
        break;
    case LockDialect::Mkdir:
        r.cleared = unchanged() && done(::rmdir(path.constData()));
        break;
    case LockDialect::QLockFile: {
        const int fd = ::open(path.constData(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
            why = QStringLiteral("cannot open it: %1").arg(ProcFs::errorText(errno));
            break;
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
            why = QStringLiteral("it was taken meanwhile (flock)");
        else
            r.cleared = unchanged() && done(::unlink(path.constData()));
        ::close(fd);
        break;
    }
    case LockDialect::OwnerDir:
        r.cleared = clearOwnerDir(lockPath, v, options, &why, &r.leftAt);
        break;
    case LockDialect::Git:
    case LockDialect::ChromiumSingleton: // Chromium's and gstack's to clear, never ours
    case LockDialect::Flock: // the kernel releases it with its holder: the file is no litter
    case LockDialect::Unknown:
        why = QStringLiteral("not a lock Stateward clears");
        break;
    }
    r.message = r.cleared ? QStringLiteral("%1: removed stale %2 lock: %3").arg(lockPath, nameOf(v.dialect), v.reason)
                          : QStringLiteral("%1: not removed: %2").arg(lockPath, why);
    if (r.cleared && !why.isEmpty())
        r.message += QStringLiteral("; %1").arg(why);
    qCDebug(lcLock).noquote() << r.message;
    return r;
}

} // namespace Stateward
