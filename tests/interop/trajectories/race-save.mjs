// SPDX-License-Identifier: GPL-3.0-or-later
// race-save.mjs WS ID TITLE [START_EPOCH_MS]
// Saves one active trajectory with agent-trajectories 0.4.1's own storage
// code, as a relay worker did: new FileStorage(WS); initialize(); save().
// Run many at once on one WS to reproduce the index.json lost-update race
// (0.4.1 reads index.json, adds its entry and writeFile()s it back with no
// lock and no temp file). Prints `saved ID`.
import path from 'node:path';
import { die, emit, loadLib } from './lib.mjs';

const a = process.argv.slice(2);
if (a.length < 3 || a.length > 4) die('usage: race-save.mjs WS ID TITLE [START_EPOCH_MS]', 2);
const [wsArg, id, title, startArg] = a;
if (startArg !== undefined && !/^\d+$/.test(startArg)) die(`START_EPOCH_MS must be an integer, got '${startArg}'`, 2);
const ws = path.resolve(wsArg);

// Always <WS>/.trajectories, never an inherited override.
delete process.env.TRAJECTORIES_DATA_DIR;

const { FileStorage, createTrajectory, validateTrajectory } = await loadLib('041');

// Build the trajectory the way the library does, then pin the id.
let traj;
try {
    traj = { ...createTrajectory({ title, projectId: ws }), id };
} catch (e) {
    die(`createTrajectory: ${e.message}`, 2);
}
const v = validateTrajectory(traj);
if (!v.success) {
    const issue = v.errors?.issues?.[0];
    die(`invalid trajectory for 0.4.1's schema: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown'}`, 2);
}

// Optional start barrier so N processes hit the storage at the same moment.
if (startArg !== undefined) {
    const wait = Number(startArg) - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

try {
    const storage = new FileStorage(ws);
    await storage.initialize();
    await storage.save(traj);
} catch (e) {
    die(`save ${id} in ${ws}: ${e.message}`);
}
emit(`saved ${id}`);
