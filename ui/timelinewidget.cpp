// SPDX-License-Identifier: GPL-3.0-or-later
#include "timelinewidget.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>

#include <algorithm>

namespace Stateward {

namespace {

    constexpr int kMargin = 4;
    constexpr int kGlyphGap = 4;

    Glyph jobGlyph(const Job& job)
    {
        if (jobProcessGone(job))
            return Glyph::Warning;
        switch (jobPhase(job.status)) {
        case JobPhase::Active:
            return Glyph::Info;
        case JobPhase::Done:
            return Glyph::Alive;
        case JobPhase::Failed:
            return Glyph::Error;
        case JobPhase::Ended:
        case JobPhase::Other:
            break;
        }
        return Glyph::NoProcess;
    }

    QString durationText(qint64 ms)
    {
        return ageText(qMax<qint64>(0, ms));
    }

    QString clockText(const QDateTime& t)
    {
        return t.isValid() ? t.toLocalTime().toString(QStringLiteral("HH:mm:ss")) : QString();
    }

    QDateTime latestEnd(const TimelineWidget::Track& track)
    {
        return track.spans.isEmpty() ? QDateTime() : track.spans.constLast().end;
    }

    bool isOpen(const TimelineWidget::Track& track)
    {
        return !track.spans.isEmpty() && track.spans.constLast().open;
    }

    // Black or white, whichever reads better on the bar's fill.
    QColor textOn(const QColor& fill)
    {
        const qreal luminance = 0.299 * fill.redF() + 0.587 * fill.greenF() + 0.114 * fill.blueF();
        return luminance > 0.55 ? QColor(Qt::black) : QColor(Qt::white);
    }

} // namespace

TimelineWidget::TimelineWidget(QWidget* parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    m_clock.setInterval(1000);
    connect(&m_clock, &QTimer::timeout, this, [this] {
        prune();
        update();
    });
}

void TimelineWidget::apply(const QList<Snapshot>& snapshots)
{
    QDateTime latest;
    for (const Snapshot& s : snapshots) {
        if (s.scannedAt.isValid() && (!latest.isValid() || s.scannedAt > latest))
            latest = s.scannedAt;
    }
    if (!latest.isValid())
        latest = now();
    const QDateTime windowStart = qMax(latest, now()).addSecs(-60LL * m_windowMinutes);

    for (Track& t : m_tracks)
        t.seen = false;
    for (const Snapshot& s : snapshots) {
        const Origin origin { s.family, s.workspace, s.stateDir };
        const QDateTime seenAt = s.scannedAt.isValid() ? s.scannedAt : latest;
        for (const Job& job : s.jobs)
            applyJob(job, origin, seenAt, windowStart);
        for (const LockHolder& lock : s.locks)
            applyLock(lock, origin, seenAt);
    }
    // Whatever the newest scans no longer show has ended where it was last seen.
    for (Track& t : m_tracks) {
        if (!t.seen && !t.spans.isEmpty())
            t.spans.last().open = false;
    }
    prune();
    update();
}

void TimelineWidget::applyJob(
    const Job& job, const Origin& origin, const QDateTime& seenAt, const QDateTime& windowStart)
{
    const bool running = jobPhase(job.status) == JobPhase::Active && !jobProcessGone(job);
    const auto existing = m_tracks.find(job.id);
    QDateTime start = job.startedAt;
    if (!start.isValid())
        start = existing != m_tracks.end() && !existing->spans.isEmpty() ? existing->spans.first().start : seenAt;
    QDateTime end = running ? seenAt : (job.updatedAt.isValid() ? job.updatedAt : seenAt);
    end = qMax(start, end);
    if (!running && end < windowStart) {
        // Finished before the window: not worth a row (codex keeps 50 old jobs in state.json).
        if (existing != m_tracks.end())
            m_tracks.erase(existing);
        return;
    }

    Span span;
    span.start = start;
    span.end = end;
    span.open = running;
    span.status = job.status;
    span.glyph = jobGlyph(job);
    span.pid = job.pid;
    QStringList detail;
    if (job.pid > 0)
        detail << tr("PID %1 %2").arg(job.pid).arg(nameOf(job.liveness));
    if (jobProcessGone(job))
        detail << tr("'%1' but its process is gone: it will never finish by itself").arg(job.status);
    span.detail = detail.join(QLatin1Char('\n'));

    Track& t = m_tracks[job.id];
    t.kind = Kind::Job;
    t.id = job.id;
    t.label = job.title.isEmpty() ? job.jobId : job.title;
    t.origin = origin;
    t.spans = { span };
    t.seen = true;
}

void TimelineWidget::applyLock(const LockHolder& lock, const Origin& origin, const QDateTime& seenAt)
{
    const LockVerdict& v = lock.verdict;
    const QString holder = QStringLiteral("%1/%2").arg(v.content.pid).arg(v.content.nonce);
    Track& t = m_tracks[lock.id];
    t.kind = Kind::Lock;
    t.id = lock.id;
    t.label = workspacePath(v.path, origin);
    t.origin = origin;
    t.seen = true;

    Span* last = t.spans.isEmpty() ? nullptr : &t.spans.last();
    // Same holder, same verdict, seen in consecutive scans: one hold. A new holder, a change of
    // verdict (its holder died) or a gap starts a new span.
    if (last && last->open && last->holder == holder && last->status == nameOf(v.state)) {
        last->end = qMax(last->end, seenAt);
        last->detail = v.reason;
        return;
    }
    if (last)
        last->open = false;
    Span span;
    span.start = seenAt;
    span.end = seenAt;
    span.open = true;
    span.status = nameOf(v.state);
    span.glyph = glyphFor(v.state);
    span.pid = v.content.pid;
    span.holder = holder;
    span.detail = v.reason;
    t.spans.append(span);
    if (t.spans.size() > kMaxSpansPerTrack)
        t.spans.remove(0, t.spans.size() - kMaxSpansPerTrack);
}

void TimelineWidget::prune()
{
    const QDateTime windowStart = now().addSecs(-60LL * m_windowMinutes);
    for (auto it = m_tracks.begin(); it != m_tracks.end();) {
        QList<Span>& spans = it->spans;
        const auto gone
            = std::remove_if(spans.begin(), spans.end(), [&](const Span& s) { return !s.open && s.end < windowStart; });
        spans.erase(gone, spans.end());
        if (spans.isEmpty())
            it = m_tracks.erase(it);
        else
            ++it;
    }
    if (m_tracks.size() <= kMaxTracks)
        return;
    // Over the cap: keep open tracks and the most recently active ones.
    QList<Track> sorted = sortedTracks();
    std::stable_sort(sorted.begin(), sorted.end(), [](const Track& a, const Track& b) {
        if (isOpen(a) != isOpen(b))
            return isOpen(a);
        return latestEnd(a) > latestEnd(b);
    });
    for (qsizetype i = kMaxTracks; i < sorted.size(); ++i)
        m_tracks.remove(sorted.at(i).id);
}

void TimelineWidget::clear()
{
    m_tracks.clear();
    m_hovered.clear();
    update();
}

void TimelineWidget::setWindowMinutes(int minutes)
{
    minutes = qBound(1, minutes, 24 * 60);
    if (minutes == m_windowMinutes)
        return;
    m_windowMinutes = minutes;
    prune();
    update();
}

QDateTime TimelineWidget::now() const
{
    return m_pinnedNow.isValid() ? m_pinnedNow : QDateTime::currentDateTimeUtc();
}

void TimelineWidget::setNow(const QDateTime& now)
{
    m_pinnedNow = now;
    updateClock();
    prune();
    update();
}

void TimelineWidget::updateClock()
{
    // Ticking only matters while someone can see the right edge move.
    if (!m_pinnedNow.isValid() && isVisible())
        m_clock.start();
    else
        m_clock.stop();
}

QList<TimelineWidget::Track> TimelineWidget::sortedTracks() const
{
    QList<Track> list = m_tracks.values();
    std::sort(list.begin(), list.end(), [](const Track& a, const Track& b) {
        if (a.kind != b.kind)
            return a.kind == Kind::Job;
        if (isOpen(a) != isOpen(b))
            return isOpen(a);
        if (latestEnd(a) != latestEnd(b))
            return latestEnd(a) > latestEnd(b);
        return a.id < b.id;
    });
    return list;
}

QList<TimelineWidget::Track> TimelineWidget::tracks() const
{
    return sortedTracks();
}

TimelineWidget::Layout TimelineWidget::computeLayout() const
{
    Layout l;
    const QFontMetrics fm = fontMetrics();
    l.rowHeight = fm.height() + 6;
    const QRect area = rect().adjusted(kMargin, kMargin, -kMargin, -kMargin);
    const int axisHeight = fm.height() + 8;
    const int labelWidth = qBound(80, area.width() * 3 / 10, 260);
    l.axis = QRect(area.left() + labelWidth + kMargin, area.bottom() - axisHeight + 1,
        area.width() - labelWidth - kMargin, axisHeight);
    l.labels = QRect(area.left(), area.top(), labelWidth, area.height() - axisHeight);
    l.plot = QRect(l.axis.left(), area.top(), l.axis.width(), area.height() - axisHeight);
    l.tracks = sortedTracks();

    const int jobs
        = int(std::count_if(l.tracks.cbegin(), l.tracks.cend(), [](const Track& t) { return t.kind == Kind::Job; }));
    const int locks = int(l.tracks.size()) - jobs;
    const int available = qMax(0, l.plot.height() / l.rowHeight);
    int jobRows = jobs;
    int lockRows = locks;
    if (jobs + locks > available) {
        const int rows = qMax(0, available - 1); // one row for "+N more"
        // Locks keep a third of the rows so a busy job list cannot hide every hold.
        lockRows = qMin(locks, jobs > 0 ? qMax(rows > 1 ? 1 : 0, rows / 3) : rows);
        jobRows = qMin(jobs, rows - lockRows);
        lockRows = qMin(locks, rows - jobRows);
        l.hiddenJobs = jobs - jobRows;
        l.hiddenLocks = locks - lockRows;
        l.hidden = l.hiddenJobs + l.hiddenLocks;
    }
    int y = l.plot.top();
    auto addRows = [&](int first, int count) {
        for (int i = 0; i < count; ++i) {
            l.rows.append(DrawnRow { first + i, QRect(area.left(), y, area.width(), l.rowHeight) });
            y += l.rowHeight;
        }
    };
    addRows(0, jobRows);
    if (jobRows > 0 && lockRows > 0)
        l.separatorY = y;
    addRows(jobs, lockRows);
    if (l.hidden > 0)
        l.moreRect = QRect(area.left(), y, area.width(), l.rowHeight);
    return l;
}

qreal TimelineWidget::xOf(const QDateTime& t, const QRect& plot, const QDateTime& from, const QDateTime& to) const
{
    const qreal span = qMax<qint64>(1, from.msecsTo(to));
    const qreal f = qBound<qreal>(0.0, from.msecsTo(t) / span, 1.0);
    return plot.left() + f * plot.width();
}

QRect TimelineWidget::spanRect(const Span& span, const QRect& row, const QRect& plot) const
{
    const QDateTime to = now();
    const QDateTime from = to.addSecs(-60LL * m_windowMinutes);
    const QDateTime end = span.open ? qMax(span.end, to) : span.end;
    if (end < from || span.start > to)
        return {};
    const int left = int(xOf(span.start, plot, from, to));
    const int right = qMax(left + 3, int(xOf(end, plot, from, to))); // an instant still shows
    return QRect(QPoint(left, row.top() + 2), QPoint(qMin(right, plot.right()), row.bottom() - 2));
}

const TimelineWidget::Span* TimelineWidget::spanAt(
    const Track& track, const QRect& row, const QRect& plot, const QPoint& pos) const
{
    for (auto it = track.spans.crbegin(); it != track.spans.crend(); ++it) {
        if (spanRect(*it, row, plot).adjusted(-2, 0, 2, 0).contains(pos))
            return &*it;
    }
    return nullptr;
}

QString TimelineWidget::idAt(const QPoint& pos) const
{
    const Layout l = computeLayout();
    for (const DrawnRow& r : l.rows) {
        if (r.rect.contains(pos))
            return l.tracks.at(r.track).id;
    }
    return {};
}

QString TimelineWidget::toolTipAt(const QPoint& pos) const
{
    const Layout l = computeLayout();
    for (const DrawnRow& r : l.rows) {
        if (!r.rect.contains(pos))
            continue;
        const Track& t = l.tracks.at(r.track);
        return trackToolTip(t, spanAt(t, r.rect, l.plot, pos));
    }
    if (l.hidden > 0 && l.moreRect.contains(pos))
        return tr("%1 more jobs and %2 more locks in the last %3 minutes; enlarge the timeline to see them")
            .arg(l.hiddenJobs)
            .arg(l.hiddenLocks)
            .arg(m_windowMinutes);
    return {};
}

QString TimelineWidget::trackToolTip(const Track& track, const Span* span) const
{
    QStringList lines { track.label };
    lines << QStringLiteral("%1 \u00b7 %2").arg(nameOf(track.origin.family), track.origin.stateDir);
    auto describe = [&](const Span& s) {
        const QDateTime end = s.open ? qMax(s.end, now()) : s.end;
        QString line;
        if (track.kind == Kind::Job) {
            line = tr("%1: %2 \u2192 %3 (%4)")
                       .arg(s.status, clockText(s.start), s.open ? tr("now") : clockText(end),
                           durationText(s.start.msecsTo(end)));
        } else {
            line = tr("%1 by %2: %3 \u2192 %4 (%5)")
                       .arg(s.status, s.pid > 0 ? tr("PID %1").arg(s.pid) : tr("no PID"), clockText(s.start),
                           s.open ? tr("now") : clockText(end), durationText(s.start.msecsTo(end)));
        }
        lines << line;
        if (!s.detail.isEmpty())
            lines << s.detail;
    };
    if (span) {
        describe(*span);
    } else {
        for (const Span& s : track.spans)
            describe(s);
    }
    return lines.join(QLatin1Char('\n'));
}

QRect TimelineWidget::barRect(const QString& id) const
{
    const Layout l = computeLayout();
    for (const DrawnRow& r : l.rows) {
        const Track& t = l.tracks.at(r.track);
        if (t.id == id && !t.spans.isEmpty())
            return spanRect(t.spans.constLast(), r.rect, l.plot);
    }
    return {};
}

QStringList TimelineWidget::drawnIds() const
{
    const Layout l = computeLayout();
    QStringList ids;
    for (const DrawnRow& r : l.rows)
        ids << l.tracks.at(r.track).id;
    return ids;
}

int TimelineWidget::hiddenCount() const
{
    return computeLayout().hidden;
}

QSize TimelineWidget::sizeHint() const
{
    const QFontMetrics fm = fontMetrics();
    return QSize(fm.averageCharWidth() * 90, (fm.height() + 6) * 8 + fm.height() + 8 + 2 * kMargin);
}

QSize TimelineWidget::minimumSizeHint() const
{
    const QFontMetrics fm = fontMetrics();
    return QSize(fm.averageCharWidth() * 36, (fm.height() + 6) * 3 + fm.height() + 8 + 2 * kMargin);
}

void TimelineWidget::paintEvent(QPaintEvent*)
{
    const Layout l = computeLayout();
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::Text);
    QColor faint = pal.color(QPalette::Text);
    faint.setAlphaF(0.15);
    QColor subdued = pal.color(QPalette::Text);
    subdued.setAlphaF(0.6);

    QPainter p(this);
    p.fillRect(rect(), pal.color(QPalette::Base));
    const QFontMetrics fm = fontMetrics();

    // Time axis: ticks counted back from now, at a step that leaves room for the labels.
    const QDateTime to = now();
    const QDateTime from = to.addSecs(-60LL * m_windowMinutes);
    const qint64 windowSecs = 60LL * m_windowMinutes;
    const int minGap = fm.horizontalAdvance(QStringLiteral("-88 min")) + 12;
    qint64 step = 0;
    for (qint64 candidate : { 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600 }) {
        step = candidate;
        if (l.plot.width() * candidate / qMax<qint64>(1, windowSecs) >= minGap)
            break;
    }
    p.setPen(faint);
    p.drawLine(l.axis.topLeft(), l.axis.topRight());
    int labelLimit = l.axis.right() + 7; // labels go right to left; one that would overlap is skipped
    for (qint64 back = 0; back <= windowSecs; back += step) {
        const int x = int(xOf(to.addSecs(-back), l.plot, from, to));
        p.setPen(faint);
        p.drawLine(x, l.plot.top(), x, l.axis.top() + 3);
        const QString label = back == 0 ? tr("now")
            : back % 60 == 0            ? tr("-%1 min").arg(back / 60)
                                        : tr("-%1 s").arg(back);
        const int w = fm.horizontalAdvance(label);
        const int lx = qBound(l.axis.left(), x - w / 2, l.axis.right() - w);
        if (lx + w + 6 > labelLimit)
            continue;
        labelLimit = lx;
        p.setPen(subdued);
        p.drawText(QRect(lx, l.axis.top() + 4, w, fm.height()), Qt::AlignCenter, label);
    }

    if (l.tracks.isEmpty()) {
        p.setPen(pal.color(QPalette::PlaceholderText));
        p.drawText(l.plot, Qt::AlignCenter | Qt::TextWordWrap,
            tr("No jobs or lock holds in the last %1 minutes").arg(m_windowMinutes));
        return;
    }

    const bool darkBase = pal.color(QPalette::Base).lightness() < 128;
    for (const DrawnRow& r : l.rows) {
        const Track& t = l.tracks.at(r.track);
        if (t.id == m_hovered) {
            QColor hl = pal.color(QPalette::Highlight);
            hl.setAlphaF(0.18);
            p.fillRect(r.rect, hl);
        }
        // Label column: the latest state's glyph, then the name, so the row reads without colour.
        const Glyph glyph = t.spans.isEmpty() ? Glyph::Unknown : t.spans.constLast().glyph;
        const int g = fm.height() - 2;
        paintGlyph(&p, QRectF(l.labels.left(), r.rect.center().y() - g / 2.0, g, g), glyph);
        const QRect labelRect(
            l.labels.left() + g + kGlyphGap, r.rect.top(), l.labels.width() - g - kGlyphGap, r.rect.height());
        p.setPen(text);
        const QString prefix = t.kind == Kind::Lock ? tr("lock ") : QString();
        p.drawText(labelRect, Qt::AlignVCenter | Qt::AlignLeft,
            fm.elidedText(prefix + t.label, Qt::ElideMiddle, labelRect.width()));

        for (const Span& s : t.spans) {
            const QRect bar = spanRect(s, r.rect, l.plot);
            if (bar.isEmpty())
                continue;
            QColor fill = glyphColor(s.glyph);
            if (darkBase)
                fill = fill.darker(115);
            p.setPen(QPen(fill.darker(150), 1));
            p.setBrush(fill);
            p.drawRect(bar.adjusted(0, 0, -1, -1));
            const QString barText = s.pid > 0 ? QStringLiteral("%1 \u00b7 %2").arg(s.status).arg(s.pid) : s.status;
            if (bar.width() > fm.horizontalAdvance(QStringLiteral("xxxx"))) {
                p.setPen(textOn(fill));
                p.drawText(bar.adjusted(3, 0, -3, 0), Qt::AlignVCenter | Qt::AlignLeft,
                    fm.elidedText(barText, Qt::ElideRight, bar.width() - 6));
            }
        }
    }
    if (l.separatorY >= 0) {
        p.setPen(faint);
        p.drawLine(l.labels.left(), l.separatorY, l.plot.right(), l.separatorY);
    }
    if (l.hidden > 0) {
        p.setPen(subdued);
        p.drawText(l.moreRect, Qt::AlignVCenter | Qt::AlignLeft, tr("+%1 more").arg(l.hidden));
    }
}

bool TimelineWidget::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QString tip = toolTipAt(help->pos());
        if (tip.isEmpty()) {
            QToolTip::hideText();
            event->ignore();
        } else {
            QToolTip::showText(help->globalPos(), tip, this);
        }
        return true;
    }
    return QWidget::event(event);
}

void TimelineWidget::mouseMoveEvent(QMouseEvent* event)
{
    const QString id = idAt(event->position().toPoint());
    if (id != m_hovered) {
        m_hovered = id;
        update();
    }
    QWidget::mouseMoveEvent(event);
}

void TimelineWidget::mousePressEvent(QMouseEvent* event)
{
    if (event->button() == Qt::LeftButton) {
        if (const QString id = idAt(event->position().toPoint()); !id.isEmpty())
            Q_EMIT itemClicked(id);
    }
    QWidget::mousePressEvent(event);
}

void TimelineWidget::leaveEvent(QEvent* event)
{
    if (!m_hovered.isEmpty()) {
        m_hovered.clear();
        update();
    }
    QWidget::leaveEvent(event);
}

void TimelineWidget::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    updateClock();
}

void TimelineWidget::hideEvent(QHideEvent* event)
{
    QWidget::hideEvent(event);
    updateClock();
}

} // namespace Stateward
