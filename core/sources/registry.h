// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QString>
#include <QStringView>

#include <optional>

// The tools Stateward knows. Each family has one adapter (core/sources/), and registry.cpp lists
// them: adding a tool is one enumerator here, its adapter with its tests, and one line there.
namespace Stateward {

class SourceAdapter;

enum class Family
{
    Trajectories,
    Codex,
    Codegraph,
    Gstack
};

// Every adapter, in scan order.
const QList<const SourceAdapter*>& sourceAdapters();
const SourceAdapter& adapterFor(Family family);
// The family's name ("trajectories"), as JSON, the command line and the views spell it.
QString nameOf(Family family);
std::optional<Family> familyNamed(QStringView name);

} // namespace Stateward
