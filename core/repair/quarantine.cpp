// SPDX-License-Identifier: GPL-3.0-or-later
#include "quarantine.h"

#include "lock/atomicwrite.h"
#include "proc/procfs.h"
#include "proc/regularfile.h"
#include "repairkind.h"
#include "sources/jsonfile.h"
#include "sources/source.h"
#include "testhook.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QRegularExpression>

#include <cerrno>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace Stateward {

namespace {

    const QString kQuarantineDir = QStringLiteral(".stateward/quarantine");
    const QString kAuditLog = QStringLiteral(".stateward/audit.jsonl");

    QString opName(QuarantineEntry::Op op)
    {
        switch (op) {
        case QuarantineEntry::Op::Moved:
            return QStringLiteral("moved");
        case QuarantineEntry::Op::Replaced:
            return QStringLiteral("replaced");
        case QuarantineEntry::Op::Cleared:
            return QStringLiteral("cleared");
        case QuarantineEntry::Op::Removed:
            return QStringLiteral("removed");
        }
        return {};
    }

    // rename(2) that fails instead of replacing an existing target.
    int renameNoReplace(int fromDir, const char* from, int toDir, const char* to)
    {
        return int(::syscall(SYS_renameat2, fromDir, from, toDir, to, RENAME_NOREPLACE));
    }

    struct FileBytes
    {
        QByteArray data;
        FileStamp stamp; // fstat of the fd read, taken before reading: any later write changes it
    };

    // What undo reads back whole (kept copies of state files, and what is there now): far above any
    // state file a tool writes, and a bound on memory.
    constexpr qint64 kMaxReadBackBytes = 64 * 1024 * 1024;

    // Reads a regular file through its directory fd, never through a symlink.
    std::optional<FileBytes> readAt(int dirFd, const QByteArray& name)
    {
        RegularFile f = readRegularFile(dirFd, name.constData(), kMaxReadBackBytes);
        if (!f.ok())
            return std::nullopt;
        return FileBytes { std::move(f.bytes), f.stamp };
    }

    // Writes name in dirFd atomically: a unique tmp beside it, fsync, rename, fsync the directory.
    bool writeAt(int dirFd, const QByteArray& name, const QByteArray& bytes, QString* error)
    {
        const QByteArray tmp = name + '.' + QByteArray::number(::getpid()) + '.'
            + QByteArray::number(QRandomGenerator::system()->generate64(), 16) + ".stateward.tmp";
        const int fd = ::openat(dirFd, tmp.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        bool ok = fd >= 0;
        for (qsizetype done = 0; ok && done < bytes.size();) {
            const ssize_t n = ::write(fd, bytes.constData() + done, size_t(bytes.size() - done));
            ok = n > 0 || (n < 0 && errno == EINTR);
            done += n > 0 ? n : 0;
        }
        ok = ok && ::fsync(fd) == 0;
        const int savedErrno = errno;
        if (fd >= 0)
            ::close(fd);
        ok = ok && ::renameat(dirFd, tmp.constData(), dirFd, name.constData()) == 0;
        if (!ok) {
            if (error)
                *error = QStringLiteral("%1: %2").arg(
                    QString::fromUtf8(name), ProcFs::errorText(errno ? errno : savedErrno));
            ::unlinkat(dirFd, tmp.constData(), 0);
            return false;
        }
        ::fsync(dirFd);
        return true;
    }

    // A removed session-dir file goes back only to a session dir of ours, of the shape the family
    // the manifest names keeps (SessionDirs; the manifest is a file anyone with write access could
    // edit: its path is checked, never trusted). *unchanged: the file is there with the kept bytes
    // (a repair stopped before removing it).
    QString restoreRemoved(const QuarantineInfo& info, const QuarantineEntry& e, const UniqueFd& storedDir,
        const QByteArray& storedLeaf, const QString& openError, bool* unchanged)
    {
        const std::optional<Family> family = familyNamed(info.action.value(QStringLiteral("family")).toString());
        const SessionDirs* dirs = family ? adapterFor(*family).sessionDirs() : nullptr;
        const QFileInfo target(e.path);
        if (!dirs || !dirs->isSessionDir(target.path()) || target.fileName().contains(QLatin1Char('/'))
            || target.fileName().startsWith(QLatin1Char('.')))
            return QStringLiteral("not a %1 file; never written outside the state dir")
                .arg(dirs ? dirs->noun() : QStringLiteral("session dir"));
        if (!storedDir.isValid())
            return openError;
        const std::optional<FileBytes> kept = readAt(storedDir.get(), storedLeaf);
        if (!kept || sha256Hex(kept->data) != e.sha256)
            return QStringLiteral("the kept copy is missing or damaged");
        const QByteArray dir = QFile::encodeName(target.path());
        struct stat st
        {
        };
        if (::lstat(dir.constData(), &st) != 0) {
            if (errno != ENOENT || ::mkdir(dir.constData(), 0700) != 0 || ::lstat(dir.constData(), &st) != 0)
                return QStringLiteral("cannot make %1: %2").arg(target.path(), ProcFs::errorText(errno));
        }
        if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid())
            return QStringLiteral("%1 is not a directory of ours").arg(target.path());
        if (const RegularFile there = readRegularFile(e.path, kMaxReadBackBytes);
            there.ok() && sha256Hex(there.bytes) == e.sha256) {
            *unchanged = true;
            return {};
        }
        AtomicWriteOptions options;
        options.expectAbsent = true;
        options.newFileMode = e.mode ? e.mode : 0600;
        const AtomicWriteResult w = atomicWrite(e.path, kept->data, options);
        return w.ok ? QString() : w.error;
    }

    QString slug(const QString& text)
    {
        QString s = text;
        s.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]+")), QStringLiteral("-"));
        return s.left(48);
    }

} // namespace

QByteArray sha256Hex(const QByteArray& bytes)
{
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

QJsonObject QuarantineEntry::toJson() const
{
    QJsonObject o { { QStringLiteral("op"), opName(op) }, { QStringLiteral("path"), path },
        { QStringLiteral("stored"), stored }, { QStringLiteral("aside"), aside },
        { QStringLiteral("directory"), directory }, { QStringLiteral("size"), size },
        { QStringLiteral("mode"), qint64(mode) }, { QStringLiteral("mtimeNs"), QString::number(mtimeNs) } };
    if (!sha256.isEmpty())
        o.insert(QStringLiteral("sha256"), QString::fromLatin1(sha256));
    if (!writtenSha256.isEmpty())
        o.insert(QStringLiteral("writtenSha256"), QString::fromLatin1(writtenSha256));
    return o;
}

QuarantineEntry QuarantineEntry::fromJson(const QJsonObject& o)
{
    QuarantineEntry e;
    const QString op = o.value(QStringLiteral("op")).toString();
    e.op = op == QLatin1String("replaced") ? Op::Replaced
        : op == QLatin1String("cleared")   ? Op::Cleared
        : op == QLatin1String("removed")   ? Op::Removed
                                           : Op::Moved;
    e.aside = o.value(QStringLiteral("aside")).toBool();
    e.path = o.value(QStringLiteral("path")).toString();
    e.stored = o.value(QStringLiteral("stored")).toString();
    e.directory = o.value(QStringLiteral("directory")).toBool();
    e.sha256 = o.value(QStringLiteral("sha256")).toString().toLatin1();
    e.writtenSha256 = o.value(QStringLiteral("writtenSha256")).toString().toLatin1();
    e.size = o.value(QStringLiteral("size")).toInteger();
    e.mode = unsigned(o.value(QStringLiteral("mode")).toInteger());
    e.mtimeNs = o.value(QStringLiteral("mtimeNs")).toString().toLongLong();
    return e;
}

QJsonObject QuarantineInfo::toJson() const
{
    QJsonArray list;
    for (const QuarantineEntry& e : entries)
        list.append(e.toJson());
    QJsonObject o { { QStringLiteral("id"), id }, { QStringLiteral("path"), path },
        { QStringLiteral("createdAt"), createdAt.toString(Qt::ISODateWithMs) }, { QStringLiteral("action"), action },
        { QStringLiteral("entries"), list },
        { QStringLiteral("restoredAt"),
            restoredAt.isValid() ? QJsonValue(restoredAt.toString(Qt::ISODateWithMs)) : QJsonValue() } };
    if (interrupted)
        o.insert(QStringLiteral("interrupted"), true);
    if (!problem.isEmpty())
        o.insert(QStringLiteral("problem"), problem);
    return o;
}

Quarantine::Quarantine(const StateDir& stateDir, const QString& actionId, const QJsonObject& action)
    : m_stateDir(stateDir)
    , m_action(action)
    , m_createdAt(QDateTime::currentDateTimeUtc())
{
    m_id = QStringLiteral("%1-%2-%3")
               .arg(m_createdAt.toString(QStringLiteral("yyyyMMdd'T'HHmmsszzz'Z'")),
                   slug(actionId.section(QLatin1Char(':'), 0, 0) + QLatin1Char('-')
                       + actionId.section(QLatin1Char('/'), -1)))
               .arg(QRandomGenerator::system()->generate() & 0xffffff, 6, 16, QLatin1Char('0'));
    m_relative = kQuarantineDir + QLatin1Char('/') + m_id;
    QByteArray leaf;
    m_files = stateDir.openParent(m_relative + QLatin1String("/files/-"), &leaf, true, &m_error);
    if (m_files.isValid())
        m_dir = stateDir.openParent(m_relative + QLatin1String("/manifest.json"), &leaf, false, &m_error);
}

QString Quarantine::path() const
{
    return m_stateDir.absolutePath(m_relative);
}

bool Quarantine::moveIn(const QString& relative, const FileStamp& expected, QString* error)
{
    const QByteArray stored
        = QByteArray::number(m_entries.size()) + '-' + QFile::encodeName(QFileInfo(relative).fileName());
    return moveEntry(
        relative, expected, m_files.get(), stored, QLatin1String("files/") + QString::fromUtf8(stored), false, error);
}

bool Quarantine::moveAside(
    const QString& relative, const QString& destination, const FileStamp& expected, QString* error)
{
    QByteArray leaf;
    const UniqueFd to = m_stateDir.openParent(destination, &leaf, true, error);
    if (!to.isValid())
        return false;
    for (int n = 0; n < 1000; ++n) {
        const QByteArray name = n == 0 ? leaf : leaf + '.' + QByteArray::number(n);
        struct stat st
        {
        };
        if (::fstatat(to.get(), name.constData(), &st, AT_SYMLINK_NOFOLLOW) == 0)
            continue;
        const QString stored = QFileInfo(destination).path() + QLatin1Char('/') + QString::fromUtf8(name);
        if (moveEntry(relative, expected, to.get(), name, QDir::cleanPath(stored), true, error))
            return true;
        if (errno != EEXIST) // taken between the look and the move: try the next suffix
            return false;
    }
    *error = QStringLiteral("%1: no free name for it in %2").arg(relative, destination);
    return false;
}

bool Quarantine::moveEntry(const QString& relative, const FileStamp& expected, int toDir, const QByteArray& toLeaf,
    const QString& stored, bool aside, QString* error)
{
    QByteArray leaf;
    const UniqueFd parent = m_stateDir.openParent(relative, &leaf, false, error);
    if (!parent.isValid())
        return false;
    struct stat st
    {
    };
    if (::fstatat(parent.get(), leaf.constData(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        *error = QStringLiteral("%1: gone since it was planned").arg(m_stateDir.absolutePath(relative));
        errno = ENOENT;
        return false;
    }
    if (FileStamp::fromStat(st) != expected) {
        *error = QStringLiteral("%1: changed since it was planned; left alone").arg(m_stateDir.absolutePath(relative));
        errno = ESTALE;
        return false;
    }
    QuarantineEntry e;
    e.op = QuarantineEntry::Op::Moved;
    e.path = relative;
    e.stored = stored;
    e.aside = aside;
    e.directory = S_ISDIR(st.st_mode);
    e.size = st.st_size;
    e.mode = st.st_mode & 07777;
    e.mtimeNs = expected.mtimeNs;
    if (!record(e, error)) {
        errno = EIO; // not EEXIST: moveAside must not try another name
        return false;
    }
    testStopPoint("quarantine-before-change");
    const auto forget = [this] { // the move did not happen: the manifest must not say it did
        m_entries.removeLast();
        if (!m_entries.isEmpty()) {
            QString ignored;
            writeManifest(false, &ignored);
        }
    };
    if (renameNoReplace(parent.get(), leaf.constData(), toDir, toLeaf.constData()) != 0) {
        const int err = errno;
        *error = QStringLiteral("%1: cannot move it to %2: %3")
                     .arg(m_stateDir.absolutePath(relative), stored, ProcFs::errorText(err));
        forget();
        errno = err;
        return false;
    }
    // A writer may have renamed a new file over the path between the check and the move.
    if (::fstatat(toDir, toLeaf.constData(), &st, AT_SYMLINK_NOFOLLOW) != 0 || FileStamp::fromStat(st) != expected) {
        renameNoReplace(toDir, toLeaf.constData(), parent.get(), leaf.constData());
        *error = QStringLiteral("%1: replaced while being moved; put back").arg(m_stateDir.absolutePath(relative));
        forget();
        errno = ESTALE;
        return false;
    }
    // Hashed after the move, from the inode now in the quarantine, in chunks (it may be huge);
    // commit() writes it into the manifest.
    if (S_ISREG(st.st_mode)) {
        if (const auto hash = sha256OfRegularFile(toDir, toLeaf.constData()))
            m_entries.last().sha256 = *hash;
    }
    return true;
}

bool Quarantine::keepRemoved(
    const QString& absolute, const QByteArray& bytes, unsigned mode, qint64 mtimeNs, QString* error)
{
    QuarantineEntry e;
    e.op = QuarantineEntry::Op::Removed;
    e.path = absolute;
    e.mode = mode;
    e.mtimeNs = mtimeNs;
    return keepBytes(e, bytes, error);
}

bool Quarantine::keepBytes(QuarantineEntry e, const QByteArray& bytes, QString* error)
{
    const QString name = QStringLiteral("%1-%2").arg(m_entries.size()).arg(QFileInfo(e.path).fileName());
    e.stored = QLatin1String("files/") + name;
    e.sha256 = sha256Hex(bytes);
    e.size = bytes.size();
    m_recordFailed = false;
    QString why;
    if (!writeAt(m_files.get(), QFile::encodeName(name), bytes, &why)) {
        *error = QStringLiteral("%1/files/%2; nothing changed").arg(path(), why);
        m_recordFailed = true;
        return false;
    }
    if (!record(e, error)) {
        ::unlinkat(m_files.get(), QFile::encodeName(name).constData(), 0);
        return false;
    }
    testStopPoint("quarantine-before-change");
    return true;
}

bool Quarantine::keepReplaced(const QString& relative, const QByteArray& old, const FileStamp& oldStamp,
    const QByteArray& written, QString* error)
{
    QuarantineEntry e;
    e.op = QuarantineEntry::Op::Replaced;
    e.path = relative;
    e.writtenSha256 = sha256Hex(written);
    e.mtimeNs = oldStamp.mtimeNs;
    return keepBytes(e, old, error);
}

bool Quarantine::keepCleared(const QString& relative, const QByteArray& content, QString* error)
{
    QuarantineEntry e;
    e.op = QuarantineEntry::Op::Cleared;
    e.path = relative;
    return keepBytes(e, content, error);
}

bool Quarantine::commit(QString* error)
{
    if (!isValid()) {
        *error = m_error;
        return false;
    }
    if (m_entries.isEmpty()) {
        removeIfEmpty();
        return true;
    }
    testStopPoint("quarantine-before-commit");
    return writeManifest(true, error);
}

bool Quarantine::record(const QuarantineEntry& entry, QString* error)
{
    m_recordFailed = false;
    m_entries.append(entry);
    if (writeManifest(false, error))
        return true;
    m_entries.removeLast();
    m_recordFailed = true;
    *error += entry.op == QuarantineEntry::Op::Moved ? QStringLiteral("; nothing moved")
                                                     : QStringLiteral("; nothing changed");
    return false;
}

bool Quarantine::writeManifest(bool complete, QString* error)
{
    QuarantineInfo info;
    info.id = m_id;
    info.path = path();
    info.createdAt = m_createdAt;
    info.action = m_action;
    info.entries = m_entries;
    QJsonObject manifest = info.toJson();
    manifest.insert(QStringLiteral("schema"), QStringLiteral("stateward-quarantine/1"));
    manifest.insert(QStringLiteral("stateDir"), m_stateDir.path());
    manifest.insert(QStringLiteral("complete"), complete);
    QString why;
    if (writeAt(m_dir.get(), "manifest.json", toJsonText(manifest), &why))
        return true;
    *error = QStringLiteral("%1/%2").arg(path(), why);
    return false;
}

// Nothing kept: no empty quarantine (nor a manifest of entries taken back) is left behind.
void Quarantine::removeIfEmpty()
{
    ::unlinkat(m_dir.get(), "manifest.json", 0);
    ::unlinkat(m_dir.get(), "files", AT_REMOVEDIR);
    QByteArray leaf;
    const UniqueFd parent = m_stateDir.openParent(m_relative, &leaf, false, nullptr);
    if (parent.isValid())
        ::unlinkat(parent.get(), leaf.constData(), AT_REMOVEDIR);
}

void Quarantine::discardCopies()
{
    QList<QuarantineEntry> kept, dropped;
    for (const QuarantineEntry& e : std::as_const(m_entries))
        (e.op == QuarantineEntry::Op::Moved ? kept : dropped).append(e);
    m_entries = kept;
    // The manifest first: killed in between, it names no copy that is gone.
    QString ignored;
    if (m_entries.isEmpty())
        ::unlinkat(m_dir.get(), "manifest.json", 0);
    else
        writeManifest(false, &ignored);
    for (const QuarantineEntry& e : std::as_const(dropped))
        ::unlinkat(m_files.get(), QFile::encodeName(e.stored.mid(6)).constData(), 0);
    if (m_entries.isEmpty())
        removeIfEmpty();
}

QList<QuarantineInfo> listQuarantines(const QString& stateDirPath)
{
    QList<QuarantineInfo> out;
    const StateDir stateDir(stateDirPath);
    QByteArray leaf;
    const UniqueFd area = stateDir.openParent(kQuarantineDir + QLatin1String("/-"), &leaf, false, nullptr);
    if (!area.isValid())
        return out;
    const QDir dir(stateDir.absolutePath(kQuarantineDir));
    for (const QString& id : dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::NoSymLinks, QDir::Name)) {
        QuarantineInfo info;
        info.id = id;
        info.path = dir.filePath(id);
        const QString manifestPath = info.path + QLatin1String("/manifest.json");
        struct stat st
        {
        };
        if (::lstat(QFile::encodeName(manifestPath).constData(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink > 1) {
            // Another name for the same file may sit anywhere: its content is not this quarantine's alone.
            info.problem = QStringLiteral("%1 has %2 hard links; refused").arg(manifestPath).arg(st.st_nlink);
            out.append(info);
            continue;
        }
        const JsonFile manifest = readJsonFile(manifestPath, 64 * 1024 * 1024);
        if (!manifest.ok() && manifest.exists()) {
            info.problem = QStringLiteral("%1: %2").arg(manifestPath, manifest.problem);
            out.append(info);
            continue;
        }
        if (!manifest.ok()) {
            // Since the manifest is written ahead of every change, only a repair stopped before its
            // first change leaves none (or a version before that): what is here is listed, not guessed at.
            const QStringList kept
                = QDir(info.path + QLatin1String("/files"))
                      .entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System);
            info.problem = kept.isEmpty()
                ? QStringLiteral("%1 is missing and nothing is kept: a repair stopped before it changed anything")
                      .arg(manifestPath)
                : QStringLiteral("%1 is missing; %2/files holds %3, and nothing records where it came from")
                      .arg(manifestPath, info.path, kept.join(QStringLiteral(", ")));
            out.append(info);
            continue;
        }
        const QJsonObject& o = manifest.object;
        info.createdAt = QDateTime::fromString(o.value(QStringLiteral("createdAt")).toString(), Qt::ISODateWithMs);
        info.restoredAt = QDateTime::fromString(o.value(QStringLiteral("restoredAt")).toString(), Qt::ISODateWithMs);
        info.action = o.value(QStringLiteral("action")).toObject();
        info.interrupted = !o.value(QStringLiteral("complete")).toBool(true); // absent before write-ahead
        for (const QJsonValue& v : o.value(QStringLiteral("entries")).toArray())
            info.entries.append(QuarantineEntry::fromJson(v.toObject()));
        out.append(info);
    }
    return out;
}

QJsonObject UndoResult::toJson() const
{
    QJsonObject o { { QStringLiteral("id"), id }, { QStringLiteral("ok"), ok },
        { QStringLiteral("restored"), QJsonArray::fromStringList(restored) },
        { QStringLiteral("refused"), QJsonArray::fromStringList(refused) },
        { QStringLiteral("notRestorable"), QJsonArray::fromStringList(notRestorable) },
        { QStringLiteral("unchanged"), QJsonArray::fromStringList(unchanged) } };
    if (!error.isEmpty())
        o.insert(QStringLiteral("error"), error);
    return o;
}

QString whyNotRestorable(const QuarantineInfo& info, const QuarantineEntry& entry)
{
    if (entry.op == QuarantineEntry::Op::Cleared)
        return QStringLiteral("a stale lock; putting it back would block the tool");
    const std::optional<RepairKind> kind = repairKindNamed(info.action.value(QStringLiteral("kind")).toString());
    if (kind && !undoable(*kind))
        return QStringLiteral("left by a process the repair terminated, which cannot be restarted; kept as evidence");
    return {};
}

bool hasRestorable(const QuarantineInfo& info)
{
    return std::any_of(info.entries.cbegin(), info.entries.cend(),
        [&info](const QuarantineEntry& e) { return whyNotRestorable(info, e).isEmpty(); });
}

UndoResult undoQuarantine(const QString& stateDirPath, const QString& id)
{
    UndoResult r;
    r.id = id;
    const StateDir stateDir(stateDirPath);
    if (!stateDir.isOpen()) {
        r.error = stateDir.error();
        return r;
    }
    if (id.isEmpty() || id.contains(QLatin1Char('/')) || id.startsWith(QLatin1Char('.'))) {
        r.error = QStringLiteral("'%1' is not a quarantine id").arg(id);
        return r;
    }
    QuarantineInfo info;
    bool found = false;
    for (const QuarantineInfo& q : listQuarantines(stateDirPath)) {
        if (q.id == id) {
            info = q;
            found = true;
        }
    }
    if (!found || !info.problem.isEmpty()) {
        r.error = found ? QStringLiteral("%1: %2").arg(info.path, info.problem)
                        : QStringLiteral("no quarantine '%1' in %2").arg(id, stateDir.absolutePath(kQuarantineDir));
        return r;
    }
    if (info.restoredAt.isValid()) {
        r.error = QStringLiteral("%1 was already undone at %2").arg(id, info.restoredAt.toString(Qt::ISODate));
        return r;
    }
    if (const QString why = auditLogProblem(stateDir); !why.isEmpty()) { // no undo without its audit line
        r.error = why;
        return r;
    }
    const QString base = kQuarantineDir + QLatin1Char('/') + id + QLatin1Char('/');
    // Last change first: a file replaced twice comes back to its oldest version.
    for (qsizetype i = info.entries.size() - 1; i >= 0; --i) {
        const QuarantineEntry& e = info.entries.at(i);
        const QString where = stateDir.absolutePath(e.path);
        if (const QString why = whyNotRestorable(info, e); !why.isEmpty()) {
            r.notRestorable.append(
                QStringLiteral("%1: %2").arg(e.op == QuarantineEntry::Op::Removed ? e.path : where, why));
            continue;
        }
        QString storedError, error;
        QByteArray storedLeaf, leaf;
        const UniqueFd storedDir
            = stateDir.openParent(e.aside ? e.stored : base + e.stored, &storedLeaf, false, &storedError);
        if (e.op == QuarantineEntry::Op::Removed) {
            bool unchanged = false;
            if (const QString why = restoreRemoved(info, e, storedDir, storedLeaf, storedError, &unchanged);
                !why.isEmpty())
                r.refused.append(QStringLiteral("%1: %2").arg(e.path, why));
            else if (unchanged)
                r.unchanged.append(QStringLiteral("%1: still there, as it was").arg(e.path));
            else
                r.restored.append(e.path);
            continue;
        }
        const UniqueFd parent = stateDir.openParent(e.path, &leaf, true, &error);
        if (!parent.isValid()) {
            r.refused.append(QStringLiteral("%1: %2").arg(where, error));
            continue;
        }
        struct stat st
        {
        };
        const bool exists = ::fstatat(parent.get(), leaf.constData(), &st, AT_SYMLINK_NOFOLLOW) == 0;
        // An interrupted repair records each move before making it: one it never made is not here.
        struct stat storedSt
        {
        };
        const bool stored = storedDir.isValid()
            && ::fstatat(storedDir.get(), storedLeaf.constData(), &storedSt, AT_SYMLINK_NOFOLLOW) == 0;
        if (e.op == QuarantineEntry::Op::Moved && info.interrupted && !stored && exists) {
            r.unchanged.append(QStringLiteral("%1: never moved (the repair was stopped before it)").arg(where));
            continue;
        }
        if (!storedDir.isValid()) {
            r.refused.append(QStringLiteral("%1: %2").arg(where, storedError));
            continue;
        }
        if (e.op == QuarantineEntry::Op::Moved) {
            if (exists) {
                r.refused.append(
                    QStringLiteral("%1: a file is there now (%2 bytes, modified %3); not overwritten")
                        .arg(where)
                        .arg(st.st_size)
                        .arg(QDateTime::fromSecsSinceEpoch(st.st_mtim.tv_sec, Qt::UTC).toString(Qt::ISODate)));
                continue;
            }
            if (renameNoReplace(storedDir.get(), storedLeaf.constData(), parent.get(), leaf.constData()) != 0) {
                r.refused.append(QStringLiteral("%1: %2").arg(where, ProcFs::errorText(errno)));
                continue;
            }
            r.restored.append(e.path);
            continue;
        }
        // Replaced: only over exactly what the repair wrote; anything newer is someone's work.
        const std::optional<FileBytes> old = readAt(storedDir.get(), storedLeaf);
        if (!old || sha256Hex(old->data) != e.sha256) {
            r.refused.append(QStringLiteral("%1: the kept copy is missing or damaged").arg(where));
            continue;
        }
        const std::optional<FileBytes> current = exists ? readAt(parent.get(), leaf) : std::nullopt;
        if (current && sha256Hex(current->data) == e.sha256) { // the rewrite never happened, or was undone
            r.unchanged.append(QStringLiteral("%1: already as it was before the repair").arg(where));
            continue;
        }
        if (exists && (!current || sha256Hex(current->data) != e.writtenSha256)) {
            r.refused.append(
                QStringLiteral("%1: changed since the repair (a newer version is there); not overwritten").arg(where));
            continue;
        }
        AtomicWriteOptions options;
        if (current)
            options.expected = current->stamp; // the very bytes hashed above
        else
            options.expectAbsent = true;
        const AtomicWriteResult w = atomicWrite(where, old->data, options);
        if (!w.ok) {
            r.refused.append(w.error);
            continue;
        }
        r.restored.append(e.path);
    }
    r.ok = r.refused.isEmpty();

    // Mark the manifest, so the same quarantine is not undone twice, and log it.
    QByteArray leaf;
    const UniqueFd dir = stateDir.openParent(base + QLatin1String("manifest.json"), &leaf, false, nullptr);
    const JsonFile manifest
        = readJsonFile(stateDir.absolutePath(base + QLatin1String("manifest.json")), 64 * 1024 * 1024);
    if (dir.isValid() && manifest.ok() && r.refused.isEmpty()) {
        QJsonObject o = manifest.object;
        o.insert(QStringLiteral("restoredAt"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
        writeAt(dir.get(), leaf, toJsonText(o), nullptr);
    }
    QJsonObject audit = r.toJson();
    audit.insert(QStringLiteral("op"), QStringLiteral("undo"));
    appendAudit(stateDir, audit);
    return r;
}

namespace {

    // Empty when st is a file the audit log may be: regular, one link.
    QString auditFileProblem(const struct stat& st)
    {
        if (!S_ISREG(st.st_mode))
            return QStringLiteral("is %1, not a regular file").arg(fileTypeName(st.st_mode));
        if (st.st_nlink > 1)
            return QStringLiteral("has %1 hard links: its lines would be written into another file too")
                .arg(st.st_nlink);
        return {};
    }

    // The audit log open for appending, or invalid with *error naming it and why.
    UniqueFd openAuditLog(const StateDir& stateDir, QString* error)
    {
        const QString path = stateDir.absolutePath(kAuditLog);
        QByteArray leaf;
        QString why;
        const UniqueFd dir = stateDir.openParent(kAuditLog, &leaf, true, &why);
        if (!dir.isValid()) {
            *error = QStringLiteral("audit log %1: %2").arg(path, why);
            return {};
        }
        struct stat st
        {
        };
        if (::fstatat(dir.get(), leaf.constData(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
            if (const QString problem = auditFileProblem(st); !problem.isEmpty()) {
                *error = QStringLiteral("audit log %1 %2; refused").arg(path, problem);
                return {};
            }
        }
        UniqueFd fd(::openat(dir.get(), leaf.constData(),
            O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644));
        if (!fd.isValid() || ::fstat(fd.get(), &st) != 0) {
            *error = QStringLiteral("audit log %1: %2").arg(path, ProcFs::errorText(errno));
            return {};
        }
        if (const QString problem = auditFileProblem(st); !problem.isEmpty()) { // swapped since the lstat
            *error = QStringLiteral("audit log %1 %2; refused").arg(path, problem);
            return {};
        }
        return fd;
    }

} // namespace

QString auditLogProblem(const StateDir& stateDir)
{
    QString error;
    return openAuditLog(stateDir, &error).isValid() ? QString() : error;
}

bool appendAudit(const StateDir& stateDir, QJsonObject record, QString* error)
{
    QString why;
    const UniqueFd fd = openAuditLog(stateDir, &why);
    if (!fd.isValid()) {
        if (error)
            *error = why;
        return false;
    }
    record.insert(QStringLiteral("time"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    record.insert(QStringLiteral("uid"), qint64(::getuid()));
    record.insert(QStringLiteral("pid"), qint64(::getpid()));
    const QByteArray line = QJsonDocument(record).toJson(QJsonDocument::Compact) + '\n';
    // One write per line: O_APPEND keeps concurrent Stateward processes' lines whole.
    if (::write(fd.get(), line.constData(), size_t(line.size())) != line.size()) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(stateDir.absolutePath(kAuditLog), ProcFs::errorText(errno));
        return false;
    }
    return true;
}

} // namespace Stateward
