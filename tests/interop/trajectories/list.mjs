// SPDX-License-Identifier: GPL-3.0-or-later
// list.mjs WS [--version 031|041|052|054|056|059|061]
// Runs the real `trail list` of that version (default 041) with cwd=WS and
// prints the ids it shows, one per line, then `count N`.
//   031-052: lists index.json entries only (<WS>/.trajectories).
//   054, 056: the same, after initialize() added the files the index lacks.
//   059: scans the files under <WS>/.trajectories.
//   061: scans <WS>/.agentworkforce/trajectories; capped at 500.
// Side effects are the CLI's own: up to 056 it creates active/, completed/
// and an empty index.json if <WS>/.trajectories exists but they do not (054
// and 056 then rewrite it with every file it lacks); 059 and 061 delete the
// index.json of their directory if present.
import fs from 'node:fs';
import path from 'node:path';
import { VERSIONS, die, emit, trail } from './lib.mjs';

const a = process.argv.slice(2);
let ver = '041';
const vi = a.indexOf('--version');
if (vi >= 0) {
    ver = a[vi + 1];
    a.splice(vi, 2);
}
if (a.length !== 1 || !VERSIONS[ver]) die(`usage: list.mjs WS [--version ${Object.keys(VERSIONS).join('|')}]`, 2);
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
