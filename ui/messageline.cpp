// SPDX-License-Identifier: GPL-3.0-or-later
#include "messageline.h"

#include <QHBoxLayout>
#include <QLabel>

namespace Stateward {

MessageLine::MessageLine(QWidget* parent)
    : QWidget(parent)
    , m_icon(new QLabel)
    , m_text(new QLabel)
{
    m_icon->setObjectName(QStringLiteral("messageIcon"));
    m_text->setObjectName(QStringLiteral("message"));
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_icon, 0, Qt::AlignTop);
    row->addWidget(m_text, 1);
}

void MessageLine::setMessage(const QString& text, QStyle::StandardPixmap icon)
{
    const int size = style()->pixelMetric(QStyle::PM_SmallIconSize);
    m_icon->setPixmap(text.isEmpty() ? QPixmap() : style()->standardIcon(icon).pixmap(size, size));
    m_text->setText(text);
}

QString MessageLine::text() const
{
    return m_text->text();
}

} // namespace Stateward
