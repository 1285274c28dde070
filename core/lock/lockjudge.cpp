// SPDX-License-Identifier: GPL-3.0-or-later
#include "lockjudge.h"

#include "proc/filetree.h"
#include "proc/procfs.h"
#include "proc/regularfile.h"
#include "proc/uniquefd.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Stateward {

namespace {

    QJsonArray pidArray(const QList<qint64>& pids)
    {
        QJsonArray a;
        for (qint64 p : pids)
            a.append(p);
        return a;
    }

    QString seconds(qint64 ms)
    {
        return QString::number(double(ms) / 1000.0, 'f', 1) + QStringLiteral(" s");
    }

    QString holderGone(qint64 pid, Liveness liveness)
    {
        if (liveness == Liveness::Invalid)
            return QStringLiteral("names PID %1, which no process can have (pid_max %2)")
                .arg(pid)
                .arg(ProcFs::pidMax());
        return QStringLiteral("holder PID %1 is %2").arg(pid).arg(nameOf(liveness));
    }

    // Lock files are tiny; anything large is not a lock we should slurp.
    constexpr qsizetype kMaxLockBytes = 64 * 1024;

    // An owner file is one small JSON object (oh-my-codex's are under 1 KiB).
    constexpr qint64 kMaxOwnerBytes = 64 * 1024;
    // A lock directory holds one owner file; past this many entries it is no lock of any tool.
    constexpr int kMaxLockDirEntries = 64;

    // The entries of a lock directory, listed through the directory itself, opened without following
    // a symlink and proven to be the one lstat saw.
    struct LockDirListing
    {
        UniqueFd fd;
        QStringList names;
        bool more = false; // stopped at kMaxLockDirEntries
        QString problem; // why it could not be listed
    };
    LockDirListing listLockDir(const QString& path, const FileKey& key)
    {
        LockDirListing l;
        l.fd.reset(::open(QFile::encodeName(path).constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        struct stat st
        {
        };
        if (!l.fd.isValid() || ::fstat(l.fd.get(), &st) != 0) {
            l.problem = QStringLiteral("cannot open the directory: %1").arg(ProcFs::errorText(errno));
            l.fd.reset();
            return l;
        }
        if (FileKey::fromStat(st) != key) {
            l.problem = QStringLiteral("replaced while it was judged");
            l.fd.reset();
            return l;
        }
        // readdir on a dup: closedir closes the fd it was given, and l.fd stays for the reads.
        DIR* dir = ::fdopendir(::fcntl(l.fd.get(), F_DUPFD_CLOEXEC, 0));
        if (!dir) {
            l.problem = QStringLiteral("cannot list the directory: %1").arg(ProcFs::errorText(errno));
            l.fd.reset();
            return l;
        }
        while (const dirent* e = ::readdir(dir)) {
            const QByteArrayView name(e->d_name);
            if (name == "." || name == "..")
                continue;
            if (l.names.size() >= kMaxLockDirEntries) {
                l.more = true;
                break;
            }
            l.names.append(QFile::decodeName(e->d_name));
        }
        ::closedir(dir);
        l.names.sort();
        return l;
    }

    // Which owner file of an owner-dir lock names its holder, as oh-my-codex picks it
    // (inspectSessionPointerLockAtContext): owner.json or one owner.<token>.tmp, and nothing else
    // beside it. Empty, with *why, when there is none to trust.
    QString ownerFileOf(const LockDirListing& l, QString* why)
    {
        const auto shown = [&l] {
            return l.names.mid(0, 5).join(QStringLiteral(", "))
                + (l.names.size() > 5 || l.more ? QStringLiteral(", …") : QString());
        };
        if (l.names.isEmpty()) {
            *why = QStringLiteral("no owner file: its holder has not published one yet, or died before it did "
                                  "(oh-my-codex never recovers such a lock either)");
            return {};
        }
        if (l.names.size() == 1 && !l.more && isOwnerFileName(l.names.first()))
            return l.names.first();
        const bool ownerLike
            = std::any_of(l.names.cbegin(), l.names.cend(), [](const QString& n) { return isOwnerFileName(n); });
        *why = ownerLike
            ? QStringLiteral("ambiguous: it holds %1 entries (%2), not one owner file")
                  .arg(l.more ? QStringLiteral("%1+").arg(l.names.size()) : QString::number(l.names.size()), shown())
            : QStringLiteral("holds %1, which is no owner file").arg(shown());
        return {};
    }

    bool insideGitDir(const QString& path)
    {
        return path.contains(QLatin1String("/.git/")) || QFileInfo(path).dir().dirName() == QLatin1String(".git");
    }

} // namespace

QString nameOf(LockState state)
{
    switch (state) {
    case LockState::Held:
        return QStringLiteral("held");
    case LockState::Stale:
        return QStringLiteral("stale");
    case LockState::Suspect:
        return QStringLiteral("suspect");
    case LockState::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

LockJudge::LockJudge(LockRules rules)
    : m_rules(rules)
{ }

LockJudge::LockJudge(OpenFileTable openFiles, KernelLockTable kernelLocks, LockRules rules)
    : m_rules(rules)
    , m_openFiles(std::move(openFiles))
    , m_kernelLocks(std::move(kernelLocks))
{ }

const OpenFileTable& LockJudge::openFiles() const
{
    if (!m_openFiles)
        m_openFiles = OpenFileTable::scan();
    return *m_openFiles;
}

const KernelLockTable& LockJudge::kernelLocks() const
{
    if (!m_kernelLocks)
        m_kernelLocks = KernelLockTable::read();
    return *m_kernelLocks;
}

void LockJudge::applyHolderEvidence(LockVerdict& v) const
{
    v.openFilesChecked = true;
    v.openHolders = openFiles().holders(v.stamp.key);
    v.kernelHolders = kernelLocks().holderPids(v.stamp.key);
    if (v.ownerStamp.isValid()) { // an owner-dir's holder may be writing its owner file
        for (qint64 p : openFiles().holders(v.ownerStamp.key)) {
            if (!v.openHolders.contains(p))
                v.openHolders.append(p);
        }
        for (qint64 p : kernelLocks().holderPids(v.ownerStamp.key)) {
            if (!v.kernelHolders.contains(p))
                v.kernelHolders.append(p);
        }
    }
}

LockVerdict LockJudge::judge(const QString& path, std::optional<LockDialect> dialect, Evidence evidence) const
{
    LockVerdict v;
    v.path = path;
    const auto stamp = FileStamp::ofPath(path);
    if (!stamp) {
        v.state = LockState::Unknown;
        v.reason = QStringLiteral("%1: cannot stat: %2").arg(path, ProcFs::errorText(errno));
        return v;
    }
    v.stamp = *stamp;
    v.mtime = QDateTime::fromMSecsSinceEpoch(stamp->mtimeMs(), Qt::UTC);
    v.ageMs = v.mtime.msecsTo(QDateTime::currentDateTimeUtc());
    const bool chromium = dialect ? *dialect == LockDialect::ChromiumSingleton
                                  : QFileInfo(path).fileName() == QLatin1String("SingletonLock");
    if (stamp->isSymlink && !chromium) {
        v.state = LockState::Unknown;
        v.reason = QStringLiteral("is a symlink: not a lock any tool writes; left alone");
        return v;
    }

    QByteArray content;
    if (chromium) {
        // The link's own text is the lock's content: read, never followed (it points nowhere real).
        if (!stamp->isSymlink) {
            v.dialect = LockDialect::ChromiumSingleton;
            v.state = LockState::Unknown;
            v.reason = QStringLiteral("not a symlink: Chromium's SingletonLock always is one; left alone");
            return v;
        }
        char target[256];
        const ssize_t n = ::readlink(QFile::encodeName(path).constData(), target, sizeof target);
        if (n < 0 || n == ssize_t(sizeof target)) {
            v.dialect = LockDialect::ChromiumSingleton;
            v.state = LockState::Unknown;
            v.reason = n < 0 ? QStringLiteral("cannot read the link: %1").arg(ProcFs::errorText(errno))
                             : QStringLiteral("a link target longer than any host-PID; left alone");
            return v;
        }
        content = QByteArray(target, n);
    } else if (!stamp->isDirectory) {
        // Only a prefix classifies a lock; a FIFO, socket or device is no tool's lock and is not opened.
        RegularFile file = readRegularFile(path, kMaxLockBytes, Overflow::KeepPrefix);
        if (file.status == RegularFile::Status::NotRegular) {
            v.state = LockState::Unknown;
            v.reason = QStringLiteral("%1: not a lock any tool writes; left alone").arg(file.problem);
            return v;
        }
        content = std::move(file.bytes);
    }
    LockDirListing listing;
    if (stamp->isDirectory && (!dialect || *dialect == LockDialect::OwnerDir)) {
        listing = listLockDir(path, stamp->key);
        if (!listing.problem.isEmpty()) {
            v.dialect = dialect.value_or(LockDialect::Unknown);
            v.state = LockState::Unknown;
            v.reason = listing.problem;
            return v;
        }
    }
    v.dialect = dialect.value_or(stamp->isDirectory
            ? classifyLockDirectory(listing.names)
            : classifyLock(QFileInfo(path).fileName(), false, insideGitDir(path), content));
    if (v.dialect == LockDialect::OwnerDir) {
        // The holder is named by the owner file inside, read through the directory's fd: regular files
        // only, never through a symlink, never more than kMaxOwnerBytes.
        QString why;
        const QString owner = stamp->isDirectory ? ownerFileOf(listing, &why) : QString();
        if (!stamp->isDirectory)
            why = QStringLiteral("not a directory: an owner-dir lock always is one");
        RegularFile file;
        if (!owner.isEmpty()) {
            file = readRegularFile(listing.fd.get(), QFile::encodeName(owner).constData(), kMaxOwnerBytes);
            v.content.ownerFile = owner;
            if (file.ok())
                v.ownerStamp = file.stamp;
            if (!file.ok())
                why = QStringLiteral("%1: %2").arg(owner,
                    file.status == RegularFile::Status::Missing ? QStringLiteral("went away while it was judged")
                                                                : file.problem);
        }
        LockContent parsed;
        QString tmpToken;
        if (why.isEmpty()) {
            if (const QString malformed = parseOwnerRecord(file.bytes, &parsed); !malformed.isEmpty())
                why = QStringLiteral("%1 is malformed: %2").arg(owner, malformed);
            else if (isOwnerFileName(owner, &tmpToken) && !tmpToken.isEmpty() && tmpToken != parsed.token)
                why = QStringLiteral("%1 is malformed: it carries the token %2").arg(owner, parsed.token);
        }
        if (!why.isEmpty()) {
            // Not stale, never cleared: oh-my-codex itself refuses to recover such a lock.
            v.content.empty = file.ok() && file.bytes.trimmed().isEmpty();
            v.state = LockState::Unknown;
            v.reason = why + QStringLiteral("; left alone");
            return v;
        }
        parsed.ownerFile = owner;
        v.content = parsed;
    } else {
        v.content = parseLockContent(v.dialect, content);
    }
    listing.fd.reset(); // closed before anyone looks for processes that hold the lock open: we do not

    if (evidence == Evidence::Full)
        applyHolderEvidence(v);

    // A verdict of "stale" only stands if no process has the file open or locked
    // (docs/formats/locks.md).
    auto concludeStale = [this, &v](const QString& why) {
        if (!v.openFilesChecked)
            applyHolderEvidence(v);
        QList<qint64> holders = v.openHolders;
        for (qint64 p : v.kernelHolders) {
            if (!holders.contains(p))
                holders.append(p);
        }
        if (!holders.isEmpty()) {
            v.state = LockState::Held;
            v.reason = why + QStringLiteral(", but PID %1 has the lock file open: held").arg(pidList(holders));
            return;
        }
        v.state = LockState::Stale;
        v.removable = v.dialect != LockDialect::Git && v.dialect != LockDialect::Unknown
            && v.dialect != LockDialect::ChromiumSingleton;
        v.reason = why + QStringLiteral("; no process has it open");
    };

    const QString ourHost = ProcFs::hostName();
    const LockContent& c = v.content;
    v.foreignHost = !c.host.isEmpty() && c.host != ourHost;
    v.otherBoot = !v.foreignHost && !c.bootId.isEmpty() && c.bootId != ProcFs::bootId();

    ProcessInfo holder;
    if (c.pid > 0) {
        holder = inspectProcess(c.pid);
        v.liveness = holder.liveness;
        v.holderStart = holder.startTime;
        // An owner-dir lock is judged by its recorded start ticks alone, never by its directory's mtime.
        v.writer = v.dialect == LockDialect::OwnerDir ? WriterJudgement {} : judgeWriter(holder, v.mtime);
        // Our dialect (and an owner record) records the holder's start ticks: an exact identity check.
        if (holder.isAlive() && c.startTicks >= 0 && holder.startTicks >= 0 && holder.startTicks != c.startTicks) {
            v.writer.verdict = WriterVerdict::Reused;
            v.writer.reason = QStringLiteral("PID %1 is alive but its start time (%2 ticks) differs from the "
                                             "holder's recorded start (%3 ticks): the PID was reused")
                                  .arg(c.pid)
                                  .arg(holder.startTicks)
                                  .arg(c.startTicks);
        }
    }

    // One chain for every dialect that names its holder: who is it, is it still that process,
    // and (where the dialect has an age rule) has it held the lock too long?
    auto judgeHolder = [&](std::optional<qint64> ageLimit) {
        if (c.pid <= 0) {
            if (c.empty && v.ageMs < m_rules.emptyGrace.count()) {
                v.state = LockState::Held;
                v.reason = QStringLiteral("empty and %1 old: a lock being created").arg(seconds(v.ageMs));
            } else {
                concludeStale(c.empty ? QStringLiteral("empty for %1: names no holder").arg(seconds(v.ageMs))
                                      : QStringLiteral("names no PID on its first line"));
            }
        } else if (v.foreignHost) {
            if (ageLimit && v.ageMs > *ageLimit) {
                concludeStale(QStringLiteral("held on host %1 and untouched for %2 (limit %3)")
                                  .arg(c.host, seconds(v.ageMs), seconds(*ageLimit)));
            } else {
                v.state = LockState::Unknown;
                v.reason = QStringLiteral("held by PID %1 on host %2: its PID cannot be checked from here")
                               .arg(c.pid)
                               .arg(c.host);
            }
        } else if (v.otherBoot) {
            concludeStale(QStringLiteral("written before this machine's last boot (boot id %1)").arg(c.bootId));
        } else if (!holder.isAlive()) {
            concludeStale(holderGone(c.pid, v.liveness));
        } else if (v.writer.verdict == WriterVerdict::Reused) {
            concludeStale(v.writer.reason);
        } else if (ageLimit && v.ageMs > *ageLimit) {
            concludeStale(QStringLiteral("holder PID %1 is alive but the lock is %2 old (limit %3)")
                              .arg(c.pid)
                              .arg(seconds(v.ageMs), seconds(*ageLimit)));
        } else {
            v.state = LockState::Held;
            v.reason = QStringLiteral("held by live PID %1 (%2), %3 old").arg(c.pid).arg(holder.comm, seconds(v.ageMs));
        }
    };

    switch (v.dialect) {
    case LockDialect::PidNonce:
        judgeHolder(m_rules.pidNonceMaxAge.count());
        break;
    case LockDialect::PidOnly: // gstack, graph.db.lock: stale only when the holder is gone
        judgeHolder(std::nullopt);
        break;
    case LockDialect::ChromiumSingleton: // host + PID, no age rule: held as long as its holder lives
        if (c.pid <= 0) {
            v.state = LockState::Unknown;
            v.reason = QStringLiteral("link target '%1' is not <host>-<pid>; left alone")
                           .arg(QString::fromUtf8(content.left(120)));
            break;
        }
        judgeHolder(std::nullopt);
        break;
    case LockDialect::Mkdir: {
        const qint64 stale = m_rules.mkdirStale.count();
        if (v.ageMs > stale) {
            concludeStale(
                QStringLiteral("not refreshed for %1 (stale after %2)").arg(seconds(v.ageMs), seconds(stale)));
        } else {
            v.state = LockState::Held;
            v.reason = QStringLiteral("refreshed %1 ago (stale after %2)").arg(seconds(v.ageMs), seconds(stale));
        }
        break;
    }
    case LockDialect::QLockFile: {
        // Qt's own reuse check: the process at that PID must still run the recorded program.
        const QString exeName = QFileInfo(holder.exe).fileName();
        if (holder.isAlive() && !c.appName.isEmpty() && !exeName.isEmpty() && exeName != c.appName) {
            v.writer.verdict = WriterVerdict::Reused;
            v.writer.reason
                = QStringLiteral("PID %1 now runs %2, not %3: the PID was reused").arg(c.pid).arg(exeName, c.appName);
        }
        judgeHolder(m_rules.qlockfileStale.count());
        break;
    }
    case LockDialect::Git:
        if (!v.openFilesChecked)
            applyHolderEvidence(v);
        if (!v.openHolders.isEmpty()) {
            v.state = LockState::Held;
            v.reason = QStringLiteral("open by PID %1: a git command is writing").arg(pidList(v.openHolders));
        } else {
            v.state = LockState::Suspect;
            v.reason = QStringLiteral("no process has it open (%1 old); git never removes a leftover lock by "
                                      "itself, so remove it by hand once no git command is running")
                           .arg(seconds(v.ageMs));
        }
        break;
    case LockDialect::Flock:
        if (!v.openFilesChecked)
            applyHolderEvidence(v);
        if (!v.kernelHolders.isEmpty() || !v.openHolders.isEmpty()) {
            v.state = LockState::Held;
            v.reason = QStringLiteral("flock target held or open by PID %1")
                           .arg(pidList(v.kernelHolders.isEmpty() ? v.openHolders : v.kernelHolders));
        } else {
            // Not stale: the kernel released the lock when its holder went; the file is kept for the next one.
            v.state = LockState::Unknown;
            v.reason = QStringLiteral("flock target with no holder now (%1 old): the kernel drops such a lock with "
                                      "its holder, so the file is no litter; never removed")
                           .arg(seconds(v.ageMs));
        }
        break;
    case LockDialect::OwnerDir: {
        // oh-my-codex's own verdicts (inspectLockOwnerFile, classifyRecordedIdentity), no age rule: dead
        // or reused is stale; the recorded start and command line both matching is live; anything it
        // cannot prove either way stays unknown, never stale.
        const bool identity = c.ownerVersion == 2 || c.startTicks >= 0;
        const QString owner = QStringLiteral("%1 (version %2)").arg(c.ownerFile).arg(c.ownerVersion);
        if (identity && c.platform != QLatin1String("linux")) {
            v.state = LockState::Unknown;
            v.reason
                = QStringLiteral("%1 records a %2 process identity: it cannot be checked here").arg(owner, c.platform);
        } else if (identity && c.birthNotTicks) {
            v.state = LockState::Unknown;
            v.reason = QStringLiteral("%1 records a start that is no clock-tick count").arg(owner);
        } else if (!holder.isAlive()) {
            concludeStale(QStringLiteral("%1: %2").arg(owner, holderGone(c.pid, v.liveness)));
        } else if (!identity) {
            v.state = LockState::Unknown;
            v.reason = QStringLiteral("%1: holder PID %2 is alive and the owner records no start time to tell it "
                                      "from a later process at that PID (identity indeterminate)")
                           .arg(owner)
                           .arg(c.pid);
        } else if (holder.startTicks < 0) {
            v.state = LockState::Unknown;
            v.reason = QStringLiteral("%1: holder PID %2 is alive but its start time is unreadable (identity "
                                      "indeterminate)")
                           .arg(owner)
                           .arg(c.pid);
        } else if (v.writer.verdict == WriterVerdict::Reused) {
            concludeStale(QStringLiteral("%1: %2").arg(owner, v.writer.reason));
        } else if (!c.cmdlineHash.isEmpty() && ownerCmdlineHash(holder.argv) != c.cmdlineHash.toLatin1()) {
            v.state = LockState::Unknown;
            v.reason = QStringLiteral("%1: PID %2 started at the recorded %3 ticks but now runs another command "
                                      "line than recorded (identity indeterminate)")
                           .arg(owner)
                           .arg(c.pid)
                           .arg(c.startTicks);
        } else {
            v.state = LockState::Held;
            v.reason = QStringLiteral("%1: held by live PID %2 (%3), started at the recorded %4 ticks%5")
                           .arg(owner)
                           .arg(c.pid)
                           .arg(holder.comm)
                           .arg(c.startTicks)
                           .arg(c.cmdlineHash.isEmpty() ? QString() : QStringLiteral(", same command line"));
        }
        break;
    }
    case LockDialect::Unknown:
        v.state = LockState::Unknown;
        v.reason = QStringLiteral("unrecognised lock format: left alone");
        break;
    }
    return v;
}

QStringList LockJudge::findLocks(const QString& dir, QStringList* problems, const TreeFingerprint* tree)
{
    QStringList out;
    const auto consider = [&out](const QString& path, QStringView name, bool isDir) {
        if (!name.endsWith(QLatin1String(".lock")))
            return;
        // A proper-lockfile directory lock is itself the lock; its insides are not ours to list.
        const QStringView parent = QStringView(path).left(path.size() - name.size() - 1);
        if (isDir || !parent.endsWith(QLatin1String(".lock")))
            out.append(path);
    };
    if (tree && tree->lists(dir)) {
        for (const TreeEntry& e : tree->entries) { // Stateward's own area is never in a tree
            if (e.depth > 0 && !e.stamp.isSymlink)
                consider(
                    e.path, QStringView(e.path).mid(e.path.lastIndexOf(QLatin1Char('/')) + 1), e.stamp.isDirectory);
        }
        out.sort();
        return out;
    }
    const QFileInfo root(dir);
    if (root.isSymLink() || !root.isDir()) {
        if (problems)
            problems->append(QStringLiteral("%1: %2").arg(dir,
                root.isSymLink() ? QStringLiteral("is a symlink; not followed") : QStringLiteral("not a directory")));
        return out;
    }
    QDirIterator it(dir, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot | QDir::NoSymLinks,
        QDirIterator::Subdirectories);
    const QString ownArea = QDir(dir).filePath(QStringLiteral(".stateward/"));
    while (it.hasNext()) {
        const QString path = it.next();
        if (path.startsWith(ownArea)) // Stateward's quarantine keeps cleared locks as evidence
            continue;
        consider(path, it.fileName(), it.fileInfo().isDir());
    }
    out.sort();
    return out;
}

QJsonObject LockVerdict::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("path"), path);
    o.insert(QStringLiteral("dialect"), nameOf(dialect));
    o.insert(QStringLiteral("state"), nameOf(state));
    o.insert(QStringLiteral("removable"), removable);
    o.insert(QStringLiteral("reason"), reason);
    if (content.pid > 0)
        o.insert(QStringLiteral("pid"), content.pid);
    o.insert(QStringLiteral("alive"), liveness == Liveness::Alive);
    o.insert(QStringLiteral("liveness"), content.pid > 0 ? nameOf(liveness) : QStringLiteral("none"));
    if (!content.nonce.isEmpty())
        o.insert(QStringLiteral("nonce"), content.nonce);
    if (!content.host.isEmpty())
        o.insert(QStringLiteral("host"), content.host);
    if (!content.tool.isEmpty())
        o.insert(QStringLiteral("tool"), content.tool);
    if (!content.ownerFile.isEmpty())
        o.insert(QStringLiteral("owner"), content.ownerFile);
    if (!content.token.isEmpty())
        o.insert(QStringLiteral("token"), content.token);
    if (dialect == LockDialect::OwnerDir && content.startTicks >= 0)
        o.insert(QStringLiteral("startTicks"), content.startTicks);
    o.insert(QStringLiteral("foreignHost"), foreignHost);
    o.insert(QStringLiteral("mtime"), mtime.toString(Qt::ISODateWithMs));
    o.insert(QStringLiteral("ageMs"), ageMs);
    if (holderStart.isValid())
        o.insert(QStringLiteral("holderStart"), holderStart.toString(Qt::ISODateWithMs));
    if (writer.verdict != WriterVerdict::Unknown || !writer.reason.isEmpty()) {
        o.insert(QStringLiteral("writer"), nameOf(writer.verdict));
        o.insert(QStringLiteral("startedAfterMs"), writer.startedAfterMs);
    }
    o.insert(QStringLiteral("openFilesChecked"), openFilesChecked);
    o.insert(QStringLiteral("openHolders"), pidArray(openHolders));
    o.insert(QStringLiteral("kernelHolders"), pidArray(kernelHolders));
    o.insert(QStringLiteral("file"), stamp.key.toString());
    return o;
}

} // namespace Stateward
