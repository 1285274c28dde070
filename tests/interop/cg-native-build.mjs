// SPDX-License-Identifier: GPL-3.0-or-later
// cg-native-build.mjs DIR [hold]
// One build of the project at DIR's root by codegraph 3.17.0's real native
// engine (NativeDatabase.buildGraph, as `codegraph build --engine auto` runs it
// when the native package is installed), into <root>/.codegraph/graph.db. At
// its end the engine writes the journal header as changes.journal.tmp and
// renames it over changes.journal, taking no lock. Prints `built <header>`.
// With `hold`, keeps graph.db open afterwards (a codegraph build or watcher
// still running) until stdin reaches EOF, then prints `closed`.
import fs from 'node:fs';
import { args, codegraphDirs, die, emit, loadNative } from './lib.mjs';

const [dir, hold] = args('cg-native-build.mjs DIR [hold]', 1, 2);
if (hold !== undefined && hold !== 'hold') die(`unknown option '${hold}'`, 2);
const { rootDir, journalDir, journalPath } = codegraphDirs(dir);
fs.mkdirSync(journalDir, { recursive: true });
let db;
try {
    const native = loadNative();
    db = native.NativeDatabase.openReadWrite(`${journalDir}/graph.db`);
    db.initSchema();
    db.buildGraph(rootDir, JSON.stringify({ build: { incremental: true } }), '{}', '{}', '[]');
} catch (e) {
    die(`native build failed: ${e.message}`);
}
emit(`built ${fs.readFileSync(journalPath, 'utf8').split('\n')[0]}`);
if (hold === undefined) {
    db.close();
    process.exit(0);
}
process.stdin.resume();
process.stdin.on('end', () => {
    db.close();
    emit('closed');
    process.exit(0);
});
