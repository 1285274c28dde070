// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lock/lockcontent.h"
#include "repair/repairkind.h"

#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <optional>

// A tool profile (docs/profiles.md): what a JSON file says about a tool's state, validated into
// values. Parsing never touches the disk beyond the file itself; every name in it is a path inside
// the tool's state dir, checked here once so the adapter never meets "..", an absolute path or an
// unknown placeholder.
namespace Stateward {

struct ProfileError
{
    QString file;
    int line = 0; // 1-based; 0 when the error is about the file as a whole
    int column = 0;
    QString field; // "stateDirs[0].path"; empty for a syntax error
    QString message;
    QString toString() const; // "file:line:column: field: message"
};

// A glob of the format: `*` and `?` never cross a '/', `[…]` a class; everything else literal.
QRegularExpression profileGlob(const QString& glob);
// The same for a daemon's exe name and arguments, where `*` and `?` cross '/' too.
QRegularExpression profileArgGlob(const QString& glob);

enum class ProfileBase
{
    Workspace,
    Tmp,
    Home,
    XdgCache,
    XdgState,
    XdgRuntime,
};

struct ProfileRecognise
{
    QString file; // exact relative path, or
    QString glob; // a glob over relative paths
    QStringList jsonKeys;
    QString content; // a regular expression over the first 4 KiB
    QString layout;
    QString describe() const; // "d/server-process.json {processId, socketPath}"
};

struct ProfilePidFile
{
    QString file;
    bool json = false;
    QString pidKey, socketKey, portKey, versionKey, startedAtKey;
};

struct ProfileLock
{
    QString glob;
    LockDialect dialect = LockDialect::Unknown;
};

struct ProfileTmp
{
    QString pattern; // with {pid} and *
    qint64 idleSecs = 60;
    QRegularExpression regex; // {pid} captured as "pid"
};

struct ProfileMarker
{
    QString file;
    QString summary;
};

enum class ProfileHealth
{
    None,
    UnixSocket,
    Http,
};

struct ProfileDaemon
{
    QString noun;
    QStringList exe; // globs over the exe's file name; '*' matches anything
    QStringList argvTail; // globs over the last arguments; '*' matches anything, '/' included
    bool cwdIsWorkspace = false;
    QList<std::pair<QString, QString>> env; // name, value with {workspace} / {stateDir}
    qint64 graceSecs = 30;
    ProfileHealth health = ProfileHealth::None;
};

struct ProfileStateDir
{
    ProfileBase base = ProfileBase::Workspace;
    QString path; // with {uid} and {workspace-sha256:N}
    QList<ProfileRecognise> recognise;
    std::optional<ProfilePidFile> pidFile;
    QList<ProfileLock> locks;
    QList<ProfileTmp> tmp;
    QStringList sockets;
    QStringList logs; // globs
    QList<ProfileMarker> markers;
    std::optional<ProfileDaemon> daemon;
    QList<RepairKind> repairs;
};

struct ToolProfile
{
    int version = 0;
    QString name;
    QString tool;
    QString package;
    QString verified;
    QList<ProfileStateDir> stateDirs;
};

// One profile as read: the profile when it validates, else every error found.
struct ProfileLoad
{
    QString origin; // "built-in" or the file's path
    QString file; // what errors name
    std::optional<ToolProfile> profile;
    QList<ProfileError> errors;
};

// The newest format version this Stateward reads.
constexpr int kProfileFormatVersion = 1;

ProfileLoad parseProfile(const QByteArray& text, const QString& file);
// At most 1 MiB, never through a symlink or from a FIFO.
ProfileLoad loadProfileFile(const QString& path);
// The built-in profiles (compiled in), then $XDG_CONFIG_HOME/stateward/tools/*.json by name. Names
// are not checked against each other here: the registry does that.
QList<ProfileLoad> loadAllProfiles();
// Where user profiles live: $XDG_CONFIG_HOME/stateward/tools.
QString userProfileDir();

} // namespace Stateward
