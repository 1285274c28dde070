// SPDX-License-Identifier: GPL-3.0-or-later
// A tool profile (docs/profiles.md) through the real parser and validator; when it validates, the
// one adapter every profile uses scans its first state dir in the workspace or $TMPDIR, where the
// input's second part is the profile's pid file (or the file its first rule recognises). Input
// parts: the profile, then that file.
#include "fuzzsupport.h"
#include "sources/profile.h"
#include "sources/profileadapter.h"

#include <algorithm>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace Stateward;
    const QList<QByteArray> parts = FuzzSupport::splitInput(data, size, 2);
    ProfileLoad load = parseProfile(parts.at(0), QStringLiteral("fuzz.json"));
    for (const ProfileError& e : load.errors)
        e.toString();
    if (!load.profile || load.profile->stateDirs.isEmpty())
        return 0;
    ToolProfile& profile = *load.profile;
    // Only a workspace or $TMPDIR based dir lies inside the scratch dir (home and XDG dirs are this
    // machine's); and no health probe: which socket or port answers here is not what the parser decides.
    const auto inScratch = std::find_if(profile.stateDirs.begin(), profile.stateDirs.end(),
        [](const ProfileStateDir& d) { return d.base == ProfileBase::Workspace || d.base == ProfileBase::Tmp; });
    if (inScratch == profile.stateDirs.end())
        return 0;
    ProfileStateDir& spec = *inScratch;
    if (spec.daemon)
        spec.daemon->health = ProfileHealth::None;
    const QString ws = FuzzSupport::freshDir(QStringLiteral("ws"));
    const QString stateDir = ProfileAdapter::stateDirFor(spec, ws);
    QString file = spec.pidFile ? spec.pidFile->file : QString();
    if (file.isEmpty() && !spec.recognise.isEmpty())
        file = spec.recognise.first().file;
    if (!file.isEmpty()) {
        const QString path = stateDir + QLatin1Char('/') + file;
        QDir().mkpath(QFileInfo(path).path());
        QFile out(path); // not put(): a name the validator let through may still be no file's (a dir's)
        if (parts.size() > 1 && out.open(QIODevice::WriteOnly))
            out.write(parts.at(1));
    } else {
        QDir().mkpath(stateDir);
    }
    static ScanContext context;
    const ProfileAdapter adapter(profile, Family::FirstProfile, QStringLiteral("fuzz.json"));
    adapter.candidateStateDirs(ws);
    adapter.scan(ws, stateDir, context);
    return 0;
}
