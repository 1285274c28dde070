// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry.h"

#include "codegraphsource.h"
#include "codexsource.h"
#include "gstacksource.h"
#include "profileadapter.h"
#include "trajectoriessource.h"

#include <QFileInfo>

#include <memory>
#include <vector>

namespace Stateward {

namespace {

    template <typename Adapter> const SourceAdapter* instance()
    {
        static const Adapter adapter;
        return &adapter;
    }

    QString describeStateDir(const ProfileStateDir& spec)
    {
        static const char* const bases[] { "<workspace>", "$TMPDIR", "~", "$XDG_CACHE_HOME", "$XDG_STATE_HOME",
            "$XDG_RUNTIME_DIR" };
        return QStringLiteral("%1/%2").arg(QLatin1String(bases[int(spec.base)]), spec.path);
    }

    struct Registry
    {
        QList<const SourceAdapter*> adapters;
        QList<ToolListing> tools;
        std::vector<std::unique_ptr<ProfileAdapter>> profiles;
    };

    // Read once, on first use: the built-in adapters, then every profile that validates. A broken
    // profile is listed with its errors and skipped; it never stops the others.
    Registry build()
    {
        Registry r;
        r.adapters = {
            instance<TrajectoriesSource>(),
            instance<CodexSource>(),
            instance<CodegraphSource>(),
            instance<GstackSource>(),
        };
        for (const SourceAdapter* a : std::as_const(r.adapters))
            r.tools.append({ a->name(), false, QStringLiteral("built-in"), {}, {}, {}, {}, {}, {} });
        r.tools[0].tool = QStringLiteral("agent-trajectories (trail)");
        r.tools[1].tool = QStringLiteral("Codex plugin for Claude Code");
        r.tools[2].tool = QStringLiteral("codegraph (@optave/codegraph, @colbymchenry/codegraph)");
        r.tools[3].tool = QStringLiteral("gstack browse");

        QList<std::pair<ToolProfile, QString>> accepted; // profile, origin
        for (const ProfileLoad& load : loadAllProfiles()) {
            ToolListing t;
            t.isProfile = true;
            t.origin = load.origin;
            for (const ProfileError& e : load.errors)
                t.errors.append(e.toString());
            if (load.profile) {
                const ToolProfile& p = *load.profile;
                t.name = p.name;
                t.tool = p.tool;
                t.package = p.package;
                t.verified = p.verified;
                for (const ProfileStateDir& d : p.stateDirs)
                    t.stateDirs.append(describeStateDir(d));
                qsizetype same = -1;
                for (qsizetype i = 0; i < accepted.size(); ++i) {
                    if (accepted.at(i).first.name == p.name)
                        same = i;
                }
                bool handWritten = false;
                for (const SourceAdapter* a : std::as_const(r.adapters))
                    handWritten |= a->name() == p.name;
                if (handWritten) {
                    t.errors.append(
                        QStringLiteral("%1: name: \"%2\" is a built-in adapter's name").arg(load.file, p.name));
                } else if (same >= 0 && accepted.at(same).second == QLatin1String("built-in")
                    && load.origin != QLatin1String("built-in")) {
                    // A user profile may follow a tool that changed before Stateward does.
                    accepted[same] = { p, load.origin };
                    t.note = QStringLiteral("replaces the built-in %1 profile").arg(p.name);
                    for (ToolListing& earlier : r.tools) {
                        if (earlier.isProfile && earlier.name == p.name && earlier.errors.isEmpty())
                            earlier.note = QStringLiteral("replaced by %1").arg(load.origin);
                    }
                } else if (same >= 0) {
                    t.errors.append(QStringLiteral("%1: name: \"%2\" is already used by %3")
                                        .arg(load.file, p.name, accepted.at(same).second));
                } else {
                    accepted.append({ p, load.origin });
                }
            } else {
                t.name = QFileInfo(load.file).completeBaseName();
            }
            r.tools.append(t);
        }
        int next = int(Family::FirstProfile);
        for (const auto& [profile, origin] : std::as_const(accepted)) {
            r.profiles.push_back(std::make_unique<ProfileAdapter>(profile, Family(next++), origin));
            r.adapters.append(r.profiles.back().get());
        }
        return r;
    }

    const Registry& registry()
    {
        static const Registry r = build();
        return r;
    }

} // namespace

const QList<const SourceAdapter*>& sourceAdapters()
{
    return registry().adapters;
}

const QList<ToolListing>& knownTools()
{
    return registry().tools;
}

const SourceAdapter& adapterFor(Family family)
{
    for (const SourceAdapter* adapter : sourceAdapters()) {
        if (adapter->family() == family)
            return *adapter;
    }
    Q_UNREACHABLE(); // every Family has its adapter above
}

QString nameOf(Family family)
{
    return adapterFor(family).name();
}

std::optional<Family> familyNamed(QStringView name)
{
    for (const SourceAdapter* adapter : sourceAdapters()) {
        if (adapter->name() == name)
            return adapter->family();
    }
    return std::nullopt;
}

} // namespace Stateward
