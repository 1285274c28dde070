// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ownermailbox.h"
#include "tsanannotate.h"

#include <QObject>
#include <QThreadPool>

namespace Stateward {

// Runs blocking work (a repair waiting for a lock or a process, a recovery reading every record,
// an fsync, a log read) on QThreadPool::globalInstance() and hands the result back on the owner's
// thread. The work always runs to its end, even when the owner is destroyed first: a repair is
// never abandoned halfway, only its result is dropped (Qt waits for the global pool on exit).
// Keep it as a plain member of the widget whose slots `done` calls: it dies with that widget.
class BackgroundRunner : public QObject
{
public:
    BackgroundRunner() = default;
    BackgroundRunner(const BackgroundRunner&) = delete;
    BackgroundRunner& operator=(const BackgroundRunner&) = delete;

    int pending() const { return m_pending; }

    // work() runs on a pool thread; done(result) then runs on this object's thread. Both must be
    // copyable (Qt 6.4's QThreadPool::start takes a std::function).
    template <typename Work, typename Done> void run(Work work, Done done)
    {
        ++m_pending;
        QThreadPool::globalInstance()->start(Tsan::handOff([toRunner = m_mailbox.sender(), self = this, work, done]() {
            auto result = work();
            toRunner.post([self, result, done]() {
                --self->m_pending;
                done(result);
            });
        }));
    }

private:
    int m_pending = 0;
    OwnerMailbox m_mailbox { this };
};

} // namespace Stateward
