// SPDX-License-Identifier: GPL-3.0-or-later
#include "statusglyphs.h"

#include <QHash>
#include <QIconEngine>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>
#include <QPixmapCache>

#include <cmath>

namespace Stateward {

namespace {

    class GlyphIconEngine : public QIconEngine
    {
    public:
        explicit GlyphIconEngine(Glyph glyph)
            : m_glyph(glyph)
        { }

        void paint(QPainter* painter, const QRect& rect, QIcon::Mode mode, QIcon::State) override
        {
            paintGlyph(painter, QRectF(rect), m_glyph, mode == QIcon::Disabled);
        }

        QPixmap pixmap(const QSize& size, QIcon::Mode mode, QIcon::State state) override
        {
            return scaledPixmap(size, mode, state, 1.0);
        }

        QPixmap scaledPixmap(const QSize& size, QIcon::Mode mode, QIcon::State, qreal scale) override
        {
            const QSize device = (QSizeF(size) * scale).toSize();
            const QString key = QStringLiteral("stateward-glyph-%1-%2x%3-%4")
                                    .arg(int(m_glyph))
                                    .arg(device.width())
                                    .arg(device.height())
                                    .arg(mode == QIcon::Disabled ? 1 : 0);
            QPixmap pm;
            if (QPixmapCache::find(key, &pm))
                return pm;
            pm = QPixmap(device);
            pm.fill(Qt::transparent);
            {
                QPainter p(&pm);
                paintGlyph(&p, QRectF(QPointF(0, 0), QSizeF(device)), m_glyph, mode == QIcon::Disabled);
            }
            pm.setDevicePixelRatio(scale);
            QPixmapCache::insert(key, pm);
            return pm;
        }

        QSize actualSize(const QSize& size, QIcon::Mode, QIcon::State) override { return size; }
        QIconEngine* clone() const override { return new GlyphIconEngine(m_glyph); }
        QString key() const override { return QStringLiteral("stateward-glyph"); }

    private:
        Glyph m_glyph;
    };

    QPolygonF regularPolygon(const QPointF& centre, qreal radius, int corners, qreal startDegrees)
    {
        QPolygonF poly;
        for (int i = 0; i < corners; ++i) {
            const qreal a = (startDegrees + 360.0 * i / corners) * M_PI / 180.0;
            poly << centre + QPointF(radius * std::cos(a), radius * std::sin(a));
        }
        return poly;
    }

} // namespace

Glyph glyphFor(qint64 pid, Liveness liveness)
{
    if (pid <= 0)
        return Glyph::NoProcess;
    switch (liveness) {
    case Liveness::Alive:
        return Glyph::Alive;
    case Liveness::Zombie:
        return Glyph::Zombie;
    case Liveness::Dead:
        return Glyph::Dead;
    case Liveness::Invalid:
        break;
    }
    return Glyph::Unknown;
}

Glyph glyphFor(Severity severity)
{
    switch (severity) {
    case Severity::Info:
        return Glyph::Info;
    case Severity::Warning:
        return Glyph::Warning;
    case Severity::Error:
        return Glyph::Error;
    case Severity::Critical:
        return Glyph::Critical;
    }
    return Glyph::Unknown;
}

Glyph glyphFor(LockState state)
{
    switch (state) {
    case LockState::Held:
        return Glyph::Alive;
    case LockState::Stale:
        return Glyph::Warning;
    case LockState::Suspect:
        return Glyph::Suspect;
    case LockState::Unknown:
        break;
    }
    return Glyph::Unknown;
}

QColor glyphColor(Glyph glyph)
{
    // Mid-lightness hues with a darker outline when painted: legible on light and dark bases.
    switch (glyph) {
    case Glyph::Alive:
        return QColor(0x2e, 0x9d, 0x3e);
    case Glyph::Zombie:
        return QColor(0xe0, 0x7b, 0x00);
    case Glyph::Dead:
    case Glyph::Error:
        return QColor(0xd3, 0x2f, 0x2f);
    case Glyph::NoProcess:
    case Glyph::Unknown:
        return QColor(0x8a, 0x8a, 0x8a);
    case Glyph::Info:
        return QColor(0x1e, 0x88, 0xe5);
    case Glyph::Warning:
    case Glyph::Suspect:
        return QColor(0xf0, 0xa0, 0x00);
    case Glyph::Critical:
        return QColor(0x9a, 0x00, 0x1a);
    }
    return QColor(0x8a, 0x8a, 0x8a);
}

void paintGlyph(QPainter* painter, const QRectF& rect, Glyph glyph, bool disabled)
{
    const qreal side = qMin(rect.width(), rect.height());
    const qreal margin = qMax<qreal>(1.0, side * 0.1);
    const QRectF box(
        rect.center() - QPointF(side / 2 - margin, side / 2 - margin), QSizeF(side - 2 * margin, side - 2 * margin));
    const QPointF c = box.center();
    const qreal r = box.width() / 2;
    QColor fill = glyphColor(glyph);
    if (disabled)
        fill.setAlphaF(0.4);
    const QColor outline = fill.darker(170);
    const qreal pen = qMax<qreal>(1.0, side / 12);

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(QPen(outline, pen));
    painter->setBrush(fill);
    switch (glyph) {
    case Glyph::Alive:
        painter->drawEllipse(c, r, r);
        break;
    case Glyph::Zombie: {
        painter->setBrush(Qt::NoBrush);
        painter->drawEllipse(c, r, r);
        QPainterPath half;
        half.moveTo(c);
        half.arcTo(QRectF(c - QPointF(r, r), QSizeF(2 * r, 2 * r)), 90, 180);
        half.closeSubpath();
        painter->fillPath(half, fill);
        break;
    }
    case Glyph::Dead: {
        painter->setPen(QPen(fill, qMax<qreal>(2.0, side / 5), Qt::SolidLine, Qt::RoundCap));
        const qreal d = r * 0.8;
        painter->drawLine(c + QPointF(-d, -d), c + QPointF(d, d));
        painter->drawLine(c + QPointF(-d, d), c + QPointF(d, -d));
        break;
    }
    case Glyph::NoProcess:
        painter->setPen(QPen(fill, qMax<qreal>(1.5, side / 8)));
        painter->setBrush(Qt::NoBrush);
        painter->drawEllipse(c, r * 0.85, r * 0.85);
        break;
    case Glyph::Info:
        painter->setPen(QPen(fill, qMax<qreal>(1.5, side / 7)));
        painter->setBrush(Qt::NoBrush);
        painter->drawEllipse(c, r * 0.85, r * 0.85);
        painter->setPen(Qt::NoPen);
        painter->setBrush(fill);
        painter->drawEllipse(c, r * 0.3, r * 0.3);
        break;
    case Glyph::Warning: {
        const QPolygonF tri { QPointF(c.x(), box.top()), box.bottomRight(), box.bottomLeft() };
        painter->drawPolygon(tri);
        painter->setPen(QPen(outline.darker(130), qMax<qreal>(1.0, side / 9), Qt::SolidLine, Qt::RoundCap));
        painter->drawLine(QPointF(c.x(), box.top() + r * 0.7), QPointF(c.x(), box.bottom() - r * 0.6));
        break;
    }
    case Glyph::Error:
        painter->drawRect(box.adjusted(r * 0.1, r * 0.1, -r * 0.1, -r * 0.1));
        break;
    case Glyph::Critical: {
        // An octagon with a bar cut out ("no entry"): at 16 px a plain octagon reads as a disc.
        QPainterPath sign;
        sign.setFillRule(Qt::OddEvenFill);
        sign.addPolygon(regularPolygon(c, r, 8, 22.5));
        sign.closeSubpath();
        sign.addRect(QRectF(c.x() - r * 0.65, c.y() - r * 0.25, r * 1.3, r * 0.5));
        painter->setPen(Qt::NoPen); // an outline would fill the cut again at small sizes
        painter->drawPath(sign);
        break;
    }
    case Glyph::Suspect:
    case Glyph::Unknown:
        painter->setPen(QPen(fill, qMax<qreal>(1.5, side / 8)));
        painter->setBrush(Qt::NoBrush);
        painter->drawPolygon(regularPolygon(c, r * 0.9, 4, -90));
        if (glyph == Glyph::Suspect) { // a dot: "look at this", unlike the empty unknown
            painter->setPen(Qt::NoPen);
            painter->setBrush(fill);
            painter->drawEllipse(c, r * 0.28, r * 0.28);
        }
        break;
    }
    painter->restore();
}

QIcon glyphIcon(Glyph glyph)
{
    // The engine holds no pixmap, so keeping these icons for the process lifetime is harmless.
    static QHash<int, QIcon> icons;
    auto it = icons.find(int(glyph));
    if (it == icons.end())
        it = icons.insert(int(glyph), QIcon(new GlyphIconEngine(glyph)));
    return *it;
}

} // namespace Stateward
