// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStyle>
#include <QWidget>

class QLabel;

namespace Stateward {

// A dialog's one-line outcome: a small standard icon beside wrapping, selectable text (the
// labels are named "messageIcon" and "message" for tests and accessibility tools).
class MessageLine : public QWidget
{
    Q_OBJECT

public:
    explicit MessageLine(QWidget* parent = nullptr);
    void setMessage(const QString& text, QStyle::StandardPixmap icon); // no icon with no text
    QString text() const;

private:
    QLabel* m_icon;
    QLabel* m_text;
};

} // namespace Stateward
