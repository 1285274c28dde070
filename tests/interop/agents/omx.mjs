// SPDX-License-Identifier: GPL-3.0-or-later
// omx.mjs session WS ID PID | start WS ID PID | hold WS ID owner-json|owner-tmp | lock WS inspect|recover
// Runs the real oh-my-codex 0.21.6 offline in the workspace WS:
//   session  Codex's native SessionStart hook, as Codex runs it (dist/scripts/codex-native-hook.js,
//            the payload on stdin) for the Codex session ID whose process is PID (`session_pid`).
//            oh-my-codex writes .omx/state/session.json and
//            .omx/state/sessions/<ID>/session-owner.json naming PID with its start ticks and
//            cmdline, through its lock directory session.json.lock/. Prints `session <ID> <PID>`.
//   start    what that hook calls for the session pointer (hooks/session.js
//            reconcileNativeSessionStart), called directly: the hook swallows its failure, this
//            prints it. Prints `written <session_id>`, or `abort <code> <lock owner status>`.
//   hold     oh-my-codex's own writeSessionStart(WS, ID) in this process, paused with its lock
//            directory .omx/state/session.json.lock/ held: after owner.json is published
//            (owner-json) or before, while the owner record is still owner.<token>.tmp
//            (owner-tmp). Prints `held <pid>`; stdin at EOF lets the write finish (`released`);
//            killed, the lock directory stays, naming a dead PID.
//   lock     oh-my-codex's own verdict on that lock directory, as `omx session lock
//            inspect|recover --json` gives it: one JSON line.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { absDir, args, die, emit, offlineEnv, omx } from './lib.mjs';

const a = args('omx.mjs session WS ID PID | start WS ID PID | hold WS ID owner-json|owner-tmp | lock WS inspect|recover', 3, 4);
const [cmd, dir] = a;
const ws = absDir(dir);
const tool = omx();
const stateDir = path.join(ws, '.omx', 'state');

if (cmd === 'session') {
    const [, , id, pid] = a;
    const payload = { hook_event_name: 'SessionStart', session_id: id, cwd: ws, source: 'startup', session_pid: Number(pid) };
    const r = spawnSync(process.execPath, [tool.hook], {
        cwd: ws,
        env: offlineEnv(),
        input: JSON.stringify(payload),
        encoding: 'utf8',
    });
    if (r.status !== 0) die(`codex-native-hook exited ${r.status ?? r.signal}: ${r.stderr}${r.stdout}`);
    let state;
    try {
        state = JSON.parse(fs.readFileSync(path.join(stateDir, 'session.json'), 'utf8'));
    } catch (e) {
        die(`no session.json after SessionStart: ${e.message}; hook said ${r.stdout}`);
    }
    if (state.session_id !== id || state.pid !== Number(pid)) die(`session.json names ${state.session_id} ${state.pid}`);
    emit(`session ${id} ${pid}`);
} else if (cmd === 'start') {
    const [, , id, pid] = a;
    const session = await import(pathToFileURL(tool.session).href);
    try {
        const state = await session.reconcileNativeSessionStart(ws, id, { pid: Number(pid) });
        emit(`written ${state.session_id}`);
    } catch (e) {
        if (!session.isSessionPointerLaunchAbort(e)) die(`reconcileNativeSessionStart: ${e.stack ?? e}`);
        emit(`abort ${e.code} ${e.lockOwnerStatus ?? '-'}`);
    }
} else if (cmd === 'hold') {
    const [, , id, at] = a;
    if (at !== 'owner-json' && at !== 'owner-tmp') die(`hold at owner-json or owner-tmp, not '${at}'`, 2);
    const session = await import(pathToFileURL(tool.session).href);
    const durability = await import(pathToFileURL(path.join(tool.root, 'dist', 'utils', 'file-durability.js')).href);
    let release;
    const released = new Promise((resolve) => (release = resolve));
    const pause = async () => {
        emit(`held ${process.pid}`);
        process.stdin.resume();
        process.stdin.on('end', release);
        await released;
    };
    // oh-my-codex's own test seam (exported for its tests): the real fs calls, one paused.
    session.__setSessionPointerTransactionDependenciesForTests({
        fs: {
            openAndSync: async (file, platform, sync) => {
                if (at === 'owner-tmp' && /\/owner\.[A-Za-z0-9_-]+\.tmp$/.test(file)) await pause();
                // What oh-my-codex's default does (the default itself is not exported).
                const handle = await fs.promises.open(file, 'r');
                try {
                    return await durability.syncRegularFile(sync ? { sync: () => sync(platform) } : handle, platform);
                } finally {
                    await handle.close();
                }
            },
            rename: async (from, to) => {
                await fs.promises.rename(from, to);
                if (at === 'owner-json' && to.endsWith('/owner.json')) await pause();
            },
        },
    });
    await session.writeSessionStart(ws, id, { pid: process.pid });
    emit('released');
} else if (cmd === 'lock') {
    // What `omx session lock inspect|recover --json` prints; the omx CLI itself also loads
    // @napi-rs/lzma's native binding, an optional package not installed here.
    const [, , op] = a;
    if (op !== 'inspect' && op !== 'recover') die(`lock inspect or recover, not '${op}'`, 2);
    const session = await import(pathToFileURL(tool.session).href);
    const result = op === 'inspect' ? await session.inspectSessionPointerLock(ws) : await session.recoverSessionPointerLock(ws);
    emit(JSON.stringify(result));
} else {
    die(`unknown command '${cmd}'`, 2);
}
