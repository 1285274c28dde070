// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QList>
#include <QSharedData>
#include <QSharedDataPointer>

#include <algorithm>
#include <atomic>
#include <initializer_list>
#include <iterator>

// A list of values kept in implicitly shared chunks of a few hundred, for the item lists that run to
// 100 000 (Snapshot::jobs): a copy shares every chunk, and a change to one item copies only its
// chunk, so a scan that re-judges a few items of the list it delivered last costs what it changed,
// not the whole list. Two lists holding the same chunk hold the same items there, which is how
// diffItems() skips what a scan did not touch (snapshotchanges.cpp). Reads are as for QList (at,
// size, iteration); writes go through append, insert, removeAt and the non-const operator[].
namespace Stateward {

template <typename T> class ChunkedList
{
public:
    using value_type = T;
    static constexpr qsizetype kChunk = 256; // appends fill chunks to this; inserts split them at twice it

    // One chunk's items, shared between copies of the list. `mark` is free for a reader to cache a
    // fact derived from the items (diffItems: whether their ids rise): reset whenever they change.
    struct Chunk : QSharedData
    {
        Chunk() = default;
        Chunk(const Chunk& other)
            : QSharedData(other)
            , items(other.items)
        { }
        QList<T> items;
        mutable std::atomic<int> mark { 0 };
    };

    class const_iterator
    {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = T;
        using difference_type = qsizetype;
        using pointer = const T*;
        using reference = const T&;

        const_iterator() = default;
        reference operator*() const { return *m_at; }
        pointer operator->() const { return m_at; }
        const_iterator& operator++()
        {
            if (++m_at == m_end)
                enter(m_chunk + 1);
            return *this;
        }
        const_iterator operator++(int)
        {
            const_iterator was = *this;
            ++*this;
            return was;
        }
        friend bool operator==(const const_iterator& a, const const_iterator& b) { return a.m_at == b.m_at; }

    private:
        friend class ChunkedList;
        const_iterator(const ChunkedList* list, qsizetype chunk)
            : m_list(list)
        {
            enter(chunk);
        }
        void enter(qsizetype chunk)
        {
            // Chunks are never empty, so only the end has a null position.
            m_chunk = chunk;
            if (chunk >= m_list->m_chunks.size()) {
                m_at = m_end = nullptr;
                return;
            }
            const QList<T>& items = m_list->m_chunks.at(chunk)->items;
            m_at = items.constData();
            m_end = m_at + items.size();
        }
        const ChunkedList* m_list = nullptr;
        qsizetype m_chunk = 0;
        const T* m_at = nullptr;
        const T* m_end = nullptr;
    };
    using iterator = const_iterator; // items change through operator[], never through an iterator

    ChunkedList() = default;
    ChunkedList(std::initializer_list<T> items)
    {
        for (const T& item : items)
            append(item);
    }
    ChunkedList(const QList<T>& items) // implicit: where a QList was assigned before
    {
        for (const T& item : items)
            append(item);
    }

    qsizetype size() const { return m_ends.isEmpty() ? 0 : m_ends.last(); }
    qsizetype count() const { return size(); }
    bool isEmpty() const { return m_chunks.isEmpty(); }
    void reserve(qsizetype) { } // chunks grow one at a time

    const T& at(qsizetype i) const
    {
        const qsizetype c = chunkOf(i);
        return m_chunks.at(c)->items.at(i - startOf(c));
    }
    const T& operator[](qsizetype i) const { return at(i); }
    T& operator[](qsizetype i) // copies the chunk holding it, if shared
    {
        const qsizetype c = chunkOf(i);
        Chunk* chunk = m_chunks[c].data();
        chunk->mark.store(0, std::memory_order_relaxed);
        return chunk->items[i - startOf(c)];
    }
    const T& first() const { return m_chunks.first()->items.first(); }
    const T& last() const { return m_chunks.last()->items.last(); }

    const_iterator begin() const { return const_iterator(this, 0); }
    const_iterator end() const { return const_iterator(this, m_chunks.size()); }
    const_iterator cbegin() const { return begin(); }
    const_iterator cend() const { return end(); }

    void append(T item)
    {
        if (m_chunks.isEmpty() || std::as_const(m_chunks).last()->items.size() >= kChunk) {
            m_chunks.append(QSharedDataPointer<Chunk>(new Chunk));
            m_ends.append(size());
        }
        Chunk* chunk = m_chunks.last().data();
        chunk->mark.store(0, std::memory_order_relaxed);
        chunk->items.append(std::move(item));
        ++m_ends.last();
    }
    ChunkedList& operator<<(const T& item)
    {
        append(item);
        return *this;
    }

    // Before position i (size() appends).
    void insert(qsizetype i, T item)
    {
        if (i >= size())
            return append(std::move(item));
        const qsizetype c = chunkOf(i);
        Chunk* chunk = m_chunks[c].data();
        chunk->mark.store(0, std::memory_order_relaxed);
        chunk->items.insert(i - startOf(c), std::move(item));
        for (qsizetype k = c; k < m_ends.size(); ++k)
            ++m_ends[k];
        if (chunk->items.size() >= 2 * kChunk) { // split: the second half becomes a chunk of its own
            auto half = QSharedDataPointer<Chunk>(new Chunk);
            half->items = chunk->items.sliced(kChunk);
            chunk->items.resize(kChunk);
            m_chunks.insert(c + 1, std::move(half));
            m_ends.insert(c, startOf(c) + kChunk);
        }
    }

    void removeAt(qsizetype i)
    {
        const qsizetype c = chunkOf(i);
        if (std::as_const(m_chunks).at(c)->items.size() == 1) {
            m_chunks.removeAt(c);
            m_ends.removeAt(c);
        } else {
            Chunk* chunk = m_chunks[c].data();
            chunk->mark.store(0, std::memory_order_relaxed);
            chunk->items.removeAt(i - startOf(c));
        }
        for (qsizetype k = c; k < m_ends.size(); ++k)
            --m_ends[k];
    }

    void clear()
    {
        m_chunks.clear();
        m_ends.clear();
    }

    QList<T> toList() const
    {
        QList<T> out;
        out.reserve(size());
        for (const auto& chunk : m_chunks)
            out.append(chunk->items);
        return out;
    }

    // The first position whose item is not less than `key` (less(item, key)), the items being ordered.
    template <typename Key, typename Less> qsizetype lowerBound(const Key& key, Less less) const
    {
        // The first chunk whose last item is not less than the key, then within it.
        const auto chunk = std::partition_point(m_chunks.cbegin(), m_chunks.cend(),
            [&](const QSharedDataPointer<Chunk>& c) { return less(c->items.last(), key); });
        if (chunk == m_chunks.cend())
            return size();
        const qsizetype c = chunk - m_chunks.cbegin();
        const QList<T>& items = (*chunk)->items;
        return startOf(c) + (std::lower_bound(items.cbegin(), items.cend(), key, less) - items.cbegin());
    }

    // The chunks, for a reader that compares two lists chunk by chunk.
    qsizetype chunkCount() const { return m_chunks.size(); }
    const Chunk& chunk(qsizetype c) const { return *m_chunks.at(c); }

    friend bool operator==(const ChunkedList& a, const ChunkedList& b)
    {
        if (a.size() != b.size())
            return false;
        return std::equal(a.begin(), a.end(), b.begin());
    }

private:
    qsizetype startOf(qsizetype c) const { return c == 0 ? 0 : m_ends.at(c - 1); }
    qsizetype chunkOf(qsizetype i) const
    {
        Q_ASSERT(i >= 0 && i < size());
        return std::upper_bound(m_ends.cbegin(), m_ends.cend(), i) - m_ends.cbegin();
    }

    QList<QSharedDataPointer<Chunk>> m_chunks; // never an empty one
    QList<qsizetype> m_ends; // where each chunk ends: the count of items up to and with it
};

} // namespace Stateward
