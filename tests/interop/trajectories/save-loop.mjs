// SPDX-License-Identifier: GPL-3.0-or-later
// save-loop.mjs WS PREFIX COUNT [PAUSE_MS]
// One long-lived agent-trajectories 0.4.1 process saving COUNT trajectories
// into <WS>/.trajectories with the library's own FileStorage, as a relay
// worker did: one FileStorage, initialize() once, save() on every change.
// Trajectory n (1-based) gets the id traj_<PREFIX><n, 3 digits> (0.4.1's
// schema wants ^traj_[a-z0-9]+$, so PREFIX is [a-z0-9]+). Each is saved
// active, then saved again with a chapter and a decision (an in-place rewrite
// of a live record); every third is then completed and every seventh (not a
// third) abandoned, which moves its file to completed/YYYY-MM/. Run two at once
// on one WS: they race each other on index.json (0.4.1 rewrites it in place,
// no lock), as real parallel workers do. Prints `saved ID STATUS` once per
// trajectory, after its last save, then `done COUNT`.
import path from 'node:path';
import { die, emit, loadLib, saveLifecycle } from './lib.mjs';

const a = process.argv.slice(2);
if (a.length < 3 || a.length > 4) die('usage: save-loop.mjs WS PREFIX COUNT [PAUSE_MS]', 2);
const [wsArg, prefix, countArg, pauseArg = '0'] = a;
if (!/^[a-z0-9]+$/.test(prefix)) die(`PREFIX must match [a-z0-9]+ (0.4.1's id schema), got '${prefix}'`, 2);
if (!/^\d+$/.test(countArg) || Number(countArg) < 1 || Number(countArg) > 999) die(`COUNT must be 1..999, got '${countArg}'`, 2);
if (!/^\d+$/.test(pauseArg)) die(`PAUSE_MS must be an integer, got '${pauseArg}'`, 2);
const ws = path.resolve(wsArg);
const count = Number(countArg);
const pause = Number(pauseArg);

// Always <WS>/.trajectories, never an inherited override.
delete process.env.TRAJECTORIES_DATA_DIR;

const lib = await loadLib('041');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const storage = new lib.FileStorage(ws);
try {
    await storage.initialize();
} catch (e) {
    die(`initialize ${ws}: ${e.message}`);
}

for (let n = 1; n <= count; n++) {
    const traj = await saveLifecycle(lib, '0.4.1', storage, prefix, n, ws, 7);
    emit(`saved ${traj.id} ${traj.status}`);
    if (pause > 0) await sleep(pause);
}
emit(`done ${count}`);
