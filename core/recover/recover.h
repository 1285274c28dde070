// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "proc/filekey.h"
#include "snapshot/snapshot.h"

#include <QJsonObject>
#include <QSet>
#include <QStringList>

namespace Stateward {

// An index rebuilt from the record files it should list (docs/architecture.md, Findings and
// repairs). Computed from disk only; nothing is written here: export-index writes `document`
// elsewhere, repair puts it in place.
struct RecoveredIndex
{
    Family family {};
    QString stateDir;
    QString indexPath; // where the tool reads it: <stateDir>/<ToolIndex::fileName()>
    QByteArray document; // the recovered index, formatted as the tool writes it
    QString error; // non-empty: nothing could be recovered, and why

    QStringList ids; // entries in `document`, in its order
    QStringList addedIds; // in `document` but not in the current index
    int keptFromIndex = 0; // entries whose record matched an existing entry (compactedInto etc. kept)
    QStringList droppedIds; // in the current index, but no valid record exists: left out
    QStringList leftOutIds; // valid records that did not fit (the tool's own limit on entries)
    QStringList notes; // every decision worth knowing: duplicates, skipped files, limits
    struct Skipped
    {
        QString path;
        QString problem;
    };
    QList<Skipped> skipped; // record files that cannot be used

    bool ok() const { return error.isEmpty(); }
    QJsonObject toJson() const; // the summary, without `document`
};

// The family's index of stateDir rebuilt by its adapter's ToolIndex; an error when the family keeps
// none.
RecoveredIndex recoverIndex(Family family, const QString& stateDir);

// Which entries of the current index a repair changes; every other entry stays exactly as it is.
struct IndexEdit
{
    QSet<QString> add; // reindex: valid records the index does not list
    QSet<QString> drop; // drop-dangling-entry: entries whose record is gone
    QSet<QString> fix; // fix-index-entry: entries whose status or path is stale
    bool replaceCorrupt = false; // replace-corrupt-index: an unreadable index becomes the recovered one
};

struct EditedIndex
{
    QString indexPath;
    QByteArray document; // what to write; empty when there is nothing to change
    bool currentExists = false;
    FileStamp current; // the index the edit was computed from: compare it before the rename
    QByteArray currentBytes;
    QStringList applied; // "added traj_x", "dropped task-…", …
    QStringList skipped; // "traj_y: already in the index", …
    QString error;
};

// The current index with `edit` applied, entries taken from the recovery (recoverIndex). Run under
// the tool's lock right before writing, so it sees the latest index; nothing is written here.
EditedIndex editIndex(Family family, const QString& stateDir, const IndexEdit& edit);

// Where an export goes unless the user says: outside every state dir, under the user's data dir
// (~/.local/share/stateward/recovered/<family>-<workspace name>-<UTC time>-<index file name>).
QString defaultExportPath(const RecoveredIndex& index, const QString& workspace);

// Writes index.document to path atomically (tmp + fsync + rename). Never inside the state dir:
// the tool could read a file there as its own; putting an index in place is a repair, done
// under the tool's rules. Returns an error naming the file, or "".
QString exportRecoveredIndex(const RecoveredIndex& index, const QString& path);

} // namespace Stateward
