// SPDX-License-Identifier: GPL-3.0-or-later
#include "lockcontent.h"

#include "proc/processinfo.h"
#include "proc/procfs.h"

#include <QRandomGenerator>
#include <QRegularExpression>

#include <unistd.h>

namespace Stateward {

namespace {

    bool isDecimal(QByteArrayView v)
    {
        if (v.isEmpty() || v.size() > 10)
            return false;
        for (char c : v) {
            if (c < '0' || c > '9')
                return false;
        }
        return true;
    }

    bool isNonce(QByteArrayView v)
    {
        static const QRegularExpression re(QStringLiteral("^\\d+-[0-9a-f]{16}$"));
        return re.match(QString::fromLatin1(v)).hasMatch();
    }

    QList<QByteArrayView> lines(const QByteArray& content)
    {
        QList<QByteArrayView> out = ProcFs::split(content, '\n');
        while (!out.isEmpty() && out.last().trimmed().isEmpty())
            out.removeLast();
        return out;
    }

} // namespace

QString nameOf(LockDialect dialect)
{
    switch (dialect) {
    case LockDialect::PidNonce:
        return QStringLiteral("pid-nonce");
    case LockDialect::PidOnly:
        return QStringLiteral("pid-only");
    case LockDialect::Mkdir:
        return QStringLiteral("mkdir");
    case LockDialect::QLockFile:
        return QStringLiteral("qlockfile");
    case LockDialect::Git:
        return QStringLiteral("git");
    case LockDialect::ChromiumSingleton:
        return QStringLiteral("chromium-singleton");
    case LockDialect::Flock:
        return QStringLiteral("flock");
    case LockDialect::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

LockDialect classifyLock(const QString& fileName, bool isDirectory, bool insideGitDir, const QByteArray& content)
{
    if (fileName == QLatin1String("SingletonLock"))
        return LockDialect::ChromiumSingleton;
    if (isDirectory)
        return LockDialect::Mkdir;
    if (insideGitDir)
        return LockDialect::Git;
    if (fileName == QLatin1String("changes.journal.lock"))
        return LockDialect::PidNonce;
    if (fileName == QLatin1String("browse.json.lock") || fileName == QLatin1String("graph.db.lock"))
        return LockDialect::PidOnly;
    const QList<QByteArrayView> l = lines(content);
    if (l.size() >= 2 && isDecimal(l[0].trimmed()) && isNonce(l[1].trimmed()))
        return LockDialect::PidNonce;
    if (l.size() == 1 && isDecimal(l[0].trimmed()))
        return LockDialect::PidOnly;
    if (l.size() >= 3 && isDecimal(l[0].trimmed()) && !l[1].contains('=') && !l[2].contains('='))
        return LockDialect::QLockFile;
    return LockDialect::Unknown;
}

LockContent parseLockContent(LockDialect dialect, const QByteArray& content)
{
    LockContent c;
    c.empty = content.trimmed().isEmpty();
    if (dialect == LockDialect::ChromiumSingleton) {
        // "<host>-<pid>": the host name may itself hold '-', the PID follows the last one.
        const qsizetype dash = content.lastIndexOf('-');
        if (dash > 0 && isDecimal(QByteArrayView(content).sliced(dash + 1))) {
            c.host = QString::fromUtf8(content.first(dash));
            c.pid = content.sliced(dash + 1).toLongLong();
        }
        return c;
    }
    const QList<QByteArrayView> l = lines(content);
    auto field = [&l](qsizetype i) { return i < l.size() ? l[i].trimmed() : QByteArrayView(); };
    if (!l.isEmpty() && isDecimal(field(0)))
        c.pid = field(0).toLongLong();
    switch (dialect) {
    case LockDialect::PidNonce:
        c.nonce = QString::fromLatin1(field(1));
        for (qsizetype i = 2; i < l.size(); ++i) {
            const QByteArrayView line = l[i].trimmed();
            const qsizetype eq = line.indexOf('=');
            if (eq <= 0)
                continue;
            const QString key = QString::fromUtf8(line.first(eq));
            const QString value = QString::fromUtf8(line.sliced(eq + 1));
            if (key == QLatin1String("host"))
                c.host = value;
            else if (key == QLatin1String("boot"))
                c.bootId = value;
            else if (key == QLatin1String("start"))
                c.startTicks = value.toLongLong();
            else if (key == QLatin1String("tool"))
                c.tool = value;
            else
                c.extra.insert(key, value);
        }
        break;
    case LockDialect::QLockFile:
        c.appName = QString::fromUtf8(field(1));
        c.host = QString::fromUtf8(field(2));
        c.bootId = QString::fromUtf8(field(4));
        break;
    default:
        break;
    }
    return c;
}

QString newNonce()
{
    // Uniqueness is all a nonce needs; the securely seeded global generator costs no syscall.
    const quint64 r = QRandomGenerator::global()->generate64();
    return QStringLiteral("%1-%2").arg(qint64(::getpid())).arg(r, 16, 16, QLatin1Char('0'));
}

QByteArray ourLockContent(const QString& nonce)
{
    // Everything but the nonce is fixed for this process's lifetime: build it once, since an
    // uncontended acquire should cost little more than its syscalls.
    static const QByteArray identity = [] {
        QByteArray out = "host=" + ProcFs::hostName().toUtf8() + '\n';
        out += "boot=" + ProcFs::bootId().toLatin1() + '\n';
        // Lets a reader tell us from a later process that reuses our PID.
        if (const qint64 start = startTicksOf(::getpid()); start >= 0)
            out += "start=" + QByteArray::number(start) + '\n';
        out += "tool=stateward\n";
        return out;
    }();
    return QByteArray::number(qint64(::getpid())) + '\n' + nonce.toLatin1() + '\n' + identity;
}

} // namespace Stateward
