// SPDX-License-Identifier: GPL-3.0-or-later
// list.mjs WS [--version 041|061]
// Runs the real `trail list` of that version (default 041) with cwd=WS and
// prints the ids it shows, one per line, then `count N`.
//   041: lists index.json entries only (<WS>/.trajectories); capped at 50.
//   061: scans <WS>/.agentworkforce/trajectories; capped at 500.
// Side effects are the CLI's own: 041 creates active/, completed/ and an
// empty index.json if <WS>/.trajectories exists but they do not; 061
// deletes <WS>/.agentworkforce/trajectories/index.json if present.
import fs from 'node:fs';
import path from 'node:path';
import { die, emit, trail } from './lib.mjs';

const a = process.argv.slice(2);
let ver = '041';
const vi = a.indexOf('--version');
if (vi >= 0) {
    ver = a[vi + 1];
    a.splice(vi, 2);
}
if (a.length !== 1 || !['041', '061'].includes(ver)) die('usage: list.mjs WS [--version 041|061]', 2);
const ws = path.resolve(a[0]);
if (!fs.statSync(ws, { throwIfNoEntry: false })?.isDirectory()) die(`not a directory: ${ws}`);

// `trail list` prints "Found N trajectories:" then per trajectory
// "<status icon> <id>" followed by indented lines, or "No trajectories found".
const out = trail(ver, ws, ['list']);
const ids = [];
let found = null;
for (const line of out.split('\n')) {
    let m;
    if ((m = /^Found (\d+) trajectories/.exec(line))) found = Number(m[1]);
    else if (/^No trajectories found/.test(line)) found = 0;
    else if ((m = /^\S+ (traj_\S+)$/.exec(line))) ids.push(m[1]);
}
if (found === null) die(`unrecognised 'trail list' output: ${JSON.stringify(out.slice(0, 200))}`);
if (found !== ids.length) die(`'trail list' said ${found} trajectories but ${ids.length} id lines were parsed`);
for (const id of ids) emit(id);
emit(`count ${ids.length}`);
