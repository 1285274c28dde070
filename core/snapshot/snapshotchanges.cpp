// SPDX-License-Identifier: GPL-3.0-or-later
#include "snapshotchanges.h"

#include <QSet>

namespace Stateward {

bool SnapshotChanges::isEmpty() const
{
    return jobs.isEmpty() && brokers.isEmpty() && locks.isEmpty() && tempFiles.isEmpty() && findings.isEmpty();
}

SnapshotChanges SnapshotChanges::everything()
{
    SnapshotChanges c;
    c.jobs.all = c.brokers.all = c.locks.all = c.tempFiles.all = c.findings.all = true;
    return c;
}

namespace {

    ListChanges allChanged()
    {
        ListChanges c;
        c.all = true;
        return c;
    }

    // By id through hashes: for lists in no particular order.
    template <typename Item> ListChanges diffByHash(const QList<Item>& before, const QList<Item>& now)
    {
        ListChanges out;
        QHash<QString, qsizetype> was;
        was.reserve(before.size());
        for (qsizetype i = 0; i < before.size(); ++i) {
            if (was.contains(before.at(i).id))
                return allChanged();
            was.insert(before.at(i).id, i);
        }
        QSet<QString> seen;
        seen.reserve(now.size());
        for (qsizetype i = 0; i < now.size(); ++i) {
            const Item& b = now.at(i);
            if (seen.contains(b.id))
                return allChanged();
            seen.insert(b.id);
            const auto at = was.constFind(b.id);
            if (at == was.cend() || !(before.at(*at) == b))
                out.upserted.append(i);
        }
        for (auto it = was.cbegin(); it != was.cend(); ++it) {
            if (!seen.contains(it.key()))
                out.removed.append(it.key());
        }
        return out;
    }

} // namespace

template <typename Item> ListChanges diffItems(const QList<Item>& before, const QList<Item>& now)
{
    ListChanges out;
    if (before.constData() == now.constData() && before.size() == now.size())
        return out; // the same list, shared
    // A merge while both lists rise strictly by id (so no id repeats): the adapters that keep
    // many items sort them. Else by hash.
    const auto rises = [](const QList<Item>& list, qsizetype at) {
        return at == 0 || at >= list.size() || list.at(at - 1).id < list.at(at).id;
    };
    qsizetype i = 0;
    qsizetype k = 0;
    while (i < before.size() || k < now.size()) {
        const int order = i == before.size() ? 1 : k == now.size() ? -1 : before.at(i).id.compare(now.at(k).id);
        if (order < 0) {
            out.removed.append(before.at(i).id);
        } else if (order > 0) {
            out.upserted.append(k);
        } else if (!(before.at(i) == now.at(k))) {
            out.upserted.append(k);
        }
        if (order <= 0 && !rises(before, ++i))
            return diffByHash(before, now);
        if (order >= 0 && !rises(now, ++k))
            return diffByHash(before, now);
    }
    return out;
}

template ListChanges diffItems(const QList<Job>&, const QList<Job>&);
template ListChanges diffItems(const QList<Broker>&, const QList<Broker>&);
template ListChanges diffItems(const QList<LockHolder>&, const QList<LockHolder>&);
template ListChanges diffItems(const QList<TempFile>&, const QList<TempFile>&);
template ListChanges diffItems(const QList<Finding>&, const QList<Finding>&);

SnapshotChanges diffSnapshots(const Snapshot& before, const Snapshot& now)
{
    SnapshotChanges c;
    c.jobs = diffItems(before.jobs, now.jobs);
    c.brokers = diffItems(before.brokers, now.brokers);
    c.locks = diffItems(before.locks, now.locks);
    c.tempFiles = diffItems(before.tempFiles, now.tempFiles);
    c.findings = diffItems(before.findings, now.findings);
    return c;
}

} // namespace Stateward
