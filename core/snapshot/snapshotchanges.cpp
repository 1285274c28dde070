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
    template <typename List> ListChanges diffByHash(const List& before, const List& now)
    {
        using Item = typename List::value_type;
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

namespace {

    // A place in a ChunkedList, moved one item at a time.
    template <typename Item> struct ChunkCursor
    {
        const ChunkedList<Item>& list;
        qsizetype chunk = 0;
        qsizetype offset = 0;
        qsizetype at = 0; // the position in the whole list
        bool atEnd() const { return chunk == list.chunkCount(); }
        bool atChunkStart() const { return offset == 0 && !atEnd(); }
        const Item& item() const { return list.chunk(chunk).items.at(offset); }
        void next()
        {
            ++at;
            if (++offset == list.chunk(chunk).items.size()) {
                ++chunk;
                offset = 0;
            }
        }
        void skipChunk()
        {
            at += list.chunk(chunk).items.size();
            ++chunk;
            offset = 0;
        }
    };

    // Whether the ids of a chunk's items rise strictly, worked out once per chunk (it is shared
    // between the lists of successive scans) and kept in its mark: 1 they do, 2 they do not.
    template <typename Item> bool risesWithin(const typename ChunkedList<Item>::Chunk& chunk)
    {
        int mark = chunk.mark.load(std::memory_order_relaxed);
        if (mark == 0) {
            mark = 1;
            for (qsizetype i = 1; i < chunk.items.size() && mark == 1; ++i) {
                if (!(chunk.items.at(i - 1).id < chunk.items.at(i).id))
                    mark = 2;
            }
            chunk.mark.store(mark, std::memory_order_relaxed);
        }
        return mark == 1;
    }

} // namespace

template <typename Item> ListChanges diffItems(const ChunkedList<Item>& before, const ChunkedList<Item>& now)
{
    // The merge of diffItems(QList) above, item for item, but for one step: where both lists are
    // at the start of the same chunk (shared, so the same items) whose ids rise, the whole chunk
    // is equal and passes at once. So a scan that re-judged a few items costs their chunks.
    ListChanges out;
    if (before.chunkCount() == now.chunkCount()) {
        qsizetype c = 0;
        while (c < now.chunkCount() && &before.chunk(c) == &now.chunk(c))
            ++c;
        if (c == now.chunkCount())
            return out; // the same list, shared
    }
    ChunkCursor<Item> b { before };
    ChunkCursor<Item> n { now };
    const auto rises = [](const ChunkCursor<Item>& c, const Item* previous) {
        return !previous || c.atEnd() || previous->id < c.item().id;
    };
    while (!b.atEnd() || !n.atEnd()) {
        if (b.atChunkStart() && n.atChunkStart() && &b.list.chunk(b.chunk) == &n.list.chunk(n.chunk)
            && risesWithin<Item>(b.list.chunk(b.chunk))) {
            const QList<Item>& items = b.list.chunk(b.chunk).items;
            const Item* last = &items.last();
            b.skipChunk();
            n.skipChunk();
            if (!rises(b, last) || !rises(n, last))
                return diffByHash(before, now);
            continue;
        }
        const int order = b.atEnd() ? 1 : n.atEnd() ? -1 : b.item().id.compare(n.item().id);
        if (order < 0) {
            out.removed.append(b.item().id);
        } else if (order > 0) {
            out.upserted.append(n.at);
        } else if (!(b.item() == n.item())) {
            out.upserted.append(n.at);
        }
        if (order <= 0) {
            const Item* previous = &b.item();
            b.next();
            if (!rises(b, previous))
                return diffByHash(before, now);
        }
        if (order >= 0) {
            const Item* previous = &n.item();
            n.next();
            if (!rises(n, previous))
                return diffByHash(before, now);
        }
    }
    return out;
}

template ListChanges diffItems(const ChunkedList<Job>&, const ChunkedList<Job>&);
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
