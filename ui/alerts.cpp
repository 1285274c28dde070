// SPDX-License-Identifier: GPL-3.0-or-later
#include "alerts.h"

#include "problem/problem.h"

#include <QApplication>
#include <QFrame>
#include <QGuiApplication>
#include <QLabel>
#include <QMouseEvent>
#include <QPointer>
#include <QScreen>
#include <QSystemTrayIcon>
#include <QTimer>
#include <QVBoxLayout>

namespace Stateward {

Herald::Herald(Notifier* notifier, Clock clock)
    : m_notifier(notifier)
    , m_clock(std::move(clock))
{ }

void Herald::update(const QList<Alert>& alerts, bool unseen)
{
    m_current = alerts;
    QSet<QString> now;
    for (const Alert& a : alerts) {
        now.insert(a.id);
        // Seen while the window is shown, it is no news later; while hidden, it is news once.
        if (m_known.contains(a.id) || m_announced.contains(a.id))
            continue;
        if (unseen)
            m_pending.append(a);
        else
            m_announced.insert(a.id);
    }
    m_known = now;
    // A problem gone before its turn came is not announced.
    m_pending.removeIf([&now](const Alert& a) { return !now.contains(a.id); });
    flush();
}

qint64 Herald::flush()
{
    if (m_pending.isEmpty())
        return 0;
    const QDateTime now = m_clock();
    if (m_lastSent.isValid()) {
        const qint64 left = kIntervalMs - m_lastSent.msecsTo(now);
        if (left > 0)
            return left;
    }
    std::stable_sort(
        m_pending.begin(), m_pending.end(), [](const Alert& a, const Alert& b) { return a.rank > b.rank; });
    Notification n;
    n.rank = m_pending.first().rank;
    QStringList lines;
    for (const Alert& a : std::as_const(m_pending)) {
        n.ids.append(a.id);
        m_announced.insert(a.id);
        if (lines.size() < 3)
            lines.append(a.title);
    }
    if (m_pending.size() > lines.size())
        lines.append(QObject::tr("and %1 more").arg(m_pending.size() - lines.size()));
    n.title = m_pending.size() == 1
        ? QObject::tr("Stateward: a new problem")
        : QObject::tr("Stateward: %1")
              .arg(counted(m_pending.size(), QObject::tr("new problem"), QObject::tr("new problems")));
    n.body = lines.join(QLatin1Char('\n'));
    m_pending.clear();
    m_lastSent = now;
    if (m_notifier)
        m_notifier->notify(n);
    return 0;
}

QString titleWithCount(const QString& application, int problems)
{
    if (problems <= 0)
        return application;
    // The count first, where a task bar cuts a title short; the platform adds nothing after a
    // title that already ends with the application's name.
    return QObject::tr("%1 — %2").arg(counted(problems, QObject::tr("problem"), QObject::tr("problems")), application);
}

namespace {

    constexpr int kPopupMs = 10000;

    class Popup : public QFrame
    {
    public:
        Popup(const Notification& n, QWidget* window)
            : QFrame(nullptr, Qt::ToolTip | Qt::FramelessWindowHint | Qt::WindowStaysOnTopHint)
            , m_window(window)
        {
            setObjectName(QStringLiteral("notificationPopup"));
            setAttribute(Qt::WA_DeleteOnClose);
            setAttribute(Qt::WA_ShowWithoutActivating);
            setFrameShape(QFrame::Box);
            setAutoFillBackground(true);
            auto* layout = new QVBoxLayout(this);
            auto* title = new QLabel(QStringLiteral("<b>%1</b>").arg(n.title.toHtmlEscaped()));
            auto* body = new QLabel(n.body);
            body->setWordWrap(true);
            auto* hint = new QLabel(QObject::tr("Click to open Stateward"));
            hint->setEnabled(false);
            layout->addWidget(title);
            layout->addWidget(body);
            layout->addWidget(hint);
            setFixedWidth(qMin(420, screenRect().width() - 24));
            adjustSize();
            const QRect area = screenRect();
            move(area.right() - width() - 12, area.top() + 12);
            QTimer::singleShot(kPopupMs, this, &QWidget::close);
        }

    protected:
        void mousePressEvent(QMouseEvent*) override
        {
            if (m_window) {
                m_window->showNormal();
                m_window->raise();
                m_window->activateWindow();
            }
            close();
        }

    private:
        QRect screenRect() const
        {
            const QScreen* s = m_window && m_window->screen() ? m_window->screen() : QGuiApplication::primaryScreen();
            return s ? s->availableGeometry() : QRect(0, 0, 800, 600);
        }
        QPointer<QWidget> m_window;
    };

    QPointer<QWidget> g_lastPopup;

} // namespace

void DesktopNotifier::notify(const Notification& notification)
{
    if (m_tray && m_tray->isVisible()) {
        m_tray->showMessage(notification.title, notification.body, m_tray->icon(), kPopupMs);
        return;
    }
    if (g_lastPopup)
        g_lastPopup->close();
    auto* popup = new Popup(notification, m_window);
    g_lastPopup = popup;
    popup->show();
}

QWidget* DesktopNotifier::lastPopup()
{
    return g_lastPopup;
}

} // namespace Stateward
