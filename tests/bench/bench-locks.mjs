// SPDX-License-Identifier: GPL-3.0-or-later
// bench-locks.mjs BIN_DIR INTEROP_DIR — runs the lock benchmark and prints one table.
// Uncontended: lock + append one line + release per op, for the raw-syscall floor, ours and the
// real codegraph lock (median of 3 runs). Contended: 8 processes hammer one lock; hand-off
// latency is the gap from one holder's release to the next holder's entry, merged over all
// processes by CLOCK_MONOTONIC.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [binDir, interopDir] = process.argv.slice(2);
if (!binDir || !interopDir) {
    process.stderr.write('usage: bench-locks.mjs BIN_DIR INTEROP_DIR\n');
    process.exit(2);
}
const UNCONTENDED_OPS = Number(process.env.BENCH_OPS ?? 5000);
const CONTENDERS = 8;
const CONTENDED_OPS = Number(process.env.BENCH_CONTENDED_OPS ?? 250);
const RUNS = 3;

function freshDir() {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-bench-'));
    const dir = path.join(root, '.codegraph');
    fs.mkdirSync(dir);
    return { root, dir };
}

function runJson(cmd, args) {
    const out = execFileSync(cmd, args, { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop());
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function uncontended(name, cmd, argsFor) {
    const samples = [];
    for (let i = 0; i < RUNS; i++) {
        const { root, dir } = freshDir();
        samples.push(runJson(cmd, argsFor(dir)).ns_per_op);
        fs.rmSync(root, { recursive: true, force: true });
    }
    return { name, nsPerOp: median(samples), samples };
}

function contended(name, cmd, argsFor) {
    const { root, dir } = freshDir();
    const start = Date.now() + 1500;
    const children = [];
    for (let i = 0; i < CONTENDERS; i++) {
        children.push(
            new Promise((resolve, reject) => {
                const p = spawn(cmd, argsFor(dir, start), { stdio: ['ignore', 'pipe', 'inherit'] });
                let out = '';
                p.stdout.on('data', (d) => (out += d));
                p.on('close', (code) =>
                    code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`${name} exited ${code}`)),
                );
            }),
        );
    }
    return Promise.all(children).then((results) => {
        const intervals = results.flatMap((r) => r.intervals.map(([a, b]) => [a, b, r.pid])).sort((a, b) => a[0] - b[0]);
        const gaps = [];
        const crossGaps = []; // the lock passed to another process, not re-taken by the releaser
        for (let i = 1; i < intervals.length; i++) {
            const gap = Math.max(0, intervals[i][0] - intervals[i - 1][1]) / 1000;
            gaps.push(gap);
            if (intervals[i][2] !== intervals[i - 1][2]) crossGaps.push(gap);
        }
        crossGaps.sort((a, b) => a - b);
        // The same journal must hold every line exactly once: a benchmark of a broken lock is void.
        const lines = fs.readFileSync(path.join(dir, 'changes.journal'), 'utf8').split('\n').filter((l) => l.startsWith('contend-'));
        const unique = new Set(lines).size;
        fs.rmSync(root, { recursive: true, force: true });
        gaps.sort((a, b) => a - b);
        return {
            name, handoffs: gaps.length, p50: pct(gaps, 50), p90: pct(gaps, 90), p99: pct(gaps, 99), lines: lines.length, unique,
            cross: { n: crossGaps.length, p50: pct(crossGaps, 50), p90: pct(crossGaps, 90), p99: pct(crossGaps, 99) },
        };
    });
}

const node = process.execPath;
const script = (s) => path.join(interopDir, s);
const floor = uncontended('floor (raw syscalls)', path.join(binDir, 'sw-floor'), (d) => [d, String(UNCONTENDED_OPS)]);
const ours = uncontended('stateward LockFile', path.join(binDir, 'sw-lockbench'), (d) => ['uncontended', d, String(UNCONTENDED_OPS)]);
const cg = uncontended('codegraph 3.11.2 (Node)', node, (d) => [script('cg-bench.mjs'), d, String(UNCONTENDED_OPS)]);
const oursC = await contended('stateward LockFile', path.join(binDir, 'sw-lockbench'), (d, s) => ['contend', d, String(CONTENDED_OPS), String(s)]);
const cgC = await contended('codegraph 3.11.2 (Node)', node, (d, s) => [script('cg-contend.mjs'), d, String(CONTENDED_OPS), String(s)]);

const us = (ns) => (ns / 1000).toFixed(1);
const rows = [];
rows.push(`Lock benchmark (${os.cpus().length} CPUs, ${os.tmpdir()}; ${UNCONTENDED_OPS} ops x ${RUNS} runs, median)`);
rows.push('');
rows.push('uncontended lock + append + release   µs/op    vs floor   vs codegraph   runs (µs)');
for (const r of [floor, ours, cg]) {
    rows.push(
        `  ${r.name.padEnd(36)} ${us(r.nsPerOp).padStart(7)}    ${(r.nsPerOp / floor.nsPerOp).toFixed(2).padStart(5)}x   ${(r.nsPerOp / cg.nsPerOp).toFixed(2).padStart(8)}x     ${r.samples.map(us).join(' / ')}`,
    );
}
rows.push('');
rows.push(`contended hand-off, ${CONTENDERS} processes x ${CONTENDED_OPS} ops    p50 ms   p90 ms   p99 ms   lines (unique)`);
for (const r of [oursC, cgC]) {
    rows.push(
        `  ${r.name.padEnd(36)} ${(r.p50 / 1000).toFixed(3).padStart(7)}  ${(r.p90 / 1000).toFixed(3).padStart(7)}  ${(r.p99 / 1000).toFixed(3).padStart(7)}   ${r.lines} (${r.unique})`,
    );
}
rows.push(`  between different processes only:`);
for (const r of [oursC, cgC]) {
    rows.push(
        `  ${(r.name + ` (${r.cross.n} of ${r.handoffs})`).padEnd(36)} ${(r.cross.p50 / 1000).toFixed(3).padStart(7)}  ${(r.cross.p90 / 1000).toFixed(3).padStart(7)}  ${(r.cross.p99 / 1000).toFixed(3).padStart(7)}`,
    );
}
rows.push(`  ratio stateward / codegraph (all)     ${(oursC.p50 / Math.max(cgC.p50, 1e-9)).toFixed(2).padStart(6)}x ${(oursC.p90 / Math.max(cgC.p90, 1e-9)).toFixed(2).padStart(7)}x ${(oursC.p99 / Math.max(cgC.p99, 1e-9)).toFixed(2).padStart(7)}x`);
rows.push('');
const okU = ours.nsPerOp <= 1.5 * floor.nsPerOp;
const okC = oursC.p50 <= 2000;
rows.push(`targets: uncontended <= 1.5x floor: ${okU ? 'met' : 'NOT met'} (${(ours.nsPerOp / floor.nsPerOp).toFixed(2)}x); contended p50 <= 2 ms: ${okC ? 'met' : 'NOT met'} (${(oursC.p50 / 1000).toFixed(3)} ms)`);
for (const r of [oursC, cgC]) if (r.lines !== r.unique || r.lines !== CONTENDERS * CONTENDED_OPS) rows.push(`WARNING: ${r.name} journal has ${r.lines} lines, ${r.unique} unique, expected ${CONTENDERS * CONTENDED_OPS}`);
process.stdout.write(rows.join('\n') + '\n');
