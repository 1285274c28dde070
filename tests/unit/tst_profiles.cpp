// SPDX-License-Identifier: GPL-3.0-or-later
// Tool profiles (docs/profiles.md): validation with file, line and field; the registry that skips a
// broken profile and keeps the rest; and hostile profiles that try to make Stateward leave the
// state dir, follow a symlink, signal a process of the wrong identity, or remove a lock or tmp file
// a live process holds open.
#include "childprocess.h"
#include "clirun.h"
#include "problem/problem.h"
#include "proc/processinfo.h"
#include "repair/quarantine.h"
#include "repair/repair.h"
#include "sources/profile.h"
#include "sources/profileadapter.h"
#include "sources/registry.h"
#include "testfiles.h"
#include "testprinters.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace Stateward;
using namespace TestFiles;

namespace {

// A user profile that asks for everything a profile may ask: every repair, a pid file, locks of two
// dialects, a tmp pattern, a socket, a marker, and a daemon that is sw-testchild in the workspace.
const QByteArray kTestProfile = R"({
  "stateward-profile": 1,
  "name": "swtest",
  "tool": "sw-testchild tool",
  "stateDirs": [ {
    "path": ".swtest",
    "recognise": [ { "file": "daemon.pid", "content": "^[0-9]+" }, { "glob": "*.lock" } ],
    "pidFile": { "file": "daemon.pid", "format": "plain" },
    "locks": [ { "glob": "*.lock", "dialect": "pid-only" }, { "glob": "files.flock", "dialect": "flock" } ],
    "tmp": [ { "pattern": "state.json.{pid}.tmp" } ],
    "markers": [ { "file": "disabled", "summary": "turned off" } ],
    "daemon": { "noun": "sw daemon", "exe": ["sw-testchild"], "argvTail": ["sleep"], "cwd": "workspace" },
    "repairs": ["remove-state-file", "clear-stale-lock", "sweep-tmp", "terminate-orphan"]
  } ]
})";

// Starts sw-testchild MODE ARGS with `dir` as its working directory.
bool startIn(ChildProcess& child, const QString& dir, const QStringList& arguments)
{
    const QString before = QDir::currentPath();
    QDir::setCurrent(dir);
    const bool ok = child.start(ChildProcess::binary("sw-testchild"), arguments);
    QDir::setCurrent(before);
    return ok && child.waitForLine("ready").startsWith("ready");
}

QStringList errorTexts(const ProfileLoad& load)
{
    QStringList out;
    for (const ProfileError& e : load.errors)
        out.append(e.toString());
    return out;
}

} // namespace

class TestProfiles : public QObject
{
    Q_OBJECT

    QTemporaryDir m_config; // $XDG_CONFIG_HOME for the whole run: the registry reads it once

    static const SourceAdapter* adapterNamed(const QString& name)
    {
        for (const SourceAdapter* a : sourceAdapters()) {
            if (a->name() == name)
                return a;
        }
        return nullptr;
    }

    static Snapshot scanOne(const QString& ws, const QDateTime& now = {})
    {
        const SourceAdapter* a = adapterNamed(QStringLiteral("swtest"));
        ScanContext context;
        if (now.isValid())
            context.setNow(now);
        return a->scan(ws, a->candidateStateDirs(ws).value(0), context);
    }

private slots:
    void initTestCase()
    {
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_config.path()));
        const QString tools = m_config.filePath(QStringLiteral("stateward/tools"));
        QVERIFY(QDir().mkpath(tools));
        writeFile(tools + QStringLiteral("/swtest.json"), kTestProfile);
        // Broken ones, each for its own reason: none may stop the others.
        writeFile(
            tools + QStringLiteral("/a-syntax.json"), "{\n  \"stateward-profile\": 1,\n  \"name\": \"x\"\n  oops\n}\n");
        writeFile(tools + QStringLiteral("/b-escape.json"),
            R"({ "stateward-profile": 1, "name": "escape", "tool": "t",
  "stateDirs": [ { "path": "../../etc", "recognise": [ { "file": "passwd" } ] } ] })");
        writeFile(tools + QStringLiteral("/c-codex.json"),
            R"({ "stateward-profile": 1, "name": "codex", "tool": "t", "stateDirs": [ { "path": ".x", "recognise": [ { "file": "y" } ] } ] })");
        writeFile(tools + QStringLiteral("/d-future.json"), R"({ "stateward-profile": 2, "name": "future" })");
    }

    void builtInProfilesLoad()
    {
        for (const char* name : { "claude-flow", "nx", "oh-my-codex", "turborepo" }) {
            const auto* a = dynamic_cast<const ProfileAdapter*>(adapterNamed(QLatin1String(name)));
            QVERIFY2(a, name);
            QCOMPARE(a->origin(), QStringLiteral("built-in"));
            QVERIFY(int(a->family()) >= int(Family::FirstProfile));
            QCOMPARE(familyNamed(QString::fromLatin1(name)), std::optional<Family>(a->family()));
        }
        // The four hand-written adapters stay first, as they were.
        QCOMPARE(sourceAdapters().at(0)->name(), QStringLiteral("trajectories"));
        QCOMPARE(sourceAdapters().at(3)->name(), QStringLiteral("gstack"));
    }

    void brokenProfilesAreListedAndSkipped()
    {
        QVERIFY(adapterNamed(QStringLiteral("swtest")));
        QVERIFY(!adapterNamed(QStringLiteral("escape")));
        QVERIFY(!adapterNamed(QStringLiteral("future")));
        QCOMPARE(nameOf(Family::Codex), QStringLiteral("codex")); // not replaced by a profile
        QMap<QString, QString> errors; // file name → first error
        for (const ToolListing& t : knownTools()) {
            if (!t.errors.isEmpty())
                errors.insert(QFileInfo(t.origin).fileName(), t.errors.first());
        }
        QCOMPARE(errors.size(), 4);
        QVERIFY2(errors.value(QStringLiteral("a-syntax.json")).contains(QStringLiteral("a-syntax.json:4:3: ")),
            qPrintable(errors.value(QStringLiteral("a-syntax.json"))));
        QVERIFY2(errors.value(QStringLiteral("b-escape.json"))
                     .contains(
                         QStringLiteral("b-escape.json:2:28: stateDirs[0].path: \"../../etc\": \"..\" is not allowed")),
            qPrintable(errors.value(QStringLiteral("b-escape.json"))));
        QVERIFY2(errors.value(QStringLiteral("c-codex.json")).contains(QStringLiteral("built-in adapter's name")),
            qPrintable(errors.value(QStringLiteral("c-codex.json"))));
        QVERIFY2(errors.value(QStringLiteral("d-future.json")).contains(QStringLiteral("newer Stateward")),
            qPrintable(errors.value(QStringLiteral("d-future.json"))));
    }

    void errorsNameLineColumnAndField_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("expected");
        const QByteArray head
            = "{\n  \"stateward-profile\": 1,\n  \"name\": \"t\",\n  \"tool\": \"t\",\n  \"stateDirs\": [ {\n";
        const QByteArray tail = "\n  } ]\n}\n";
        const auto dir = [&](const QByteArray& body) { return head + body + tail; };
        QTest::newRow("absolute") << dir("    \"path\": \"/etc\", \"recognise\": [ { \"file\": \"a\" } ]")
                                  << QStringLiteral(
                                         "6:13: stateDirs[0].path: \"/etc\": an absolute path is not allowed");
        QTest::newRow("dotdot in a file")
            << dir("    \"path\": \".t\",\n    \"recognise\": [ { \"file\": \"d/../../x\" } ]")
            << QStringLiteral("7:30: stateDirs[0].recognise[0].file: \"d/../../x\": \"..\"");
        QTest::newRow("placeholder") << dir("    \"path\": \".t/{home}\", \"recognise\": [ { \"file\": \"a\" } ]")
                                     << QStringLiteral("6:13: stateDirs[0].path: \".t/{home}\": the only placeholders");
        QTest::newRow("glob in a folder")
            << dir("    \"path\": \".t\", \"recognise\": [ { \"glob\": \"*/x\" } ]")
            << QStringLiteral(
                   "stateDirs[0].recognise[0].glob: \"*/x\": glob characters are allowed in the last component only");
        QTest::newRow("unknown key") << dir(
            "    \"path\": \".t\", \"recognise\": [ { \"file\": \"a\" } ],\n    \"repair\": []")
                                     << QStringLiteral("7:15: stateDirs[0].repair: unknown key");
        QTest::newRow("new repair") << dir(
            "    \"path\": \".t\", \"recognise\": [ { \"file\": \"a\" } ],\n    \"repairs\": [\"rm-rf\"]")
                                    << QStringLiteral(
                                           "7:17: stateDirs[0].repairs[0]: \"rm-rf\" is none of remove-state-file");
        QTest::newRow("git dialect") << dir("    \"path\": \".t\", \"recognise\": [ { \"file\": \"a\" } ],\n    "
                                            "\"locks\": [ { \"glob\": \"*.lock\", \"dialect\": \"git\" } ]")
                                     << QStringLiteral("7:47: stateDirs[0].locks[0].dialect: \"git\" is none of");
        QTest::newRow("identity by environment alone")
            << dir("    \"path\": \".t\", \"recognise\": [ { \"file\": \"p\" } ],\n    \"pidFile\": { \"file\": \"p\", "
                   "\"format\": "
                   "\"plain\" },\n    \"daemon\": { \"noun\": \"d\", \"env\": { \"T_WS\": \"{workspace}\" } }")
            << QStringLiteral("8:15: stateDirs[0].daemon: give \"exe\" or \"argvTail\"");
        QTest::newRow("daemon tied to nothing")
            << dir("    \"path\": \".t\", \"recognise\": [ { \"file\": \"p\" } ],\n    \"pidFile\": { \"file\": \"p\", "
                   "\"format\": "
                   "\"plain\" },\n    \"daemon\": { \"noun\": \"d\", \"exe\": [\"d\"] }")
            << QStringLiteral("8:15: stateDirs[0].daemon: give \"cwd\": \"workspace\"");
        QTest::newRow("identity that matches anything") << dir(
            "    \"path\": \".t\", \"recognise\": [ { \"file\": \"p\" } ],\n    \"pidFile\": { \"file\": \"p\", "
            "\"format\": \"plain\" },\n    \"daemon\": { \"noun\": \"d\", \"exe\": [\"*\"], \"cwd\": "
            "\"workspace\" }") << QStringLiteral("8:38: stateDirs[0].daemon.exe[0]: \"*\" matches almost anything");
        QTest::newRow("a pid file as a lock")
            << dir("    \"path\": \".t\", \"recognise\": [ { \"file\": \"a\" } ],\n    \"locks\": [ { \"glob\": "
                   "\"daemon.pid\", \"dialect\": \"pid-only\" } ]")
            << QStringLiteral("7:26: stateDirs[0].locks[0].glob: \"daemon.pid\": a pid-only lock's name ends in .lock");
        QTest::newRow("bracket in a lock folder")
            << dir("    \"path\": \".t\", \"recognise\": [ { \"file\": \"a\" } ],\n    \"locks\": [ { \"glob\": "
                   "\"s[ab]/x.lock\", \"dialect\": \"owner-dir\" } ]")
            << QStringLiteral(
                   "stateDirs[0].locks[0].glob: \"s[ab]/x.lock\": '[' is allowed in the last component only");
        QTest::newRow("an owner-dir lock not named one")
            << dir("    \"path\": \".t\", \"recognise\": [ { \"file\": \"a\" } ],\n    \"locks\": [ { \"glob\": "
                   "\"sessions/*/owner.json\", \"dialect\": \"owner-dir\" } ]")
            << QStringLiteral("a owner-dir lock's name ends in .lock");
        QTest::newRow("a lock leaving its state dir")
            << dir("    \"path\": \".t\", \"recognise\": [ { \"file\": \"a\" } ],\n    \"locks\": [ { \"glob\": "
                   "\"*/../../x.lock\", \"dialect\": \"owner-dir\" } ]")
            << QStringLiteral("\"..\" is not allowed");
        QTest::newRow("every file as tmp") << dir(
            "    \"path\": \".t\", \"recognise\": [ { \"file\": \"a\" } ],\n    \"tmp\": [ { \"pattern\": \"*\" "
            "} ]") << QStringLiteral("7:27: stateDirs[0].tmp[0].pattern: \"*\": a tmp name has {pid} or \"tmp\" in it");
        QTest::newRow("own area") << dir(
            "    \"path\": \".t\", \"recognise\": [ { \"file\": \".stateward/audit.jsonl\" } ]")
                                  << QStringLiteral(".stateward is Stateward's own area");
        QTest::newRow("no recognition") << dir("    \"path\": \".t\", \"recognise\": []")
                                        << QStringLiteral("a folder's name alone never recognises a tool");
    }

    void errorsNameLineColumnAndField()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, expected);
        const ProfileLoad load = parseProfile(text, QStringLiteral("p.json"));
        QVERIFY(!load.profile);
        const QString all = errorTexts(load).join(QLatin1Char('\n'));
        QVERIFY2(all.contains(expected), qPrintable(all));
    }

    void cliChecksOneFile()
    {
        QTemporaryDir dir;
        const QString good = dir.filePath(QStringLiteral("good.json"));
        const QString bad = dir.filePath(QStringLiteral("bad.json"));
        writeFile(good, kTestProfile);
        writeFile(bad, QByteArray(kTestProfile).replace("\"path\": \".swtest\"", "\"path\": \"/tmp\""));
        const CliRun ok = runCli({ QStringLiteral("tools"), QStringLiteral("--check"), good });
        QCOMPARE(ok.exitCode, 0);
        QVERIFY2(ok.out.contains("valid profile \"swtest\""), ok.out.constData());
        const CliRun no = runCli({ QStringLiteral("tools"), QStringLiteral("--check"), bad });
        QCOMPARE(no.exitCode, 1);
        QVERIFY2(no.err.contains(QFile::encodeName(bad) + ":6:13: stateDirs[0].path: \"/tmp\""), no.err.constData());
        // The listing: every tool with its source; the broken ones with their errors.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_config.path());
        const CliRun list = runCli({ QStringLiteral("tools"), QStringLiteral("--json") }, env);
        QCOMPARE(list.exitCode, 1); // some profiles do not load
        const QJsonArray tools = QJsonDocument::fromJson(list.out).object().value(QStringLiteral("tools")).toArray();
        QStringList loaded;
        for (const QJsonValue& t : tools) {
            if (t.toObject().value(QStringLiteral("loaded")).toBool())
                loaded.append(t.toObject().value(QStringLiteral("name")).toString() + QLatin1Char('@')
                    + QFileInfo(t.toObject().value(QStringLiteral("source")).toString()).fileName());
        }
        QCOMPARE(loaded,
            QStringList({ QStringLiteral("trajectories@built-in"), QStringLiteral("codex@built-in"),
                QStringLiteral("codegraph@built-in"), QStringLiteral("gstack@built-in"),
                QStringLiteral("claude-flow@built-in"), QStringLiteral("nx@built-in"),
                QStringLiteral("oh-my-codex@built-in"), QStringLiteral("turborepo@built-in"),
                QStringLiteral("swtest@swtest.json") }));
    }

    void turborepoHashIsTheRealOne()
    {
        // Observed with turbo 2.11.13: a daemon started in /tmp/turbows.BkDy kept its files in
        // $TMPDIR/turbod-<uid>/414139ac62e62249 (docs/formats/turborepo.md).
        const auto* turbo = adapterNamed(QStringLiteral("turborepo"));
        const QString expected = QStringLiteral("%1/turbod-%2/414139ac62e62249").arg(QDir::tempPath()).arg(::getuid());
        QCOMPARE(turbo->candidateStateDirs(QStringLiteral("/nonexistent-for-the-test/../tmp/turbows.BkDy")).value(0),
            expected);
    }

    void unknownFolderIsNotJudged()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".swtest")));
        writeFile(ws.filePath(QStringLiteral(".swtest/notes.txt")), "hello");
        const Snapshot s = scanOne(ws.path());
        QVERIFY(!s.recognised.known());
        QVERIFY(s.findings.isEmpty());
    }

    void symlinkedStateDirIsRefused()
    {
        QTemporaryDir ws;
        QTemporaryDir outside;
        writeFile(outside.filePath(QStringLiteral("daemon.pid")), QByteArray::number(ChildProcess::deadPid()));
        QVERIFY(QFile::link(outside.path(), ws.filePath(QStringLiteral(".swtest"))));
        const Snapshot s = scanOne(ws.path());
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("state-dir-symlink") });
        QVERIFY(s.findings.first().repairs.isEmpty());
        const QList<RepairResult> results = applyPlan(planRepairs({ s }, repairKinds()));
        QVERIFY(results.isEmpty());
        QVERIFY(QFile::exists(outside.filePath(QStringLiteral("daemon.pid"))));
    }

    void symlinkedPidFileIsMovedNeverFollowed()
    {
        QTemporaryDir ws;
        QTemporaryDir outside;
        const QString victim = outside.filePath(QStringLiteral("victim"));
        writeFile(victim, "12345\n");
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".swtest")));
        writeFile(ws.filePath(QStringLiteral(".swtest/x.lock")), QByteArray::number(::getpid()));
        QVERIFY(QFile::link(victim, ws.filePath(QStringLiteral(".swtest/daemon.pid"))));
        const Snapshot s = scanOne(ws.path());
        QVERIFY2(
            findingCodes(s).contains(QStringLiteral("state-file-symlink")), qPrintable(findingCodes(s).join(u',')));
        const QList<RepairResult> results = applyPlan(planRepairs({ s }));
        QCOMPARE(results.size(), 1);
        QCOMPARE(results.first().outcome, RepairResult::Outcome::Applied);
        QCOMPARE(readAll(victim), QByteArray("12345\n")); // the target is untouched
        QVERIFY(!QFileInfo(ws.filePath(QStringLiteral(".swtest/daemon.pid"))).isSymLink());
    }

    void wrongIdentityIsNeverSignalled()
    {
        QTemporaryDir ws;
        QTemporaryDir elsewhere;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".swtest")));
        // Named by the pid file, the right program, but running for another workspace.
        ChildProcess other;
        QVERIFY(startIn(other, elsewhere.path(), { QStringLiteral("sleep") }));
        // Not named, running in the workspace, but not the daemon's argv.
        ChildProcess notDaemon;
        QVERIFY(startIn(notDaemon, ws.path(), { QStringLiteral("ignore-term") }));
        writeFile(ws.filePath(QStringLiteral(".swtest/daemon.pid")), QByteArray::number(other.pid()) + '\n');
        const QDateTime later = QDateTime::currentDateTimeUtc().addSecs(3600);
        const Snapshot s = scanOne(ws.path(), later);
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("daemon-unverified") });
        QVERIFY2(
            s.findings.first().evidence.contains(QStringLiteral("runs in")), qPrintable(s.findings.first().evidence));
        // One litter problem: the pid file names no daemon of its own; its fix moves the file aside.
        const QList<Problem> problems = problemsOf(s);
        QCOMPARE(problems.size(), 1);
        QCOMPARE(problems.first().impact, Impact::Litter);
        QCOMPARE(problems.first().repairs, QList<RepairKind> { RepairKind::RemoveStateFile });
        // Whatever is asked, nothing is signalled: the only plan is to move the pid file aside.
        const RepairPlan plan = planRepairs({ s }, repairKinds());
        QCOMPARE(plan.actions.size(), 1);
        QCOMPARE(plan.actions.first().kind, RepairKind::RemoveStateFile);
        applyPlan(plan);
        QCOMPARE(livenessOf(other.pid()), Liveness::Alive);
        QCOMPARE(livenessOf(notDaemon.pid()), Liveness::Alive);
        // And the repair's own check refuses either, however it is asked.
        const auto* a = adapterNamed(QStringLiteral("swtest"));
        const QString stateDir = a->candidateStateDirs(ws.path()).value(0);
        QVERIFY(!a->orphanMismatch(inspectProcess(other.pid()), stateDir, {}).isEmpty());
        QVERIFY(!a->orphanMismatch(inspectProcess(notDaemon.pid()), stateDir, {}).isEmpty());
    }

    void orphanIsTerminatedAfterIdentityChecks()
    {
        QTemporaryDir ws;
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".swtest")));
        ChildProcess named;
        QVERIFY(startIn(named, ws.path(), { QStringLiteral("sleep") }));
        ChildProcess orphan;
        QVERIFY(startIn(orphan, ws.path(), { QStringLiteral("sleep") }));
        writeFile(ws.filePath(QStringLiteral(".swtest/daemon.pid")), QByteArray::number(named.pid()));
        // Within the start-up grace: maybe still starting, not an orphan yet.
        QVERIFY(findingCodes(scanOne(ws.path())).isEmpty());
        const Snapshot s = scanOne(ws.path(), QDateTime::currentDateTimeUtc().addSecs(3600));
        QCOMPARE(findingCodes(s), QStringList { QStringLiteral("daemon-orphan") });
        QCOMPARE(s.findings.first().target.pid, qint64(orphan.pid()));
        // A process wasting memory, worded with the daemon's noun and its PID.
        const QList<Problem> problems = problemsOf(s);
        QCOMPARE(problems.size(), 1);
        QCOMPARE(problems.first().impact, Impact::WastesMemory);
        QVERIFY2(problems.first().title.contains(QString::number(orphan.pid())), qPrintable(problems.first().title));
        QCOMPARE(problems.first().fixSafety(), RepairSafety::SignalsProcess);
        QVERIFY(planRepairs({ s }).actions.isEmpty()); // signalling is planned only when asked for
        const QList<RepairResult> results = applyPlan(planRepairs({ s }, { RepairKind::TerminateOrphan }));
        QCOMPARE(results.size(), 1);
        QVERIFY2(results.first().outcome == RepairResult::Outcome::Applied, qPrintable(results.first().detail));
        QVERIFY(WIFSIGNALED(orphan.reap()));
        QCOMPARE(livenessOf(named.pid()), Liveness::Alive);
    }

    void ohMyCodexOwnerDirLocks()
    {
        // The built-in oh-my-codex profile names its lock directories (state/session.json.lock and
        // one in each session's folder) as owner-dir locks: a dead owner's is cleared, its owner file
        // kept in the quarantine; a live owner's, an ambiguous one and a symlinked one stay.
        const SourceAdapter* omx = adapterNamed(QStringLiteral("oh-my-codex"));
        QVERIFY(omx);
        QTemporaryDir ws;
        const QString state = ws.filePath(QStringLiteral(".omx/state"));
        const QString token = QStringLiteral("0123456789abcdef0123");
        const auto record = [&token](qint64 pid, qint64 ticks) {
            return QStringLiteral(R"({"version":1,"token":"%1","pid":%2,"platform":"linux","pid_start_ticks":%3,)"
                                  R"("created_at":"2026-12-07T05:08:56.353Z"})")
                .arg(token)
                .arg(pid)
                .arg(ticks)
                .toUtf8();
        };
        const auto lockAt = [&](const QString& relative, const QByteArray& owner) {
            QVERIFY(QDir().mkpath(state + QLatin1Char('/') + relative));
            writeFile(state + QLatin1Char('/') + relative + QStringLiteral("/owner.json"), owner);
        };
        const qint64 dead = ChildProcess::deadPid();
        ChildProcess live;
        QVERIFY(startIn(live, ws.path(), { QStringLiteral("sleep") }));
        lockAt(QStringLiteral("session.json.lock"), record(dead, 1));
        lockAt(QStringLiteral("sessions/a/session-owner.json.lock"), record(dead, 1));
        lockAt(QStringLiteral("sessions/b/session-owner.json.lock"), record(live.pid(), startTicksOf(live.pid())));
        lockAt(QStringLiteral("sessions/c/session-owner.json.lock"), record(dead, 1));
        writeFile(
            state + QStringLiteral("/sessions/c/session-owner.json.lock/owner.%1.tmp").arg(token), record(dead, 1));
        // A symlinked session folder leads outside: never followed.
        QTemporaryDir outside;
        QVERIFY(QDir().mkpath(outside.filePath(QStringLiteral("session-owner.json.lock"))));
        writeFile(outside.filePath(QStringLiteral("session-owner.json.lock/owner.json")), record(dead, 1));
        QVERIFY(QFile::link(outside.path(), state + QStringLiteral("/sessions/d")));

        ScanContext context;
        const Snapshot s = omx->scan(ws.path(), omx->candidateStateDirs(ws.path()).value(0), context);
        QMap<QString, QString> verdicts; // relative lock path → dialect state
        for (const LockHolder& l : s.locks)
            verdicts.insert(QDir(state).relativeFilePath(l.verdict.path),
                nameOf(l.verdict.dialect) + QLatin1Char(' ') + nameOf(l.verdict.state));
        QCOMPARE(verdicts,
            (QMap<QString, QString> { { QStringLiteral("session.json.lock"), QStringLiteral("owner-dir stale") },
                { QStringLiteral("sessions/a/session-owner.json.lock"), QStringLiteral("owner-dir stale") },
                { QStringLiteral("sessions/b/session-owner.json.lock"), QStringLiteral("owner-dir held") },
                { QStringLiteral("sessions/c/session-owner.json.lock"), QStringLiteral("owner-dir unknown") } }));
        QCOMPARE(findingCodes(s), QStringList({ QStringLiteral("stale-lock"), QStringLiteral("stale-lock") }));

        const QList<RepairResult> results = applyPlan(planRepairs({ s }));
        QCOMPARE(results.size(), 2);
        for (const RepairResult& r : results)
            QVERIFY2(r.outcome == RepairResult::Outcome::Applied, qPrintable(r.detail));
        QVERIFY(!QFileInfo::exists(state + QStringLiteral("/session.json.lock")));
        QVERIFY(!QFileInfo::exists(state + QStringLiteral("/sessions/a/session-owner.json.lock")));
        QVERIFY(QFile::exists(state + QStringLiteral("/sessions/b/session-owner.json.lock/owner.json")));
        QCOMPARE(QDir(state + QStringLiteral("/sessions/c/session-owner.json.lock")).entryList(QDir::Files).size(), 2);
        QVERIFY(QFile::exists(outside.filePath(QStringLiteral("session-owner.json.lock/owner.json"))));
        // Each cleared owner file is in its quarantine, as evidence undo never puts back.
        QStringList kept;
        for (const QuarantineInfo& q : listQuarantines(ws.filePath(QStringLiteral(".omx")))) {
            QCOMPARE(q.entries.size(), 1);
            QCOMPARE(q.entries.first().op, QuarantineEntry::Op::Cleared);
            QCOMPARE(q.entries.first().sha256,
                QCryptographicHash::hash(record(dead, 1), QCryptographicHash::Sha256).toHex());
            kept.append(q.entries.first().path);
        }
        kept.sort();
        QCOMPARE(kept,
            QStringList({ QStringLiteral("state/session.json.lock/owner.json"),
                QStringLiteral("state/sessions/a/session-owner.json.lock/owner.json") }));
    }

    void heldLocksAndTmpFilesStay()
    {
        QTemporaryDir ws;
        const QString dir = ws.filePath(QStringLiteral(".swtest"));
        QVERIFY(QDir(ws.path()).mkdir(QStringLiteral(".swtest")));
        const qint64 dead = ChildProcess::deadPid();
        // A pid-only lock naming a dead PID, but open by a live process; a tmp file of a dead writer,
        // open by a live process; a flock target locked by a live process.
        writeFile(dir + QStringLiteral("/held.lock"), QByteArray::number(dead));
        writeFile(dir + QStringLiteral("/state.json.%1.tmp").arg(dead), "{}");
        writeFile(dir + QStringLiteral("/files.flock"), "");
        ChildProcess lockOpen;
        QVERIFY(startIn(lockOpen, ws.path(), { QStringLiteral("open"), dir + QStringLiteral("/held.lock") }));
        ChildProcess tmpOpen;
        QVERIFY(startIn(
            tmpOpen, ws.path(), { QStringLiteral("open"), dir + QStringLiteral("/state.json.%1.tmp").arg(dead) }));
        ChildProcess flocker;
        QVERIFY(startIn(flocker, ws.path(), { QStringLiteral("flock"), dir + QStringLiteral("/files.flock") }));
        writeFile(dir + QStringLiteral("/stale.lock"), QByteArray::number(dead));
        const qint64 otherDead = ChildProcess::deadPid();
        writeFile(dir + QStringLiteral("/state.json.%1.tmp").arg(otherDead), "{}");
        Snapshot s = scanOne(ws.path());
        QStringList codes = findingCodes(s);
        QCOMPARE(codes, QStringList({ QStringLiteral("orphan-tmp"), QStringLiteral("stale-lock") }));
        for (const LockHolder& l : s.locks) {
            if (l.verdict.path.endsWith(QLatin1String("files.flock")))
                QCOMPARE(l.verdict.state, LockState::Held);
        }
        const QList<RepairResult> results = applyPlan(planRepairs({ s }));
        QCOMPARE(results.size(), 2);
        for (const QString& kept : { QStringLiteral("held.lock"), QStringLiteral("state.json.%1.tmp").arg(dead),
                 QStringLiteral("files.flock") })
            QVERIFY2(QFile::exists(dir + QLatin1Char('/') + kept), qPrintable(kept));
        QVERIFY(!QFile::exists(dir + QStringLiteral("/stale.lock")));
        // Released: a flock target is still never stale, never removed.
        flocker.send("close");
        QCOMPARE(flocker.waitForLine("closed"), QByteArray("closed"));
        s = scanOne(ws.path());
        for (const LockHolder& l : s.locks) {
            if (l.verdict.path.endsWith(QLatin1String("files.flock"))) {
                QCOMPARE(l.verdict.state, LockState::Unknown);
                QVERIFY(!l.verdict.removable);
            }
        }
        QVERIFY(QFile::exists(dir + QStringLiteral("/files.flock")));
    }
};

QTEST_GUILESS_MAIN(TestProfiles)
#include "tst_profiles.moc"
