// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "tsanannotate.h"

#include <QMetaObject>
#include <QMutex>
#include <QMutexLocker>
#include <QObject>

#include <memory>
#include <utility>

namespace Stateward {

// How a worker thread hands a result back to the thread of the QObject that asked for it, while
// that object lives. The owner keeps the mailbox as a member, built with `this`; a worker keeps
// a Sender (copyable, cheap) and posts functors through it. Each functor runs later on the
// owner's thread, in the order posted. Once the owner is destroyed nothing posted runs: the
// mailbox closes with the owner (no post gets through after), and what was posted before but not
// yet run is discarded with the owner's pending events.
class OwnerMailbox
{
    struct State
    {
        QMutex mutex;
        QObject* owner = nullptr; // null once closed
    };

public:
    class Sender
    {
    public:
        Sender() = default;
        // Queues f to run on the owner's thread. False (f dropped) when the owner is gone.
        template <typename F> bool post(F&& f) const
        {
            if (!m_state)
                return false;
            // Under the lock: close() cannot finish between the check and the post, so either the
            // post fails or its event is queued before the owner's destructor removes them all.
            QMutexLocker lock(&m_state->mutex);
            if (!m_state->owner)
                return false;
            return QMetaObject::invokeMethod(m_state->owner, Tsan::handOff(std::forward<F>(f)), Qt::QueuedConnection);
        }
        bool isOpen() const;

    private:
        friend class OwnerMailbox;
        explicit Sender(std::shared_ptr<State> state)
            : m_state(std::move(state))
        { }
        std::shared_ptr<State> m_state;
    };

    explicit OwnerMailbox(QObject* owner);
    ~OwnerMailbox(); // closes
    OwnerMailbox(const OwnerMailbox&) = delete;
    OwnerMailbox& operator=(const OwnerMailbox&) = delete;

    Sender sender() const { return Sender(m_state); }
    // Posts fail from now on (what is already queued still runs while the owner lives). For an
    // owner that must shut its workers out early; the mailbox's destructor does it anyway.
    void close();

private:
    std::shared_ptr<State> m_state = std::make_shared<State>();
};

} // namespace Stateward
