// SPDX-License-Identifier: GPL-3.0-or-later
#include "ownermailbox.h"

namespace Stateward {

bool OwnerMailbox::Sender::isOpen() const
{
    if (!m_state)
        return false;
    QMutexLocker lock(&m_state->mutex);
    return m_state->owner != nullptr;
}

OwnerMailbox::OwnerMailbox(QObject* owner)
{
    m_state->owner = owner;
}

OwnerMailbox::~OwnerMailbox()
{
    close();
}

void OwnerMailbox::close()
{
    QMutexLocker lock(&m_state->mutex);
    m_state->owner = nullptr;
}

} // namespace Stateward
