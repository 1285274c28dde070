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
    Gstack,
    // Tools described by profiles (docs/profiles.md) take the values from here on, one each, in the
    // order the registry loads them: compare a profile tool's family by its name, never by number.
    FirstProfile,
};

// Every adapter, in scan order.
const QList<const SourceAdapter*>& sourceAdapters();
const SourceAdapter& adapterFor(Family family);
// The family's name ("trajectories"), as JSON, the command line and the views spell it.
QString nameOf(Family family);
std::optional<Family> familyNamed(QStringView name);

// Every tool Stateward knows, as `stateward-cli tools` lists it: the hand-written adapters, then
// each profile read (docs/profiles.md), including those that failed to load and why.
struct ToolListing
{
    QString name;
    bool isProfile = false;
    QString origin; // "built-in", or the profile file's path
    QString tool; // the upstream tool as people name it
    QString package;
    QString verified;
    QStringList stateDirs; // where it looks, as the profile spells it
    QStringList errors; // why the profile is not used; empty when it is
    QString note; // e.g. that a user profile replaces the built-in one
};
const QList<ToolListing>& knownTools();

} // namespace Stateward
