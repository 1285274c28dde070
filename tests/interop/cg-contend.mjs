// SPDX-License-Identifier: GPL-3.0-or-later
// cg-contend.mjs DIR OPS [START_EPOCH_MS]
// One worker of the contended benchmark (run 8 at once on the same DIR).
// Optionally sleeps until Date.now() >= START_EPOCH_MS so that all workers
// start together, then does OPS calls of the real appendJournalEntries, each
// with one line `contend-<pid>-<i>`. A latency sample is the wall time of one
// call (lock wait incl. codegraph's 25 ms busy-spin retries + append +
// release), in integer microseconds, in call order. Prints one JSON line:
// {"impl":"codegraph","op":"contended","pid":P,"ops":N,"failed":F,"latencies_us":[...]}
// A call that throws (codegraph gives up after 5000 ms) is counted in
// "failed", not in latencies_us, and makes the exit status 3.
import fs from 'node:fs';
import { args, codegraphDirs, emit, intArg, loadJournal, sleepMs } from './lib.mjs';

const [dir, opsArg, startArg] = args('cg-contend.mjs DIR OPS [START_EPOCH_MS]', 2, 3);
const ops = intArg(opsArg, 'OPS', 1);
const { rootDir } = codegraphDirs(dir);
const { appendJournalEntries } = await loadJournal();

if (startArg !== undefined) {
    const start = intArg(startArg, 'START_EPOCH_MS');
    for (let left; (left = start - Date.now()) > 0; ) sleepMs(left);
}

// Entry into the critical section is codegraph's append call under its lock; exit is the return
// of appendJournalEntries, after its release. Same clock as CLOCK_MONOTONIC (libuv hrtime).
const { journalPath } = codegraphDirs(dir);
const realAppend = fs.appendFileSync;
let entered = 0n;
fs.appendFileSync = function (file, ...rest) {
    if (file === journalPath) entered = process.hrtime.bigint();
    return realAppend.call(this, file, ...rest);
};
const intervals = [];
const latencies = [];
let failed = 0;
let lastError = '';
for (let i = 0; i < ops; i++) {
    const t0 = process.hrtime.bigint();
    try {
        appendJournalEntries(rootDir, [{ file: `contend-${process.pid}-${i}` }]);
    } catch (e) {
        failed++;
        lastError = e.message;
        continue;
    }
    const t1 = process.hrtime.bigint();
    latencies.push(Math.round(Number(t1 - t0) / 1000));
    intervals.push([Number(entered), Number(t1)]);
}
emit(JSON.stringify({ impl: 'codegraph', op: 'contended', pid: process.pid, ops, failed, latencies_us: latencies, intervals }));
if (failed) {
    process.stderr.write(`cg-contend.mjs: ${failed}/${ops} appends failed: ${lastError}\n`);
    process.exit(3);
}
