// SPDX-License-Identifier: GPL-3.0-or-later
#include "registry.h"

#include "codegraphsource.h"
#include "codexsource.h"
#include "gstacksource.h"
#include "trajectoriessource.h"

namespace Stateward {

namespace {

    template <typename Adapter> const SourceAdapter* instance()
    {
        static const Adapter adapter;
        return &adapter;
    }

} // namespace

const QList<const SourceAdapter*>& sourceAdapters()
{
    static const QList<const SourceAdapter*> all {
        instance<TrajectoriesSource>(),
        instance<CodexSource>(),
        instance<CodegraphSource>(),
        instance<GstackSource>(),
    };
    return all;
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
