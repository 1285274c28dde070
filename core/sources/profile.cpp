// SPDX-License-Identifier: GPL-3.0-or-later
#include "profile.h"

#include "proc/regularfile.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>

namespace Stateward {

namespace {

    constexpr qint64 kMaxProfileBytes = 1024 * 1024;
    constexpr int kMaxPathComponents = 8;

    // Where each value of a parsed document starts, by its field path ("stateDirs[0].path"): the
    // document already parsed, so this walk only needs to follow the grammar, not check it.
    class Positions
    {
    public:
        explicit Positions(const QByteArray& text)
            : m_text(text)
        {
            value(QString());
        }
        qsizetype of(QString field) const
        {
            for (;;) {
                if (const auto it = m_offsets.constFind(field); it != m_offsets.cend())
                    return *it;
                const qsizetype cut
                    = std::max(field.lastIndexOf(QLatin1Char('.')), field.lastIndexOf(QLatin1Char('[')));
                if (cut <= 0)
                    return m_offsets.value(QString(), 0);
                field.truncate(cut);
            }
        }

    private:
        void space()
        {
            while (m_i < m_text.size() && QByteArrayView(" \t\r\n").contains(m_text.at(m_i)))
                ++m_i;
        }
        QString string()
        {
            QByteArray out;
            ++m_i; // the opening quote
            while (m_i < m_text.size() && m_text.at(m_i) != '"') {
                if (m_text.at(m_i) == '\\' && m_i + 1 < m_text.size()) {
                    out.append(m_text.at(m_i + 1) == 'u' ? '?' : m_text.at(m_i + 1));
                    m_i += m_text.at(m_i + 1) == 'u' ? 6 : 2;
                    continue;
                }
                out.append(m_text.at(m_i++));
            }
            ++m_i;
            return QString::fromUtf8(out);
        }
        void value(const QString& path)
        {
            space();
            if (m_i >= m_text.size())
                return;
            m_offsets.insert(path, m_i);
            const char c = m_text.at(m_i);
            if (c == '{') {
                ++m_i;
                for (;;) {
                    space();
                    if (m_i >= m_text.size() || m_text.at(m_i) == '}') {
                        ++m_i;
                        return;
                    }
                    if (m_text.at(m_i) == ',') {
                        ++m_i;
                        continue;
                    }
                    const QString key = string();
                    space();
                    ++m_i; // ':'
                    value(path.isEmpty() ? key : path + QLatin1Char('.') + key);
                }
            } else if (c == '[') {
                ++m_i;
                for (int n = 0;; ++n) {
                    space();
                    if (m_i >= m_text.size() || m_text.at(m_i) == ']') {
                        ++m_i;
                        return;
                    }
                    if (m_text.at(m_i) == ',') {
                        ++m_i;
                        --n;
                        continue;
                    }
                    value(QStringLiteral("%1[%2]").arg(path).arg(n));
                }
            } else if (c == '"') {
                string();
            } else {
                while (m_i < m_text.size() && !QByteArrayView(",]} \t\r\n").contains(m_text.at(m_i)))
                    ++m_i;
            }
        }

        const QByteArray& m_text;
        qsizetype m_i = 0;
        QHash<QString, qsizetype> m_offsets;
    };

    std::pair<int, int> lineColumn(const QByteArray& text, qsizetype offset)
    {
        offset = std::clamp<qsizetype>(offset, 0, text.size());
        int line = 1;
        qsizetype lineStart = 0;
        for (qsizetype i = 0; i < offset; ++i) {
            if (text.at(i) == '\n') {
                ++line;
                lineStart = i + 1;
            }
        }
        return { line, int(offset - lineStart) + 1 };
    }

    // Reads one profile's fields, collecting every error with the place it was found.
    class Reader
    {
    public:
        Reader(const QByteArray& text, const QString& file, QList<ProfileError>& errors)
            : m_text(text)
            , m_file(file)
            , m_positions(text)
            , m_errors(errors)
        { }

        void error(const QString& field, const QString& message)
        {
            const auto [line, column] = lineColumn(m_text, m_positions.of(field));
            m_errors.append({ m_file, line, column, field, message });
        }

        // Unknown keys are errors: a typo must not silently turn a check off.
        void onlyKeys(const QJsonObject& o, const QString& field, std::initializer_list<const char*> keys)
        {
            for (const QString& key : o.keys()) {
                bool known = false;
                for (const char* k : keys)
                    known |= key == QLatin1String(k);
                if (!known)
                    error(join(field, key), QStringLiteral("unknown key"));
            }
        }

        static QString join(const QString& field, const QString& key)
        {
            return field.isEmpty() ? key : field + QLatin1Char('.') + key;
        }
        static QString at(const QString& field, qsizetype i) { return QStringLiteral("%1[%2]").arg(field).arg(i); }

        QString string(const QJsonObject& o, const QString& field, const char* key, bool required)
        {
            const QJsonValue v = o.value(QLatin1String(key));
            if (v.isUndefined()) {
                if (required)
                    error(field, QStringLiteral("\"%1\" is required").arg(QLatin1String(key)));
                return {};
            }
            if (!v.isString() || v.toString().isEmpty()) {
                error(join(field, QLatin1String(key)), QStringLiteral("must be a non-empty string"));
                return {};
            }
            return v.toString();
        }

        QStringList strings(const QJsonObject& o, const QString& field, const char* key)
        {
            const QJsonValue v = o.value(QLatin1String(key));
            QStringList out;
            if (v.isUndefined())
                return out;
            const QString f = join(field, QLatin1String(key));
            if (!v.isArray()) {
                error(f, QStringLiteral("must be an array of strings"));
                return out;
            }
            const QJsonArray a = v.toArray();
            for (qsizetype i = 0; i < a.size(); ++i) {
                if (!a.at(i).isString() || a.at(i).toString().isEmpty())
                    error(at(f, i), QStringLiteral("must be a non-empty string"));
                else
                    out.append(a.at(i).toString());
            }
            return out;
        }

        QJsonArray array(const QJsonObject& o, const QString& field, const char* key)
        {
            const QJsonValue v = o.value(QLatin1String(key));
            if (v.isUndefined())
                return {};
            if (!v.isArray()) {
                error(join(field, QLatin1String(key)), QStringLiteral("must be an array"));
                return {};
            }
            return v.toArray();
        }

        std::optional<QJsonObject> object(const QJsonValue& v, const QString& field)
        {
            if (!v.isObject()) {
                error(field, QStringLiteral("must be an object"));
                return std::nullopt;
            }
            return v.toObject();
        }

        // A name inside the state dir. Why not, or empty.
        enum PathKind
        {
            StateDirPath, // {uid}, {workspace-sha256:N}; no glob
            FileName, // no placeholder, no glob
            GlobName, // glob characters in the last component
            TmpPattern, // glob characters and {pid} in the last component
            LockGlob, // as GlobName, and `*`, `?` in any component (a lock in each session's folder)
        };
        bool checkPath(const QString& value, const QString& field, PathKind kind)
        {
            const QString why = pathProblem(value, kind);
            if (!why.isEmpty())
                error(field, QStringLiteral("\"%1\": %2").arg(value, why));
            return why.isEmpty();
        }

        static QString pathProblem(const QString& value, PathKind kind)
        {
            if (value.isEmpty())
                return QStringLiteral("empty");
            if (value.startsWith(QLatin1Char('/')) || value.startsWith(QLatin1Char('~')))
                return QStringLiteral(
                    "an absolute path is not allowed: a profile names paths inside its state dir only");
            for (const QChar c : value) {
                if (c.unicode() < 0x20 || c == QLatin1Char('\\'))
                    return QStringLiteral("control characters and '\\' are not allowed");
            }
            const QStringList parts = value.split(QLatin1Char('/'));
            if (parts.size() > kMaxPathComponents)
                return QStringLiteral("more than %1 components").arg(kMaxPathComponents);
            for (qsizetype i = 0; i < parts.size(); ++i) {
                const QString& part = parts.at(i);
                if (part.isEmpty())
                    return QStringLiteral("an empty component ('//' or a trailing '/')");
                if (part == QLatin1String(".") || part == QLatin1String(".."))
                    return QStringLiteral("\"%1\" is not allowed: a profile names paths inside its state dir only")
                        .arg(part);
                if (part == QLatin1String(".stateward"))
                    return QStringLiteral(".stateward is Stateward's own area");
                const bool last = i == parts.size() - 1;
                const bool globOk = last && (kind == GlobName || kind == TmpPattern || kind == LockGlob);
                const bool wildcardOk = globOk || kind == LockGlob; // `*`, `?` never cross a '/'
                if ((!wildcardOk && (part.contains(QLatin1Char('*')) || part.contains(QLatin1Char('?'))))
                    || (!globOk && part.contains(QLatin1Char('['))))
                    return last            ? QStringLiteral("glob characters are not allowed here")
                        : kind == LockGlob ? QStringLiteral("'[' is allowed in the last component only")
                                           : QStringLiteral("glob characters are allowed in the last component only");
                QString rest = part;
                if (kind == StateDirPath) {
                    static const QRegularExpression hash(QStringLiteral("\\{workspace-sha256:([0-9]+)\\}"));
                    for (const QRegularExpressionMatch& m : hash.globalMatch(part)) {
                        const int n = m.captured(1).toInt();
                        if (n < 4 || n > 64)
                            return QStringLiteral("{workspace-sha256:N} takes 4 ≤ N ≤ 64");
                    }
                    rest.replace(hash, QString()).replace(QLatin1String("{uid}"), QString());
                } else if (kind == TmpPattern && last) {
                    rest.replace(QLatin1String("{pid}"), QString());
                }
                if (rest.contains(QLatin1Char('{')) || rest.contains(QLatin1Char('}')))
                    return kind == StateDirPath
                        ? QStringLiteral("the only placeholders are {uid} and {workspace-sha256:N}")
                        : kind == TmpPattern ? QStringLiteral("the only placeholder is {pid}, in the last component")
                                             : QStringLiteral("no placeholder is allowed here");
            }
            return {};
        }

    private:
        const QByteArray& m_text;
        QString m_file;
        Positions m_positions;
        QList<ProfileError>& m_errors;
    };

    QString regexEscapedGlob(const QString& glob, bool starCrossesSlash)
    {
        QString out;
        for (qsizetype i = 0; i < glob.size(); ++i) {
            const QChar c = glob.at(i);
            if (c == QLatin1Char('*')) {
                out += starCrossesSlash ? QStringLiteral(".*") : QStringLiteral("[^/]*");
            } else if (c == QLatin1Char('?')) {
                out += starCrossesSlash ? QStringLiteral(".") : QStringLiteral("[^/]");
            } else if (c == QLatin1Char('[')) {
                const qsizetype end = glob.indexOf(QLatin1Char(']'), i + 2);
                if (end < 0) {
                    out += QStringLiteral("\\[");
                    continue;
                }
                QString cls = glob.mid(i + 1, end - i - 1);
                if (cls.startsWith(QLatin1Char('!')))
                    cls[0] = QLatin1Char('^');
                cls.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
                out += QLatin1Char('[') + cls + QLatin1Char(']');
                i = end;
            } else {
                out += QRegularExpression::escape(QString(c));
            }
        }
        return out;
    }

    ProfileLoad invalid(const QString& file, const QString& message)
    {
        ProfileLoad load;
        load.origin = file;
        load.file = file;
        load.errors.append({ file, 0, 0, QString(), message });
        return load;
    }

} // namespace

QString ProfileError::toString() const
{
    QString where = file;
    if (line > 0)
        where += QStringLiteral(":%1:%2").arg(line).arg(column);
    return field.isEmpty() ? QStringLiteral("%1: %2").arg(where, message)
                           : QStringLiteral("%1: %2: %3").arg(where, field, message);
}

QRegularExpression profileGlob(const QString& glob)
{
    return QRegularExpression(QRegularExpression::anchoredPattern(regexEscapedGlob(glob, false)));
}

// Identity globs (argv, exe) match whole arguments, where '*' may cross '/'.
QRegularExpression profileArgGlob(const QString& glob)
{
    return QRegularExpression(QRegularExpression::anchoredPattern(regexEscapedGlob(glob, true)));
}

QString ProfileRecognise::describe() const
{
    QString what = file.isEmpty() ? glob : file;
    if (!jsonKeys.isEmpty())
        what += QStringLiteral(" {%1}").arg(jsonKeys.join(QStringLiteral(", ")));
    if (!content.isEmpty())
        what += QStringLiteral(" matching /%1/").arg(content);
    return what;
}

ProfileLoad parseProfile(const QByteArray& text, const QString& file)
{
    ProfileLoad load;
    load.origin = file;
    load.file = file;
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        // Qt's offset is one past the character it stopped at.
        const auto [line, column] = lineColumn(text, parseError.offset - 1);
        load.errors.append({ file, line, column, QString(), parseError.errorString() });
        return load;
    }
    if (!doc.isObject()) {
        load.errors.append({ file, 1, 1, QString(), QStringLiteral("a profile is a JSON object") });
        return load;
    }
    Reader r(text, file, load.errors);
    const QJsonObject root = doc.object();
    ToolProfile p;

    const QJsonValue version = root.value(QStringLiteral("stateward-profile"));
    if (version.isUndefined()) {
        r.error(QString(), QStringLiteral("\"stateward-profile\" is required: the format version, 1"));
        return load;
    }
    if (!version.isDouble() || version.toDouble() != double(version.toInt()) || version.toInt() < 1) {
        r.error(QStringLiteral("stateward-profile"), QStringLiteral("must be the integer 1"));
        return load;
    }
    if (version.toInt() > kProfileFormatVersion) {
        r.error(QStringLiteral("stateward-profile"),
            QStringLiteral("version %1 is made for a newer Stateward (this one reads version %2)")
                .arg(version.toInt())
                .arg(kProfileFormatVersion));
        return load;
    }
    p.version = version.toInt();
    r.onlyKeys(root, QString(), { "stateward-profile", "name", "tool", "package", "verified", "stateDirs", "$schema" });
    p.name = r.string(root, QString(), "name", true);
    static const QRegularExpression nameRule(QStringLiteral("^[a-z][a-z0-9-]{1,31}$"));
    if (!p.name.isEmpty() && !nameRule.match(p.name).hasMatch())
        r.error(QStringLiteral("name"), QStringLiteral("\"%1\" must match [a-z][a-z0-9-]{1,31}").arg(p.name));
    p.tool = r.string(root, QString(), "tool", true);
    p.package = r.string(root, QString(), "package", false);
    p.verified = r.string(root, QString(), "verified", false);

    const QJsonArray dirs = r.array(root, QString(), "stateDirs");
    if (dirs.isEmpty() && !root.value(QStringLiteral("stateDirs")).isArray())
        r.error(QString(), QStringLiteral("\"stateDirs\" is required: an array of at least one state dir"));
    else if (dirs.isEmpty())
        r.error(QStringLiteral("stateDirs"), QStringLiteral("needs at least one state dir"));
    for (qsizetype d = 0; d < dirs.size(); ++d) {
        const QString f = Reader::at(QStringLiteral("stateDirs"), d);
        const std::optional<QJsonObject> o = r.object(dirs.at(d), f);
        if (!o)
            continue;
        r.onlyKeys(*o, f,
            { "base", "path", "recognise", "pidFile", "locks", "tmp", "sockets", "logs", "markers", "daemon",
                "repairs" });
        ProfileStateDir sd;
        const QString base = r.string(*o, f, "base", false);
        static const QList<std::pair<const char*, ProfileBase>> bases { { "workspace", ProfileBase::Workspace },
            { "tmp", ProfileBase::Tmp }, { "home", ProfileBase::Home }, { "xdg-cache", ProfileBase::XdgCache },
            { "xdg-state", ProfileBase::XdgState }, { "xdg-runtime", ProfileBase::XdgRuntime } };
        bool baseKnown = base.isEmpty();
        for (const auto& [n, b] : bases) {
            if (base == QLatin1String(n)) {
                sd.base = b;
                baseKnown = true;
            }
        }
        if (!baseKnown)
            r.error(Reader::join(f, QStringLiteral("base")),
                QStringLiteral("\"%1\" is none of workspace, tmp, home, xdg-cache, xdg-state, xdg-runtime").arg(base));
        sd.path = r.string(*o, f, "path", true);
        if (!sd.path.isEmpty())
            r.checkPath(sd.path, Reader::join(f, QStringLiteral("path")), Reader::StateDirPath);

        const QJsonArray recognise = r.array(*o, f, "recognise");
        if (recognise.isEmpty())
            r.error(f,
                QStringLiteral("\"recognise\" needs at least one rule: a folder's name alone never recognises a tool"));
        for (qsizetype i = 0; i < recognise.size(); ++i) {
            const QString rf = Reader::at(Reader::join(f, QStringLiteral("recognise")), i);
            const std::optional<QJsonObject> ro = r.object(recognise.at(i), rf);
            if (!ro)
                continue;
            r.onlyKeys(*ro, rf, { "file", "glob", "json", "content", "layout" });
            ProfileRecognise rule;
            rule.file = r.string(*ro, rf, "file", false);
            rule.glob = r.string(*ro, rf, "glob", false);
            if (rule.file.isEmpty() == rule.glob.isEmpty())
                r.error(rf, QStringLiteral("give exactly one of \"file\" and \"glob\""));
            if (!rule.file.isEmpty())
                r.checkPath(rule.file, Reader::join(rf, QStringLiteral("file")), Reader::FileName);
            if (!rule.glob.isEmpty())
                r.checkPath(rule.glob, Reader::join(rf, QStringLiteral("glob")), Reader::GlobName);
            rule.jsonKeys = r.strings(*ro, rf, "json");
            rule.content = r.string(*ro, rf, "content", false);
            if (!rule.content.isEmpty() && !QRegularExpression(rule.content).isValid())
                r.error(Reader::join(rf, QStringLiteral("content")),
                    QStringLiteral("not a valid regular expression: %1")
                        .arg(QRegularExpression(rule.content).errorString()));
            rule.layout = r.string(*ro, rf, "layout", false);
            sd.recognise.append(rule);
        }

        if (const QJsonValue pv = o->value(QStringLiteral("pidFile")); !pv.isUndefined()) {
            const QString pf = Reader::join(f, QStringLiteral("pidFile"));
            if (const std::optional<QJsonObject> po = r.object(pv, pf)) {
                r.onlyKeys(*po, pf, { "file", "format", "pid", "socket", "port", "version", "startedAt" });
                ProfilePidFile pid;
                pid.file = r.string(*po, pf, "file", true);
                if (!pid.file.isEmpty())
                    r.checkPath(pid.file, Reader::join(pf, QStringLiteral("file")), Reader::FileName);
                const QString format = r.string(*po, pf, "format", true);
                pid.json = format == QLatin1String("json");
                if (!format.isEmpty() && !pid.json && format != QLatin1String("plain"))
                    r.error(Reader::join(pf, QStringLiteral("format")),
                        QStringLiteral("\"%1\" is neither plain nor json").arg(format));
                pid.pidKey = r.string(*po, pf, "pid", pid.json);
                pid.socketKey = r.string(*po, pf, "socket", false);
                pid.portKey = r.string(*po, pf, "port", false);
                pid.versionKey = r.string(*po, pf, "version", false);
                pid.startedAtKey = r.string(*po, pf, "startedAt", false);
                if (!pid.json && format == QLatin1String("plain")) {
                    for (const char* key : { "pid", "socket", "port", "version", "startedAt" }) {
                        if (po->contains(QLatin1String(key)))
                            r.error(
                                Reader::join(pf, QLatin1String(key)), QStringLiteral("a plain pid file has no fields"));
                    }
                }
                sd.pidFile = pid;
            }
        }

        const QJsonArray locks = r.array(*o, f, "locks");
        for (qsizetype i = 0; i < locks.size(); ++i) {
            const QString lf = Reader::at(Reader::join(f, QStringLiteral("locks")), i);
            const std::optional<QJsonObject> lo = r.object(locks.at(i), lf);
            if (!lo)
                continue;
            r.onlyKeys(*lo, lf, { "glob", "dialect" });
            ProfileLock lock;
            lock.glob = r.string(*lo, lf, "glob", true);
            if (!lock.glob.isEmpty())
                r.checkPath(lock.glob, Reader::join(lf, QStringLiteral("glob")), Reader::LockGlob);
            const QString dialect = r.string(*lo, lf, "dialect", true);
            for (LockDialect d : { LockDialect::PidOnly, LockDialect::PidNonce, LockDialect::Mkdir,
                     LockDialect::QLockFile, LockDialect::Flock, LockDialect::OwnerDir }) {
                if (dialect == nameOf(d))
                    lock.dialect = d;
            }
            if (!dialect.isEmpty() && lock.dialect == LockDialect::Unknown)
                r.error(Reader::join(lf, QStringLiteral("dialect")),
                    QStringLiteral("\"%1\" is none of pid-only, pid-nonce, mkdir, qlockfile, flock, owner-dir")
                        .arg(dialect));
            // A lock that may be removed is named like one: a pid file is no lock, whatever a profile says.
            if (!lock.glob.isEmpty() && lock.dialect != LockDialect::Flock && lock.dialect != LockDialect::Unknown
                && !lock.glob.endsWith(QLatin1String(".lock")))
                r.error(Reader::join(lf, QStringLiteral("glob")),
                    QStringLiteral("\"%1\": a %2 lock's name ends in .lock").arg(lock.glob, dialect));
            sd.locks.append(lock);
        }

        const QJsonArray tmp = r.array(*o, f, "tmp");
        for (qsizetype i = 0; i < tmp.size(); ++i) {
            const QString tf = Reader::at(Reader::join(f, QStringLiteral("tmp")), i);
            const std::optional<QJsonObject> to = r.object(tmp.at(i), tf);
            if (!to)
                continue;
            r.onlyKeys(*to, tf, { "pattern", "idleSecs" });
            ProfileTmp t;
            t.pattern = r.string(*to, tf, "pattern", true);
            // Swept files are named like tmp files: a pattern that could match any file is refused.
            if (!t.pattern.isEmpty() && !t.pattern.contains(QLatin1String("{pid}"))
                && !t.pattern.section(QLatin1Char('/'), -1).contains(QLatin1String("tmp"), Qt::CaseInsensitive))
                r.error(Reader::join(tf, QStringLiteral("pattern")),
                    QStringLiteral("\"%1\": a tmp name has {pid} or \"tmp\" in it").arg(t.pattern));
            if (!t.pattern.isEmpty()
                && r.checkPath(t.pattern, Reader::join(tf, QStringLiteral("pattern")), Reader::TmpPattern)) {
                QString re = regexEscapedGlob(t.pattern, false);
                re.replace(QRegularExpression::escape(QStringLiteral("{pid}")), QStringLiteral("(?<pid>[0-9]{1,10})"));
                t.regex = QRegularExpression(QRegularExpression::anchoredPattern(re));
                if (t.pattern.count(QLatin1String("{pid}")) > 1)
                    r.error(Reader::join(tf, QStringLiteral("pattern")), QStringLiteral("{pid} may appear once"));
            }
            if (const QJsonValue idle = to->value(QStringLiteral("idleSecs")); !idle.isUndefined()) {
                if (!idle.isDouble() || idle.toDouble() < 1 || idle.toDouble() > 30 * 86400)
                    r.error(Reader::join(tf, QStringLiteral("idleSecs")),
                        QStringLiteral("must be a number of seconds, 1 to 2592000"));
                else
                    t.idleSecs = qint64(idle.toDouble());
            }
            sd.tmp.append(t);
        }

        const QJsonArray sockets = r.array(*o, f, "sockets");
        for (qsizetype i = 0; i < sockets.size(); ++i) {
            const QString sf = Reader::at(Reader::join(f, QStringLiteral("sockets")), i);
            const std::optional<QJsonObject> so = r.object(sockets.at(i), sf);
            if (!so)
                continue;
            r.onlyKeys(*so, sf, { "file" });
            const QString file = r.string(*so, sf, "file", true);
            if (!file.isEmpty() && r.checkPath(file, Reader::join(sf, QStringLiteral("file")), Reader::FileName))
                sd.sockets.append(file);
        }

        sd.logs = r.strings(*o, f, "logs");
        for (qsizetype i = 0; i < sd.logs.size(); ++i)
            r.checkPath(sd.logs.at(i), Reader::at(Reader::join(f, QStringLiteral("logs")), i), Reader::GlobName);

        const QJsonArray markers = r.array(*o, f, "markers");
        for (qsizetype i = 0; i < markers.size(); ++i) {
            const QString mf = Reader::at(Reader::join(f, QStringLiteral("markers")), i);
            const std::optional<QJsonObject> mo = r.object(markers.at(i), mf);
            if (!mo)
                continue;
            r.onlyKeys(*mo, mf, { "file", "summary" });
            ProfileMarker m { r.string(*mo, mf, "file", true), r.string(*mo, mf, "summary", true) };
            if (!m.file.isEmpty())
                r.checkPath(m.file, Reader::join(mf, QStringLiteral("file")), Reader::FileName);
            sd.markers.append(m);
        }

        if (const QJsonValue dv = o->value(QStringLiteral("daemon")); !dv.isUndefined()) {
            const QString df = Reader::join(f, QStringLiteral("daemon"));
            if (const std::optional<QJsonObject> dob = r.object(dv, df)) {
                r.onlyKeys(*dob, df, { "noun", "exe", "argvTail", "cwd", "env", "graceSecs", "health" });
                ProfileDaemon d;
                d.noun = r.string(*dob, df, "noun", true);
                d.exe = r.strings(*dob, df, "exe");
                d.argvTail = r.strings(*dob, df, "argvTail");
                if (d.exe.isEmpty() && d.argvTail.isEmpty())
                    r.error(df,
                        QStringLiteral("give \"exe\" or \"argvTail\": identity never rests on the environment alone"));
                // An identity that matches almost any process would let terminate-orphan reach them.
                // "{workspace}" as a whole argument is the workspace's own path: as specific as a name.
                const auto literal = [](const QString& glob) {
                    if (glob == QLatin1String("{workspace}"))
                        return qsizetype(64);
                    return glob.size() - glob.count(QLatin1Char('*')) - glob.count(QLatin1Char('?'));
                };
                qsizetype longest = 0;
                for (const auto& [key, globs] : { std::pair { "exe", d.exe }, std::pair { "argvTail", d.argvTail } }) {
                    for (qsizetype i = 0; i < globs.size(); ++i) {
                        longest = std::max(longest, literal(globs.at(i)));
                        if (literal(globs.at(i)) < 2)
                            r.error(Reader::at(Reader::join(df, QLatin1String(key)), i),
                                QStringLiteral("\"%1\" matches almost anything").arg(globs.at(i)));
                    }
                }
                if (longest > 0 && longest < 4)
                    r.error(df,
                        QStringLiteral("the identity matches almost any process: give a name of 4 characters or more"));
                const QString cwd = r.string(*dob, df, "cwd", false);
                d.cwdIsWorkspace = cwd == QLatin1String("workspace");
                if (!cwd.isEmpty() && !d.cwdIsWorkspace)
                    r.error(Reader::join(df, QStringLiteral("cwd")), QStringLiteral("the only value is \"workspace\""));
                if (const QJsonValue ev = dob->value(QStringLiteral("env")); !ev.isUndefined()) {
                    const QString ef = Reader::join(df, QStringLiteral("env"));
                    if (const std::optional<QJsonObject> eo = r.object(ev, ef)) {
                        for (auto it = eo->begin(); it != eo->end(); ++it) {
                            if (!it.value().isString() || it.key().isEmpty() || it.key().contains(QLatin1Char('=')))
                                r.error(Reader::join(ef, it.key()),
                                    QStringLiteral("must be a string, named by a variable"));
                            else
                                d.env.append({ it.key(), it.value().toString() });
                        }
                    }
                }
                bool tied = d.cwdIsWorkspace || d.argvTail.contains(QLatin1String("{workspace}"));
                for (const auto& [name, value] : std::as_const(d.env))
                    tied |= value.contains(QLatin1String("{workspace}")) || value.contains(QLatin1String("{stateDir}"));
                if (!tied)
                    r.error(df,
                        QStringLiteral(
                            "give \"cwd\": \"workspace\", an \"argvTail\" argument {workspace}, or an \"env\" value "
                            "with {workspace} or {stateDir}: "
                            "something must tie the daemon to this workspace"));
                if (const QJsonValue g = dob->value(QStringLiteral("graceSecs")); !g.isUndefined()) {
                    if (!g.isDouble() || g.toDouble() < 0 || g.toDouble() > 3600)
                        r.error(
                            Reader::join(df, QStringLiteral("graceSecs")), QStringLiteral("must be 0 to 3600 seconds"));
                    else
                        d.graceSecs = qint64(g.toDouble());
                }
                const QString health = r.string(*dob, df, "health", false);
                if (health == QLatin1String("unix-socket"))
                    d.health = ProfileHealth::UnixSocket;
                else if (health == QLatin1String("http"))
                    d.health = ProfileHealth::Http;
                else if (!health.isEmpty() && health != QLatin1String("none"))
                    r.error(Reader::join(df, QStringLiteral("health")),
                        QStringLiteral("\"%1\" is none of unix-socket, http, none").arg(health));
                if (d.health == ProfileHealth::Http && (!sd.pidFile || sd.pidFile->portKey.isEmpty()))
                    r.error(Reader::join(df, QStringLiteral("health")),
                        QStringLiteral("http needs the pid file's \"port\" key"));
                if (d.health == ProfileHealth::UnixSocket && sd.sockets.isEmpty()
                    && (!sd.pidFile || sd.pidFile->socketKey.isEmpty()))
                    r.error(Reader::join(df, QStringLiteral("health")),
                        QStringLiteral("unix-socket needs the pid file's \"socket\" key or a \"sockets\" entry"));
                sd.daemon = d;
            }
        }
        if (sd.pidFile && !sd.daemon)
            r.error(f, QStringLiteral("a \"pidFile\" needs a \"daemon\": what its PID must be"));
        if (sd.daemon && !sd.pidFile)
            r.error(f, QStringLiteral("a \"daemon\" needs a \"pidFile\" naming it"));

        const QStringList repairs = r.strings(*o, f, "repairs");
        for (qsizetype i = 0; i < repairs.size(); ++i) {
            const std::optional<RepairKind> kind = repairKindNamed(repairs.at(i));
            const bool allowed = kind
                && (*kind == RepairKind::RemoveStateFile || *kind == RepairKind::ClearStaleLock
                    || *kind == RepairKind::SweepTmp || *kind == RepairKind::TerminateOrphan);
            if (!allowed)
                r.error(Reader::at(Reader::join(f, QStringLiteral("repairs")), i),
                    QStringLiteral("\"%1\" is none of remove-state-file, clear-stale-lock, sweep-tmp, terminate-orphan")
                        .arg(repairs.at(i)));
            else if (!sd.repairs.contains(*kind))
                sd.repairs.append(*kind);
        }
        p.stateDirs.append(sd);
    }
    if (load.errors.isEmpty())
        load.profile = p;
    return load;
}

ProfileLoad loadProfileFile(const QString& path)
{
    const RegularFile file = readRegularFile(path, kMaxProfileBytes);
    if (!file.ok())
        return invalid(path, file.exists() ? file.problem : QStringLiteral("no such file"));
    return parseProfile(file.bytes, path);
}

QString userProfileDir()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation))
        .filePath(QStringLiteral("stateward/tools"));
}

QList<ProfileLoad> loadAllProfiles()
{
    QList<ProfileLoad> all;
    // Compiled in from core/sources/profiles/ (core/CMakeLists.txt).
    const QDir builtIn(QStringLiteral(":/stateward/profiles"));
    for (const QString& name : builtIn.entryList({ QStringLiteral("*.json") }, QDir::Files, QDir::Name)) {
        QFile f(builtIn.filePath(name));
        ProfileLoad load = f.open(QIODevice::ReadOnly) ? parseProfile(f.readAll(), QStringLiteral("built-in ") + name)
                                                       : invalid(name, f.errorString());
        load.origin = QStringLiteral("built-in");
        all.append(load);
    }
    const QDir user(userProfileDir());
    for (const QString& name :
        user.entryList({ QStringLiteral("*.json") }, QDir::Files | QDir::System | QDir::Hidden, QDir::Name))
        all.append(loadProfileFile(user.filePath(name)));
    return all;
}

} // namespace Stateward
