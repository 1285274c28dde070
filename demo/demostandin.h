// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>

// The demo's stand-in processes (see DemoWorkspace): this program, re-run with the argv and
// environment of a real tool's daemon, doing just enough of that daemon's job for Stateward to
// find, verify, probe and terminate it like the real one. Plain POSIX sockets and poll(): they run
// before any QCoreApplication exists, and QtNetwork is not linked.
//
// Every stand-in leads its own session (DemoWorkspace starts it so), exits on SIGTERM, SIGINT or
// SIGHUP, when its parent is gone (PR_SET_PDEATHSIG, and getppid() checked every few seconds as a
// backstop), and after kMaxLifetimeSecs whatever happens.
namespace Stateward::DemoStandIn {

// codex-companion's shared broker (openai/codex-plugin-cc app-server-broker.mjs, v1.0.5):
//   <program> <dir>/app-server-broker.mjs serve --endpoint unix:<S>/broker.sock --cwd <ws>
//             --pid-file <S>/broker.pid
// Writes "<pid>\n" to the pid file, then listens on the socket and speaks newline-delimited
// JSON-RPC: initialize → {userAgent:"codex-companion-broker"}, broker/shutdown → {} and a clean
// exit, any other request → an error (there is no codex app-server behind it). On exit it unlinks
// the socket and the pid file, as upstream does; broker.log and the session dir stay.
inline constexpr char kCodexBroker[] = "codex-broker";

// The gstack browse daemon (garrytan/gstack browse/src/server.ts): `bun run <abs>/server.ts` with
// BROWSE_STATE_FILE=<abs .gstack/browse.json>. Listens on 127.0.0.1 (port chosen by the OS, or
// $BROWSE_PORT), writes browse.json (tmp.<pid>.<hex> + rename, mode 0600, JSON.stringify(…, null, 2)),
// answers GET /health with {"status":"healthy",…} and everything else with 404. On exit it unlinks
// browse.json, as upstream does.
inline constexpr char kGstackDaemon[] = "gstack-daemon";

// The Nx daemon (nx 24, docs/formats/nx.md): `node --conditions development
// <nx>/dist/src/daemon/server/start.js`, run in the workspace. Listens on $NX_SOCKET_DIR/d.sock,
// writes <ws>/.nx/workspace-data/d/server-process.json {processId, socketPath, nxVersion} in place
// (2-space JSON and a newline), logs to stdout (daemon.log), accepts and closes every connection.
// On exit it deletes server-process.json only while it names this process, as Nx does.
inline constexpr char kNxDaemon[] = "nx-daemon";

// The PID the stand-in must outlive no longer than necessary (set by DemoWorkspace).
inline constexpr char kParentVariable[] = "STATEWARD_DEMO_PARENT";

inline constexpr int kMaxLifetimeSecs = 8 * 3600;

// The stand-in's main(): kind is the value of DemoWorkspace::kStandInVariable. Exit code 0 after a
// clean stop, 1 when it could not start (the message goes to stderr), 2 for an unknown kind.
int run(const QByteArray& kind, int argc, char** argv);

} // namespace Stateward::DemoStandIn
