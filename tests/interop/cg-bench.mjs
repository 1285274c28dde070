// SPDX-License-Identifier: GPL-3.0-or-later
// cg-bench.mjs DIR OPS
// Uncontended cost of codegraph's real append path: OPS back-to-back calls of
// appendJournalEntries(root, [{file: `bench-line-${i}`}]), each one = mkdir -p,
// tmp sweep (readdir), lock create+stamp, existsSync, appendFileSync, release
// (close, read-back, unlink). Wall time of the loop / OPS; no warm-up, the
// first (JIT-cold) calls are included. Prints one JSON line.
import { args, codegraphDirs, die, emit, intArg, loadJournal } from './lib.mjs';

const [dir, opsArg] = args('cg-bench.mjs DIR OPS', 2);
const ops = intArg(opsArg, 'OPS', 1);
const { rootDir } = codegraphDirs(dir);
const { appendJournalEntries } = await loadJournal();

const t0 = process.hrtime.bigint();
try {
    for (let i = 0; i < ops; i++) appendJournalEntries(rootDir, [{ file: `bench-line-${i}` }]);
} catch (e) {
    die(`append failed: ${e.message}`);
}
const ns = Number(process.hrtime.bigint() - t0);
emit(JSON.stringify({ impl: 'codegraph', op: 'uncontended', ops, ns_per_op: Math.round(ns / ops) }));
