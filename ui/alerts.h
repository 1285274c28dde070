// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QSet>
#include <QString>

#include <functional>

class QSystemTrayIcon;
class QWidget;

namespace Stateward {

// One thing wrong, as the tray, the title and a notification speak of it: a stable id (the same
// problem keeps its id across scans), how grave it is (higher is worse) and a line in words.
struct Alert
{
    QString id;
    int rank = 0;
    QString title;
    friend bool operator==(const Alert&, const Alert&) = default;
};

struct Notification
{
    QStringList ids; // the problems it announces
    int rank = 0; // the worst of them
    QString title;
    QString body;
};

// Where a notification goes: the tray's balloon, a popup of our own where there is no tray, or a
// recording one in the tests.
class Notifier
{
public:
    virtual ~Notifier() = default;
    virtual void notify(const Notification& notification) = 0;
};

// Decides when to speak up: a problem seen for the first time while the window is hidden or
// minimised is announced once (its id is never announced again this session), and at most one
// notification goes out per interval; problems that appear within it are announced together when
// it is over (flush()). The clock is injected so tests do not wait.
class Herald
{
public:
    using Clock = std::function<QDateTime()>;
    static constexpr qint64 kIntervalMs = 60 * 1000;

    explicit Herald(Notifier* notifier, Clock clock = &QDateTime::currentDateTimeUtc);

    void setNotifier(Notifier* notifier) { m_notifier = notifier; }
    // The current problems, every scan; `unseen`: the window is hidden or minimised.
    void update(const QList<Alert>& alerts, bool unseen);
    // Sends what waited for the interval, if it is over; the milliseconds left otherwise (0: nothing waits).
    qint64 flush();
    // Whether anything waits for the interval to pass.
    bool hasPending() const { return !m_pending.isEmpty(); }
    const QList<Alert>& current() const { return m_current; }

private:
    Notifier* m_notifier;
    Clock m_clock;
    QList<Alert> m_current;
    QSet<QString> m_known; // present at the last update: not new
    QSet<QString> m_announced; // announced once: never again this session
    QList<Alert> m_pending;
    QDateTime m_lastSent;
};

// "Stateward — 3 problems", or "Stateward" when nothing is wrong.
QString titleWithCount(const QString& application, int problems);

// The desktop's way to speak: the tray icon's balloon while there is a tray icon, else (a desktop
// without a tray) a small window of our own in the screen's top-right corner that closes by itself
// after a while, or on a click, which shows the main window.
class DesktopNotifier : public Notifier
{
public:
    explicit DesktopNotifier(QWidget* window)
        : m_window(window)
    { }
    void setTray(QSystemTrayIcon* tray) { m_tray = tray; }
    void notify(const Notification& notification) override;
    // The popup shown last, while it is open (nullptr otherwise).
    static QWidget* lastPopup();

private:
    QWidget* m_window;
    QSystemTrayIcon* m_tray = nullptr;
};

} // namespace Stateward
