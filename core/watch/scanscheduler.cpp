// SPDX-License-Identifier: GPL-3.0-or-later
#include "scanscheduler.h"

#include "logging.h"

#include <algorithm>
#include <limits>

namespace Stateward {

ScanScheduler::ScanScheduler(const QString& workspace, Start start, int debounceMs, int maxDelayMs)
    : m_workspace(workspace)
    , m_start(std::move(start))
    , m_debounceMs(std::max(0, debounceMs))
    , m_maxDelayMs(std::max(0, maxDelayMs))
{
    m_elapsed.start();
    m_clock = [this] { return m_elapsed.elapsed(); };
    m_debounceTimer.setSingleShot(true);
    QObject::connect(&m_debounceTimer, &QTimer::timeout, &m_debounceTimer, [this] { onDebounce(); });
}

ScanScheduler::~ScanScheduler()
{
    cancel();
}

void ScanScheduler::cancel()
{
    m_cancelled = true;
    m_deliverable->store(std::numeric_limits<quint64>::max()); // stops at the next state dir
    m_changes.clear();
    m_lastChangeMs.clear();
    m_debounceTimer.stop();
}

void ScanScheduler::setClock(Clock clock)
{
    m_clock = std::move(clock);
    armDebounce();
}

void ScanScheduler::setDebounce(int ms)
{
    m_debounceMs = std::max(0, ms);
    armDebounce();
}

void ScanScheduler::setMaxDelay(int ms)
{
    m_maxDelayMs = std::max(0, ms);
    armDebounce();
}

void ScanScheduler::noteChange(const QString& stateDir, const QString& path, bool named)
{
    noteChanges(stateDir, { path }, named);
}

void ScanScheduler::noteChanges(const QString& stateDir, const QSet<QString>& paths, bool named)
{
    if (m_cancelled || paths.isEmpty())
        return;
    const qint64 now = this->now();
    const auto last = m_lastChangeMs.find(stateDir);
    const bool quiet = last == m_lastChangeMs.end() || now - *last >= m_debounceMs;
    if (last == m_lastChangeMs.end())
        m_lastChangeMs.insert(stateDir, now);
    else
        *last = now;
    if (m_leadingEdge && quiet && !m_changes.contains(stateDir)) {
        // The leading edge: nothing to merge it with yet. What follows within the debounce
        // waits for the trailing scan.
        qCDebug(lcScan) << m_workspace << "leading edge:" << (stateDir.isEmpty() ? *paths.cbegin() : stateDir);
        request(specOf(stateDir, paths, named));
        return;
    }
    const auto it = m_changes.find(stateDir);
    PendingChange& c = it != m_changes.end() ? *it : *m_changes.insert(stateDir, PendingChange { {}, true, now, now });
    for (auto p = paths.cbegin();
         !stateDir.isEmpty() && p != paths.cend() && c.paths.size() <= TreeFingerprint::kMaxChangedPaths; ++p)
        c.paths.insert(*p);
    c.named = c.named && named;
    c.lastMs = now;
    armDebounce();
}

ScanSpec ScanScheduler::specOf(const QString& stateDir, const QSet<QString>& paths, bool named)
{
    ScanSpec spec;
    if (stateDir.isEmpty()) {
        spec.reason = QStringLiteral("directories changed");
    } else {
        spec.reason = QStringLiteral("files changed");
        spec.dirty.insert(stateDir);
        spec.changedPaths = paths;
        spec.everyChangeNamed = named;
    }
    return spec;
}

void ScanScheduler::armDebounce()
{
    if (m_changes.isEmpty()) {
        m_debounceTimer.stop();
        return;
    }
    qint64 next = std::numeric_limits<qint64>::max();
    for (const PendingChange& c : std::as_const(m_changes))
        next = std::min(next, std::min(c.lastMs + m_debounceMs, c.firstMs + m_maxDelayMs));
    m_debounceTimer.start(int(std::clamp<qint64>(next - now(), 0, std::numeric_limits<int>::max())));
}

void ScanScheduler::onDebounce()
{
    const qint64 now = this->now();
    ScanSpec due;
    bool any = false;
    for (auto it = m_changes.begin(); it != m_changes.end();) {
        if (std::min(it->lastMs + m_debounceMs, it->firstMs + m_maxDelayMs) > now) {
            ++it;
            continue;
        }
        due.merge(specOf(it.key(), it->paths, it->named)); // a default spec is neutral (ScanSpec::merge)
        any = true;
        it = m_changes.erase(it);
    }
    armDebounce();
    if (any)
        request(due);
}

void ScanScheduler::enqueue(const ScanSpec& spec, qint64 since)
{
    if (m_hasPending) {
        m_pending.merge(spec);
        m_pendingSince = std::min(m_pendingSince, since);
    } else {
        m_pending = spec;
        m_pendingSince = since;
        m_hasPending = true;
    }
}

void ScanScheduler::request(const ScanSpec& spec)
{
    const qint64 now = this->now();
    ++m_requested;
    enqueue(spec, now);
    if (!m_running) {
        start();
        return;
    }
    // A request that only re-asks the adapters for state dirs waits its turn, and so does every
    // request while a scan after events runs: that scan re-judges only what changed, so letting it
    // deliver costs less than starting over (its spec would be merged into the next one).
    if (spec.needsParse() && (m_runningSpec.parseAll || m_runningSpec.backstop)
        && now - m_runningSince < m_maxDelayMs) {
        qCDebug(lcScan) << m_workspace << "generation" << m_requested << "supersedes the running scan:" << spec.reason;
        m_deliverable->store(m_requested);
    }
}

void ScanScheduler::start()
{
    if (m_cancelled)
        return;
    ScanJob job;
    job.generation = m_requested;
    job.spec = m_pending;
    job.superseded
        = [deliverable = m_deliverable, generation = job.generation] { return deliverable->load() != generation; };
    m_running = true;
    m_runningSpec = m_pending;
    m_runningSince = m_pendingSince;
    m_hasPending = false;
    m_pending = {};
    m_deliverable->store(job.generation);
    qCDebug(lcScan) << m_workspace << "scan" << job.generation << "starts:" << job.spec.reason;
    m_start(job);
}

bool ScanScheduler::finish(const ScanResult& result)
{
    m_running = false;
    if (result.superseded || result.generation != m_deliverable->load()) {
        qCDebug(lcScan) << m_workspace << "scan" << result.generation << "dropped as superseded after"
                        << result.elapsedMs << "ms";
        enqueue(m_runningSpec, m_runningSince); // the next scan, already newer, looks at it too
        start();
        return false;
    }
    m_delivered = result.generation;
    qCDebug(lcScan) << m_workspace << "scan" << result.generation << "delivered:" << result.parsed.size() << "parsed,"
                    << result.reused.size() << "reused in" << result.elapsedMs << "ms";
    return true;
}

void ScanScheduler::startPending()
{
    if (m_hasPending && !m_running)
        start();
}

} // namespace Stateward
