// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QMetaObject>
#include <QMutex>
#include <QObject>
#include <QSharedPointer>
#include <QThreadPool>

#include <utility>

namespace Stateward {

// Runs blocking work (a repair waiting for a lock or a process, a recovery reading every record,
// an fsync) on QThreadPool::globalInstance() and hands the result back on the owner's thread.
// The work always runs to its end, even when the owner is destroyed first: a repair is never
// abandoned halfway, only its result is dropped (Qt waits for the global pool on exit).
// Keep it as a plain member of the widget whose slots `done` calls: it dies with that widget.
class BackgroundRunner : public QObject
{
public:
    // What a worker holds on to: post() reaches the owner's thread while the runner lives.
    struct Link
    {
        QMutex mutex;
        BackgroundRunner* target = nullptr;
        template <typename F> void post(F&& f)
        {
            QMutexLocker lock(&mutex);
            if (target)
                QMetaObject::invokeMethod(target, std::forward<F>(f), Qt::QueuedConnection);
        }
    };

    BackgroundRunner() { m_link->target = this; }
    ~BackgroundRunner() override
    {
        QMutexLocker lock(&m_link->mutex);
        m_link->target = nullptr; // events already posted die with this object
    }
    BackgroundRunner(const BackgroundRunner&) = delete;
    BackgroundRunner& operator=(const BackgroundRunner&) = delete;

    int pending() const { return m_pending; }
    const QSharedPointer<Link>& link() const { return m_link; }

    // work() runs on a pool thread; done(result) then runs on this object's thread. Both must be
    // copyable (Qt 6.4's QThreadPool::start takes a std::function).
    template <typename Work, typename Done> void run(Work work, Done done)
    {
        ++m_pending;
        QThreadPool::globalInstance()->start([link = m_link, self = this, work, done]() {
            auto result = work();
            link->post([self, result, done]() {
                --self->m_pending;
                done(result);
            });
        });
    }

private:
    QSharedPointer<Link> m_link = QSharedPointer<Link>::create();
    int m_pending = 0;
};

} // namespace Stateward
