// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "profile.h"
#include "source.h"

namespace Stateward {

// The one adapter for every tool described by a profile (docs/profiles.md): the profile says where
// the files are and what they mean; the judging (locks, tmp files, a daemon's liveness, identity and
// health, orphans) is the same code every hand-written adapter uses. Whatever the profile says,
// the scan reads only inside the state dirs it computes, never through a symlink, and proposes only
// the repairs the profile allows, each of which checks everything again when applied.
class ProfileAdapter : public SourceAdapter
{
public:
    ProfileAdapter(ToolProfile profile, Family family, QString origin);

    Family family() const override { return m_family; }
    QString name() const override { return m_profile.name; }
    QStringList candidateStateDirs(const QString& workspace) const override;
    Snapshot scan(const QString& workspace, const QString& stateDir, ScanContext& context) const override;
    // A daemon no file names changes with no file touched.
    bool agesWithTime(const Snapshot& snapshot) const override;
    QString daemonNoun() const override;
    QString orphanMismatch(const ProcessInfo& live, const QString& stateDir, const Broker& seen) const override;

    const ToolProfile& profile() const { return m_profile; }
    const QString& origin() const { return m_origin; } // "built-in" or the profile file's path

    // The state dir `spec` describes for `workspace`, or empty when its base is unset here.
    static QString stateDirFor(const ProfileStateDir& spec, const QString& workspace);

protected:
    void groupProblems(ProblemBuilder& builder) const override;

private:
    // The spec whose state dir for `workspace` is `stateDir`, or null.
    const ProfileStateDir* specOf(const QString& workspace, const QString& stateDir) const;
    // Empty when p is, by its exe and argv, the daemon `spec` describes; else why not.
    static QString shapeMismatch(const ProfileDaemon& daemon, const ProcessInfo& p);
    // Empty when p serves `stateDir`: the workspace its cwd (or the profile's environment variable)
    // names has exactly this state dir. Else why not.
    static QString servesMismatch(const ProfileStateDir& spec, const ProcessInfo& p, const QString& stateDir);
    // Empty when p is an orphan daemon of `stateDir`, whose pid file names namedPid.
    static QString orphanMismatchFor(
        const ProfileStateDir& spec, const ProcessInfo& p, const QString& stateDir, qint64 namedPid);
    static qint64 namedPid(const ProfileStateDir& spec, const QString& stateDir);

    ToolProfile m_profile;
    Family m_family;
    QString m_origin;
};

} // namespace Stateward
