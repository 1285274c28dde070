// SPDX-License-Identifier: GPL-3.0-or-later
#include "lockcontent.h"

#include "proc/processinfo.h"
#include "proc/procfs.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
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

    // What JavaScript's \s matches (and String.prototype.trim removes): the owner record's hash is
    // taken by oh-my-codex over text normalised with it, so QChar::isSpace (which adds U+0085 and
    // lacks U+FEFF) would hash some command lines differently.
    bool isJsSpace(char16_t c)
    {
        switch (c) {
        case 0x09:
        case 0x0a:
        case 0x0b:
        case 0x0c:
        case 0x0d:
        case 0x20:
        case 0xa0:
        case 0x1680:
        case 0x2028:
        case 0x2029:
        case 0x202f:
        case 0x205f:
        case 0x3000:
        case 0xfeff:
            return true;
        default:
            return c >= 0x2000 && c <= 0x200a;
        }
    }

    bool isSha256Hex(const QJsonValue& v)
    {
        static const QRegularExpression re(QStringLiteral("^[a-f0-9]{64}$"));
        return v.isString() && re.match(v.toString()).hasMatch();
    }

    // A JSON number that is a whole number in [min, 2^53]: what Number.isInteger accepts in the range
    // a PID or a tick count can take.
    std::optional<qint64> wholeNumber(const QJsonValue& v, qint64 min)
    {
        if (!v.isDouble())
            return std::nullopt;
        const double d = v.toDouble();
        if (!(d >= double(min)) || d > 9007199254740992.0 || d != double(qint64(d)))
            return std::nullopt;
        return qint64(d);
    }

    // process.platform values Node knows (hooks/session.js NODE_PLATFORMS).
    bool isNodePlatform(const QJsonValue& v)
    {
        static const QStringList platforms { QStringLiteral("aix"), QStringLiteral("android"), QStringLiteral("darwin"),
            QStringLiteral("freebsd"), QStringLiteral("haiku"), QStringLiteral("linux"), QStringLiteral("openbsd"),
            QStringLiteral("sunos"), QStringLiteral("win32"), QStringLiteral("cygwin"), QStringLiteral("netbsd") };
        return v.isString() && platforms.contains(v.toString());
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
    case LockDialect::OwnerDir:
        return QStringLiteral("owner-dir");
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

LockDialect classifyLockDirectory(const QStringList& entryNames)
{
    for (const QString& name : entryNames) {
        if (isOwnerFileName(name))
            return LockDialect::OwnerDir;
    }
    return LockDialect::Mkdir;
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
    if (dialect == LockDialect::OwnerDir) {
        parseOwnerRecord(content, &c);
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

bool isOwnerFileName(QStringView name, QString* token)
{
    static const QRegularExpression tmp(QStringLiteral("^owner\\.([A-Za-z0-9_-]{16,128})\\.tmp$"));
    if (name == QLatin1String("owner.json"))
        return true;
    const QRegularExpressionMatch m = tmp.match(name.toString());
    if (m.hasMatch() && token)
        *token = m.captured(1);
    return m.hasMatch();
}

QString parseOwnerRecord(const QByteArray& content, LockContent* out)
{
    LockContent c;
    c.empty = content.trimmed().isEmpty();
    if (c.empty)
        return QStringLiteral("empty");
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(content, &error);
    if (error.error != QJsonParseError::NoError)
        return QStringLiteral("not JSON (%1 at byte %2)").arg(error.errorString()).arg(error.offset);
    if (!doc.isObject())
        return QStringLiteral("not a JSON object");
    const QJsonObject o = doc.object();
    static const QRegularExpression token(QStringLiteral("^[A-Za-z0-9_-]{16,128}$"));
    const QJsonValue tokenValue = o.value(QLatin1String("token"));
    if (!tokenValue.isString() || !token.match(tokenValue.toString()).hasMatch())
        return QStringLiteral("no token of 16 to 128 letters, digits, '_' or '-'");
    const std::optional<qint64> pid = wholeNumber(o.value(QLatin1String("pid")), 1);
    if (!pid)
        return QStringLiteral("no positive integer pid");
    if (!isNodePlatform(o.value(QLatin1String("platform"))))
        return QStringLiteral("no platform Node knows");
    if (!o.value(QLatin1String("created_at")).isString() || o.value(QLatin1String("created_at")).toString().isEmpty())
        return QStringLiteral("no created_at");
    std::optional<qint64> ticks;
    if (o.contains(QLatin1String("pid_start_ticks"))) {
        ticks = wholeNumber(o.value(QLatin1String("pid_start_ticks")), 0);
        if (!ticks)
            return QStringLiteral("pid_start_ticks is no tick count");
    }
    if (o.contains(QLatin1String("pid_cmdline_hash")) && !isSha256Hex(o.value(QLatin1String("pid_cmdline_hash"))))
        return QStringLiteral("pid_cmdline_hash is no SHA-256");
    c.token = tokenValue.toString();
    c.pid = *pid;
    c.platform = o.value(QLatin1String("platform")).toString();
    const QJsonValue version = o.value(QLatin1String("version"));
    if (version == QJsonValue(1)) {
        c.ownerVersion = 1;
        // Version 1 has an identity only as Linux start ticks (recordedIdentityForLockOwner).
        if (c.platform == QLatin1String("linux") && ticks) {
            c.startTicks = *ticks;
            c.cmdlineHash = o.value(QLatin1String("pid_cmdline_hash")).toString();
        }
    } else if (version == QJsonValue(2)) {
        c.ownerVersion = 2;
        const QJsonValue identityValue = o.value(QLatin1String("process_identity"));
        if (!identityValue.isObject())
            return QStringLiteral("version 2 without a process_identity object");
        const QJsonObject identity = identityValue.toObject();
        for (auto it = identity.begin(); it != identity.end(); ++it) {
            if (it.key() != QLatin1String("platform") && it.key() != QLatin1String("birth")
                && it.key() != QLatin1String("cmdline_hash"))
                return QStringLiteral("process_identity has an unknown key \"%1\"").arg(it.key());
        }
        static const QRegularExpression birthRe(QStringLiteral("^\\d+(?:\\.\\d+)?$"));
        static const QRegularExpression ticksRe(QStringLiteral("^\\d{1,18}$"));
        const QJsonValue birth = identity.value(QLatin1String("birth"));
        if (!isNodePlatform(identity.value(QLatin1String("platform"))) || !birth.isString()
            || !birthRe.match(birth.toString()).hasMatch())
            return QStringLiteral("process_identity has no platform or birth");
        if (identity.contains(QLatin1String("cmdline_hash"))
            && !isSha256Hex(identity.value(QLatin1String("cmdline_hash"))))
            return QStringLiteral("process_identity.cmdline_hash is no SHA-256");
        if (identity.value(QLatin1String("platform")).toString() != c.platform)
            return QStringLiteral("process_identity names another platform than the record");
        c.cmdlineHash = identity.value(QLatin1String("cmdline_hash")).toString();
        if (ticksRe.match(birth.toString()).hasMatch())
            c.startTicks = birth.toString().toLongLong();
        else
            c.birthNotTicks = true;
    } else {
        return QStringLiteral("version is neither 1 nor 2");
    }
    *out = c;
    return {};
}

QByteArray ownerCmdlineHash(const QStringList& argv)
{
    const QString joined = argv.join(QLatin1Char(' '));
    QString normalised;
    normalised.reserve(joined.size());
    bool space = false;
    for (const QChar ch : joined) {
        if (isJsSpace(ch.unicode()) || ch.unicode() == 0) {
            space = true;
            continue;
        }
        if (space && !normalised.isEmpty())
            normalised.append(QLatin1Char(' '));
        space = false;
        normalised.append(ch);
    }
    if (normalised.isEmpty())
        return {};
    return QCryptographicHash::hash(normalised.toUtf8(), QCryptographicHash::Sha256).toHex();
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
