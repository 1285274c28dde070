// SPDX-License-Identifier: GPL-3.0-or-later
// save.mjs VERSION WS PREFIX COUNT [START_EPOCH_MS]
// Saves COUNT trajectories into WS with the FileStorage of agent-trajectories
// VERSION (031 … 061, lib.mjs), as a worker does: one FileStorage on WS (its
// default directory: <WS>/.trajectories up to 0.5.9, <WS>/.agentworkforce/
// trajectories from 0.6.1), initialize() once, then save() on every change.
// Trajectory n (1-based) gets the id traj_<PREFIX><n, 3 digits> (PREFIX is
// [a-z0-9]+, as 0.3.1's and 0.4.1's schema want). Each is saved active, then
// again with a chapter and a decision; every third is then completed and
// every fifth (not a third) abandoned, which moves its file to completed/.
// With START_EPOCH_MS the process waits for that moment before its first save:
// several started at once race each other on index.json, as parallel workers
// do (up to 0.5.6 every save rewrites it in place, with no lock).
// Prints `saved ID STATUS` once per trajectory, then `done COUNT`.
import path from 'node:path';
import { VERSIONS, die, emit, loadLib, saveLifecycle } from './lib.mjs';

const a = process.argv.slice(2);
if (a.length < 4 || a.length > 5) die('usage: save.mjs VERSION WS PREFIX COUNT [START_EPOCH_MS]', 2);
const [ver, wsArg, prefix, countArg, startArg] = a;
if (!VERSIONS[ver]) die(`VERSION must be one of ${Object.keys(VERSIONS).join(' ')}, got '${ver}'`, 2);
if (!/^[a-z0-9]+$/.test(prefix)) die(`PREFIX must match [a-z0-9]+, got '${prefix}'`, 2);
if (!/^\d+$/.test(countArg) || Number(countArg) < 1 || Number(countArg) > 999) die(`COUNT must be 1..999, got '${countArg}'`, 2);
if (startArg !== undefined && !/^\d+$/.test(startArg)) die(`START_EPOCH_MS must be an integer, got '${startArg}'`, 2);
const ws = path.resolve(wsArg);
const count = Number(countArg);

// Always the version's default directory, never an inherited override.
delete process.env.TRAJECTORIES_DATA_DIR;

const lib = await loadLib(ver);
const storage = new lib.FileStorage(ws);
if (startArg !== undefined) {
    const wait = Number(startArg) - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
try {
    await storage.initialize();
} catch (e) {
    die(`initialize ${ws}: ${e.message}`);
}
for (let n = 1; n <= count; n++) {
    const traj = await saveLifecycle(lib, VERSIONS[ver][1], storage, prefix, n, ws, 5);
    emit(`saved ${traj.id} ${traj.status}`);
}
emit(`done ${count}`);
