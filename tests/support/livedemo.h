// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The demo workspace (`stateward --demo`) for a test: with a $TMPDIR of its own, so its cxc-* dirs
// and codex state are the test's alone, its stand-ins run from the built `stateward`, and it is
// stopped and $TMPDIR put back however the test ends. For targets linking stateward_demo.
#include "childprocess.h"
#include "demoworkspace.h"

#include <QTemporaryDir>
#include <QtGlobal>

struct LiveDemo
{
    QTemporaryDir tmp;
    Stateward::DemoWorkspace demo;
    QString error;
    bool start()
    {
        m_hadTmp = qEnvironmentVariableIsSet("TMPDIR");
        m_oldTmp = qgetenv("TMPDIR");
        qputenv("TMPDIR", tmp.path().toLocal8Bit());
        demo.setStandInProgram(ChildProcess::binary("stateward"));
        return demo.create(&error);
    }
    ~LiveDemo()
    {
        demo.shutdown();
        if (m_hadTmp)
            qputenv("TMPDIR", m_oldTmp);
        else
            qunsetenv("TMPDIR");
    }

private:
    bool m_hadTmp = false;
    QByteArray m_oldTmp;
};
