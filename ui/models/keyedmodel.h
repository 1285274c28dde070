// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "models/rows.h"
#include "snapshot/snapshotchanges.h"

#include <QAbstractTableModel>
#include <QDateTime>
#include <QHash>
#include <QJsonDocument>
#include <QSet>
#include <QThread>

#include <algorithm>
#include <vector>

namespace Stateward {

// The part of every snapshot table that needs no row type: roles, columns, the model's "now".
// Templates cannot carry Q_OBJECT, so KeyedRowModel<Item> adds the diff on top of this.
class KeyedModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Role
    {
        IdRole = Qt::UserRole, // QString: the item's stable id
        RowRole, // the whole row (origin + item) as QVariant, for the detail pane
        JsonRole, // QString: the item's toJson(), indented
        SortRole, // raw value: numbers for PIDs, ages and sizes, a rank for severity and liveness; else the text
        FamilyRole, // int(Family) of the snapshot the row came from
        SeverityRole, // int(Severity); only models whose rows carry one answer it
    };
    Q_ENUM(Role)

    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Takes every current snapshot (all workspaces and state dirs), flattens them and applies the
    // result as a diff against the rows shown. Never resets.
    virtual void apply(const QList<Snapshot>& snapshots) = 0;
    // The same after one delivery of `workspace` (WatchHub::snapshotsChanged): `snapshots` is still
    // every current snapshot, `changes` what differs in those of `workspace` since the ones applied
    // before. Touches only the rows named there; the rows end as apply(snapshots) leaves them,
    // which it falls back to when the changes alone cannot say (WorkspaceChanges::whole, …).
    virtual void applyChanges(
        const QList<Snapshot>& snapshots, const QString& workspace, const WorkspaceChanges& changes)
        = 0;
    virtual int rowOf(const QString& id) const = 0; // -1 when no row has that id
    QModelIndex indexOf(const QString& id, int column = 0) const;

    // Ages are measured against this, not the wall clock, so a row only changes when its data
    // does. apply() moves it to the newest scan time; a change emits one dataChanged over the
    // age column only.
    QDateTime now() const { return m_now; }
    void setNow(const QDateTime& now);
    int ageColumn() const { return m_ageColumn; }

protected:
    struct Column
    {
        QString title;
        QString description;
        bool numeric = false;
    };
    KeyedModel(QList<Column> columns, int ageColumn, QObject* parent);

    qint64 ageMs(const QDateTime& since) const; // -1 when unknown
    QVariant ageSortValue(const QDateTime& since) const; // invalid when unknown: sorts last
    bool isNumericColumn(int column) const;
    static QDateTime latestScan(const QList<Snapshot>& snapshots);

private:
    QList<Column> m_columns;
    int m_ageColumn = -1;
    QDateTime m_now;
};

// Rows keyed by id, updated by diff: removals in contiguous ranges, dataChanged over contiguous
// runs of rows whose content changed, insertions appended in one block. O(n) in the items given:
// unchanged items are compared field by field against the stored row, never copied or formatted.
// Existing rows keep their position (a proxy sorts), so selection, scroll and persistent indexes
// survive every update.
template <typename Item> class KeyedRowModel : public KeyedModel
{
public:
    using RowT = Row<Item>;

    void apply(const QList<Snapshot>& snapshots) override
    {
        setNow(latestScan(snapshots)); // first, so rows coming in are already measured against it
        std::vector<Origin> origins;
        origins.reserve(size_t(snapshots.size())); // no reallocation: Incoming points into it
        qsizetype total = 0;
        for (const Snapshot& s : snapshots) {
            origins.push_back(Origin { s.family, s.workspace, s.stateDir });
            total += (s.*m_list).size();
        }
        std::vector<Incoming> next;
        next.reserve(size_t(total));
        for (qsizetype k = 0; k < snapshots.size(); ++k) {
            for (const Item& item : snapshots.at(k).*m_list)
                next.push_back(Incoming { &origins[size_t(k)], &item });
        }
        applyRows(next);
    }

    void applyChanges(
        const QList<Snapshot>& snapshots, const QString& workspace, const WorkspaceChanges& changes) override
    {
        std::vector<std::pair<Origin, const Snapshot*>> changed;
        if (!m_changes || !changedSnapshots(snapshots, workspace, changes, changed))
            return apply(snapshots);
        std::vector<Update> updates;
        for (const auto& [origin, s] : changed) {
            const ListChanges& list = (*changes.snapshots.constFind(s->stateDir)).*m_changes; // found: changedSnapshots
            if (list.all)
                return apply(snapshots);
            for (qsizetype at : list.upserted) {
                if (at < 0 || at >= (s->*m_list).size())
                    return apply(snapshots);
                updates.push_back(Update { &origin, &(s->*m_list).at(at), nullptr });
            }
            for (const QString& id : list.removed)
                updates.push_back(Update { &origin, nullptr, &id });
        }
        setNow(latestScan(snapshots));
        if (!applyUpdates(updates))
            apply(snapshots);
    }

    int rowCount(const QModelIndex& parent = {}) const override
    {
        return parent.isValid() ? 0 : int(m_rows.size() - (m_gapEnd - m_gapStart));
    }

    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override
    {
        if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
            return {};
        const RowT& row = rowAt(index.row());
        switch (role) {
        case IdRole:
            return row.id();
        case RowRole:
            return QVariant::fromValue(row);
        case JsonRole:
            return QString::fromUtf8(QJsonDocument(row.item.toJson()).toJson(QJsonDocument::Indented));
        case FamilyRole:
            return int(row.origin.family);
        case Qt::TextAlignmentRole:
            return int(Qt::AlignVCenter | (isNumericColumn(index.column()) ? Qt::AlignRight : Qt::AlignLeft));
        case SortRole: {
            // A column sorts by its text unless rowData gives a raw value (numbers, ranks, paths).
            const QVariant raw = rowData(row, index.column(), role);
            return raw.isValid() ? raw : rowData(row, index.column(), Qt::DisplayRole);
        }
        default:
            return rowData(row, index.column(), role);
        }
    }

    // Valid between applies (while one runs, rows after a removed range still answer their old row).
    int rowOf(const QString& id) const override
    {
        const auto it = m_rowOf.constFind(id);
        return it == m_rowOf.cend() || *it < 0 ? -1 : int(*it);
    }

    const RowT& rowAt(int row) const { return m_rows.at(row < m_gapStart ? row : row + (m_gapEnd - m_gapStart)); }

protected:
    KeyedRowModel(typename SnapshotList<Item>::type Snapshot::*list, ListChanges SnapshotChanges::*changes,
        QList<Column> columns, int ageColumn, QObject* parent)
        : KeyedModel(std::move(columns), ageColumn, parent)
        , m_list(list)
        , m_changes(changes)
    { }

    virtual QVariant rowData(const RowT& row, int column, int role) const = 0;

    // An item of the snapshots being applied, not copied: most of them equal their row already.
    struct Incoming
    {
        const Origin* origin;
        const Item* item;
        const QString& id() const { return item->id; }
        RowT toRow() const { return RowT { *origin, *item }; }
    };

    // For a model whose items are derived from the snapshots rather than listed in them (problems):
    // its apply() builds them and hands them over here.
    void applyRows(const std::vector<Incoming>& next);

    // One row to change after a delivery: an item added or changed, or (item null) the id of one gone.
    struct Update
    {
        const Origin* origin;
        const Item* item;
        const QString* removedId;
        const QString& id() const { return item ? item->id : *removedId; }
    };
    // Applies them, costing what they name, not what the table holds (but a removal, which
    // renumbers the rows after it). False, having changed nothing, when they cannot be applied
    // alone: an id another snapshot shows too, or named twice; then apply() must run.
    bool applyUpdates(const std::vector<Update>& updates);

    // For a model whose items are derived per snapshot (problems): the rows of each origin given
    // become its items, the other rows stay. Costs the rows of those origins, and a pass over the
    // table to find them. False, having changed nothing, as applyUpdates().
    bool replaceRowsOf(const std::vector<std::pair<Origin, QList<Item>>>& lists)
    {
        std::vector<Update> updates;
        QSet<QString> given;
        for (const auto& [origin, items] : lists) {
            for (const Item& item : items) {
                updates.push_back(Update { &origin, &item, nullptr });
                given.insert(item.id);
            }
        }
        for (const RowT& row : std::as_const(m_rows)) {
            for (const auto& entry : lists) {
                if (row.origin == entry.first && !given.contains(row.id()))
                    updates.push_back(Update { &entry.first, nullptr, &row.id() });
            }
        }
        return applyUpdates(updates);
    }

    // The snapshots of `workspace` that `changes` names, with their origins; false when the
    // changes cannot be applied alone (whole, a state dir not found or found twice).
    static bool changedSnapshots(const QList<Snapshot>& snapshots, const QString& workspace,
        const WorkspaceChanges& changes, std::vector<std::pair<Origin, const Snapshot*>>& out)
    {
        if (changes.whole)
            return false;
        out.reserve(size_t(changes.snapshots.size())); // no reallocation: updates point at the origins
        QSet<QString> found;
        for (const Snapshot& s : snapshots) {
            if (s.workspace != workspace || !changes.snapshots.contains(s.stateDir))
                continue;
            if (found.contains(s.stateDir))
                return false;
            found.insert(s.stateDir);
            out.emplace_back(Origin { s.family, s.workspace, s.stateDir }, &s);
        }
        return found.size() == changes.snapshots.size();
    }

private:
    void removeMissing(const std::vector<bool>& kept);
    void emitChanged(std::vector<qsizetype>& rows);

    typename SnapshotList<Item>::type Snapshot::*m_list;
    ListChanges SnapshotChanges::*m_changes;
    // The last apply() met an id twice: which copy shows depends on every snapshot, so the next
    // delivery is applied whole too.
    bool m_duplicates = false;
    QList<RowT> m_rows;
    QHash<QString, qsizetype> m_rowOf; // id -> row; kPending while an apply is about to insert it
    // While removals are signalled, m_rows[m_gapStart, m_gapEnd) holds rows already taken out:
    // the table compacts in one pass instead of shifting its tail once per removed range.
    qsizetype m_gapStart = 0;
    qsizetype m_gapEnd = 0;
    static constexpr qsizetype kPending = -1;
};

template <typename Item> void KeyedRowModel<Item>::applyRows(const std::vector<Incoming>& next)
{
    Q_ASSERT(QThread::currentThread() == thread()); // views and proxies must see every signal in order
    const qsizetype oldCount = m_rows.size();

    // Match each incoming item to the row showing its id. Of duplicate ids, the first wins. New ids
    // go into m_rowOf as pending right away, which also catches duplicates among them.
    constexpr qsizetype kNew = -1;
    constexpr qsizetype kDuplicate = -2;
    std::vector<qsizetype> current(next.size(), kNew);
    std::vector<bool> kept(size_t(oldCount), false);
    qsizetype keptCount = 0;
    qsizetype newCount = 0;
    bool duplicates = false;
    for (size_t i = 0; i < next.size(); ++i) {
        auto it = m_rowOf.find(next[i].id());
        if (it == m_rowOf.end()) {
            m_rowOf.insert(next[i].id(), kPending);
            ++newCount;
        } else if (*it == kPending || kept[size_t(*it)]) {
            current[i] = kDuplicate;
            duplicates = true;
        } else {
            kept[size_t(*it)] = true;
            current[i] = *it;
            ++keptCount;
        }
    }

    m_duplicates = duplicates;

    // Where each kept row lands once the removed ones are gone.
    if (keptCount < oldCount) {
        std::vector<qsizetype> landing(size_t(oldCount), -1);
        qsizetype n = 0;
        for (qsizetype r = 0; r < oldCount; ++r) {
            if (kept[size_t(r)])
                landing[size_t(r)] = n++;
        }
        for (qsizetype& c : current) {
            if (c >= 0)
                c = landing[size_t(c)];
        }
        removeMissing(kept);
    }

    std::vector<qsizetype> changed;
    for (size_t i = 0; i < next.size(); ++i) {
        const qsizetype r = current[i];
        if (r < 0)
            continue;
        const RowT& row = m_rows.at(r);
        const RowChange change
            = row.origin == *next[i].origin ? compareItems(row.item, *next[i].item) : RowChange::Visible;
        if (change == RowChange::None)
            continue;
        m_rows[r] = next[i].toRow();
        if (change == RowChange::Visible)
            changed.push_back(r);
    }
    emitChanged(changed);

    if (newCount > 0) {
        const qsizetype first = m_rows.size();
        beginInsertRows({}, int(first), int(first + newCount - 1));
        m_rows.reserve(first + newCount);
        for (size_t i = 0; i < next.size(); ++i) {
            if (current[i] != kNew)
                continue;
            m_rowOf[next[i].id()] = m_rows.size();
            m_rows.append(next[i].toRow());
        }
        endInsertRows();
    }
}

template <typename Item> void KeyedRowModel<Item>::emitChanged(std::vector<qsizetype>& rows)
{
    std::sort(rows.begin(), rows.end());
    const int lastColumn = columnCount() - 1;
    for (size_t i = 0; i < rows.size();) {
        size_t j = i;
        while (j + 1 < rows.size() && rows[j + 1] == rows[j] + 1)
            ++j;
        Q_EMIT dataChanged(index(int(rows[i]), 0), index(int(rows[j]), lastColumn));
        i = j + 1;
    }
}

template <typename Item> bool KeyedRowModel<Item>::applyUpdates(const std::vector<Update>& updates)
{
    Q_ASSERT(QThread::currentThread() == thread());
    if (m_duplicates)
        return false;
    // First check, changing nothing: each id once, and a row of that id (if any) from the same
    // snapshot. The rows hold every id of the snapshots applied, each once (no duplicates), so an
    // id without a row is in no other snapshot, and one whose row came from here in no other.
    QSet<QString> named;
    named.reserve(qsizetype(updates.size()));
    qsizetype removals = 0;
    qsizetype additions = 0;
    for (const Update& u : updates) {
        const QString& id = u.id();
        if (named.contains(id))
            return false;
        named.insert(id);
        const auto it = m_rowOf.constFind(id);
        if (it == m_rowOf.cend()) {
            if (!u.item)
                return false; // gone from a row never shown: the rows are not what the changes expect
            ++additions;
        } else if (!(m_rows.at(*it).origin == *u.origin)) {
            return false;
        } else if (!u.item) {
            ++removals;
        }
    }

    std::vector<qsizetype> changed;
    for (const Update& u : updates) {
        if (!u.item)
            continue;
        const auto it = m_rowOf.constFind(u.item->id);
        if (it == m_rowOf.cend())
            continue;
        RowT& row = m_rows[*it];
        const RowChange change = compareItems(row.item, *u.item);
        if (change == RowChange::None)
            continue;
        row.item = *u.item;
        if (change == RowChange::Visible)
            changed.push_back(*it);
    }
    emitChanged(changed);

    if (removals > 0) {
        std::vector<bool> kept(size_t(m_rows.size()), true);
        for (const Update& u : updates) {
            if (!u.item)
                kept[size_t(m_rowOf.value(*u.removedId))] = false;
        }
        removeMissing(kept);
    }

    if (additions > 0) {
        const qsizetype first = m_rows.size();
        beginInsertRows({}, int(first), int(first + additions - 1));
        m_rows.reserve(first + additions);
        for (const Update& u : updates) {
            if (!u.item || m_rowOf.contains(u.item->id))
                continue;
            m_rowOf.insert(u.item->id, m_rows.size());
            m_rows.append(RowT { *u.origin, *u.item });
        }
        endInsertRows();
    }
    return true;
}

template <typename Item> void KeyedRowModel<Item>::removeMissing(const std::vector<bool>& kept)
{
    const qsizetype oldCount = m_rows.size();
    // Shown rows are m_rows[0, write) followed by m_rows[read, oldCount); the gap between them
    // holds rows already removed, so every move happens once however many ranges there are.
    qsizetype write = 0;
    qsizetype read = 0;
    qsizetype firstRemoved = -1;
    auto closeGapUpTo = [&](qsizetype end) {
        if (write != read)
            std::move(m_rows.begin() + read, m_rows.begin() + end, m_rows.begin() + write);
        write += end - read;
        read = end;
        m_gapStart = write;
        m_gapEnd = read;
    };
    for (qsizetype r = 0; r < oldCount;) {
        if (kept[size_t(r)]) {
            ++r;
            continue;
        }
        qsizetype end = r;
        while (end < oldCount && !kept[size_t(end)])
            ++end;
        closeGapUpTo(r);
        if (firstRemoved < 0)
            firstRemoved = write;
        beginRemoveRows({}, int(write), int(write + (end - r) - 1));
        for (qsizetype k = r; k < end; ++k) {
            m_rowOf.remove(m_rows.at(k).id());
            m_rows[k] = RowT {}; // release its strings now, not at the final resize
        }
        read = end;
        m_gapEnd = read;
        endRemoveRows();
        r = end;
    }
    closeGapUpTo(oldCount);
    m_rows.resize(write);
    m_gapStart = m_gapEnd = 0;
    for (qsizetype r = firstRemoved; r < m_rows.size(); ++r)
        m_rowOf[m_rows.at(r).id()] = r;
}

} // namespace Stateward
