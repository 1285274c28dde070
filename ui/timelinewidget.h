// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "models/rows.h"
#include "models/statusglyphs.h"
#include "snapshot/snapshot.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QTimer>
#include <QWidget>

namespace Stateward {

// Job lifetimes and lock holds over the last few minutes, custom painted: one row per job (a bar
// from its start to its last update, or to now while it runs) and one row per lock file (a bar
// per hold, from the scan that first saw a holder to the last one that still saw it). The history
// is fed by apply() with every current snapshot; it is bounded by the time window and a cap on
// tracks, and rows that do not fit are summed up in a "+N more" line.
class TimelineWidget : public QWidget
{
    Q_OBJECT
public:
    enum class Kind
    {
        Job,
        Lock
    };
    struct Span
    {
        QDateTime start;
        QDateTime end; // last seen (locks), last update (finished jobs)
        bool open = false; // still running or held at the last apply(): drawn up to now
        QString status; // as the tool writes it (jobs), the verdict (locks)
        Glyph glyph = Glyph::Unknown;
        qint64 pid = -1;
        QString holder; // locks: PID + nonce, so a new holder starts a new span
        QString detail; // extra tooltip lines
    };
    struct Track
    {
        Kind kind = Kind::Job;
        QString id; // the Job's or LockHolder's stable id
        QString label;
        Origin origin;
        QList<Span> spans; // in time order
        bool seen = false; // present in the last apply()
    };

    explicit TimelineWidget(QWidget* parent = nullptr);

    void apply(const QList<Snapshot>& snapshots);
    void clear();

    int windowMinutes() const { return m_windowMinutes; }
    void setWindowMinutes(int minutes);
    // The right edge. Follows the wall clock unless pinned (an invalid time unpins).
    QDateTime now() const;
    void setNow(const QDateTime& now);

    // What is kept and what is drawn, for the detail pane and tests.
    QList<Track> tracks() const; // in drawing order: jobs, then locks, most recent first
    QStringList drawnIds() const;
    int hiddenCount() const; // tracks that did not fit ("+N more")

    // Hit testing in widget coordinates: the id of the track drawn at pos (empty when none),
    // and the tooltip shown there. barRect: where a track's latest span is drawn.
    QString idAt(const QPoint& pos) const;
    QString toolTipAt(const QPoint& pos) const;
    QRect barRect(const QString& id) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

    static constexpr int kMaxTracks = 500;
    static constexpr int kMaxSpansPerTrack = 64;

Q_SIGNALS:
    void itemClicked(const QString& id);

protected:
    bool event(QEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void leaveEvent(QEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;

private:
    struct DrawnRow
    {
        int track = -1; // index into the sorted tracks
        QRect rect; // the whole row
    };
    struct Layout
    {
        QRect labels;
        QRect plot;
        QRect axis;
        int rowHeight = 0;
        QList<Track> tracks; // sorted
        QList<DrawnRow> rows;
        int hidden = 0;
        int hiddenJobs = 0;
        int hiddenLocks = 0;
        QRect moreRect;
        int separatorY = -1; // between the job rows and the lock rows
    };

    Layout computeLayout() const;
    QList<Track> sortedTracks() const;
    qreal xOf(const QDateTime& t, const QRect& plot, const QDateTime& from, const QDateTime& to) const;
    QRect spanRect(const Span& span, const QRect& row, const QRect& plot) const;
    const Span* spanAt(const Track& track, const QRect& row, const QRect& plot, const QPoint& pos) const;
    QString trackToolTip(const Track& track, const Span* span) const;
    void applyJob(const Job& job, const Origin& origin, const QDateTime& seenAt, const QDateTime& windowStart);
    void applyLock(const LockHolder& lock, const Origin& origin, const QDateTime& seenAt);
    void prune();
    void updateClock();

    QHash<QString, Track> m_tracks;
    int m_windowMinutes = 10;
    QDateTime m_pinnedNow;
    QString m_hovered;
    QTimer m_clock;
};

} // namespace Stateward
