// SPDX-License-Identifier: GPL-3.0-or-later
#include "theme.h"

#include <QApplication>
#include <QPainter>
#include <QPalette>
#include <QProxyStyle>
#include <QSettings>
#include <QStyle>
#include <QStyleFactory>
#include <QStyleOption>

namespace Stateward {

namespace {

    constexpr QLatin1String kColorSchemeKey("appearance/colors");

    QPalette darkPalette()
    {
        const QColor window(0x2b, 0x2d, 0x30), base(0x1f, 0x21, 0x23), text(0xe6, 0xe6, 0xe6);
        const QColor disabled(0x80, 0x80, 0x80), highlight(0x3d, 0x7a, 0xd6);
        QPalette p;
        p.setColor(QPalette::Window, window);
        p.setColor(QPalette::WindowText, text);
        p.setColor(QPalette::Base, base);
        p.setColor(QPalette::AlternateBase, QColor(0x27, 0x29, 0x2c));
        p.setColor(QPalette::ToolTipBase, QColor(0x3a, 0x3d, 0x41));
        p.setColor(QPalette::ToolTipText, text);
        p.setColor(QPalette::PlaceholderText, disabled);
        p.setColor(QPalette::Text, text);
        p.setColor(QPalette::Button, window);
        p.setColor(QPalette::ButtonText, text);
        p.setColor(QPalette::BrightText, QColor(0xff, 0x6b, 0x6b));
        p.setColor(QPalette::Light, QColor(0x45, 0x48, 0x4c));
        p.setColor(QPalette::Midlight, QColor(0x3a, 0x3d, 0x41));
        p.setColor(QPalette::Mid, QColor(0x24, 0x26, 0x28));
        p.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1b));
        p.setColor(QPalette::Shadow, Qt::black);
        p.setColor(QPalette::Highlight, highlight);
        p.setColor(QPalette::HighlightedText, Qt::white);
        p.setColor(QPalette::Link, QColor(0x6c, 0xa8, 0xff));
        p.setColor(QPalette::LinkVisited, QColor(0xb0, 0x8c, 0xff));
        for (QPalette::ColorRole role : { QPalette::WindowText, QPalette::Text, QPalette::ButtonText })
            p.setColor(QPalette::Disabled, role, disabled);
        p.setColor(QPalette::Disabled, QPalette::Highlight, QColor(0x50, 0x50, 0x50));
        return p;
    }

    // Fusion outlines a check box in the window colour darkened, which on a dark base is the base
    // itself: an unchecked box in a table vanished. This draws Fusion's box, then an outline in a
    // colour between base and text, so every state shows a box.
    class OutlinedIndicators : public QProxyStyle
    {
    public:
        using QProxyStyle::QProxyStyle;
        void drawPrimitive(PrimitiveElement element, const QStyleOption* option, QPainter* painter,
            const QWidget* widget) const override
        {
            QProxyStyle::drawPrimitive(element, option, painter, widget);
            if (element != PE_IndicatorCheckBox && element != PE_IndicatorItemViewItemCheck)
                return;
            const QColor base = option->palette.color(QPalette::Base);
            const QColor text = option->palette.color(QPalette::Text);
            const QColor edge = QColor::fromRgbF((base.redF() + text.redF()) / 2, (base.greenF() + text.greenF()) / 2,
                (base.blueF() + text.blueF()) / 2);
            QRect box = option->rect;
            if (element == PE_IndicatorItemViewItemCheck) { // Fusion draws it as a box of the indicator's size
                const int side = qMin(box.width(), box.height());
                box = QRect(box.x() + (box.width() - side) / 2, box.y() + (box.height() - side) / 2, side, side);
            }
            painter->save();
            painter->setRenderHint(QPainter::Antialiasing, false);
            painter->setBrush(Qt::NoBrush);
            painter->setPen(edge);
            painter->drawRect(box.adjusted(0, 0, -1, -1));
            painter->restore();
        }
    };

} // namespace

const QStringList& colorSchemes()
{
    static const QStringList names { QStringLiteral("system"), QStringLiteral("light"), QStringLiteral("dark") };
    return names;
}

QString savedColorScheme()
{
    return QSettings().value(kColorSchemeKey, QStringLiteral("system")).toString();
}

void saveColorScheme(const QString& name)
{
    QSettings().setValue(kColorSchemeKey, name);
}

bool applyColorScheme(const QString& name)
{
    static const QString platformStyle = QApplication::style()->name();
    if (name == QLatin1String("system")) {
        QApplication::setStyle(QStyleFactory::create(platformStyle));
        QApplication::setPalette(QApplication::style()->standardPalette());
    } else if (name == QLatin1String("light")) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QApplication::setPalette(QApplication::style()->standardPalette());
    } else if (name == QLatin1String("dark")) {
        QApplication::setStyle(new OutlinedIndicators(QStyleFactory::create(QStringLiteral("Fusion"))));
        QApplication::setPalette(darkPalette());
    } else {
        return false;
    }
    return true;
}

} // namespace Stateward
