// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lock/lockjudge.h"
#include "snapshot/snapshot.h"

#include <QColor>
#include <QIcon>

class QPainter;
class QRectF;

namespace Stateward {

// Small painted status marks. Each differs in shape as well as colour, and the models always put
// text next to them, so nothing is told by colour alone.
enum class Glyph
{
    Alive, // filled circle, green
    Zombie, // half-filled circle, orange
    Dead, // cross, red
    NoProcess, // hollow circle, grey
    Info, // ring with a centre dot, blue
    Warning, // triangle, amber
    Error, // square, red
    Critical, // octagon with a bar cut out, dark red
    Suspect, // hollow diamond with a centre dot, amber
    Unknown, // hollow diamond, grey
};

Glyph glyphFor(qint64 pid, Liveness liveness);
Glyph glyphFor(Severity severity);
Glyph glyphFor(LockState state);

QColor glyphColor(Glyph glyph);
void paintGlyph(QPainter* painter, const QRectF& rect, Glyph glyph, bool disabled = false);
// Resolution-independent (painted at whatever size a view asks), pixmaps cached in QPixmapCache.
QIcon glyphIcon(Glyph glyph);

} // namespace Stateward
