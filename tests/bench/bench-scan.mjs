// SPDX-License-Identifier: GPL-3.0-or-later
// bench-scan.mjs BIN_DIR — the full-scan benchmark; prints one table.
// Generates (make-scan-workspace.mjs) a workspace with BENCH_TRAJECTORIES (100 000) index-era
// trajectory files and BENCH_CODEX_JOBS (10 000) codex job files, plus a 0.6.1-layout copy of the
// trajectories, then times, in one run and on the same warm page cache:
//   ours   stateward-cli scan WS --json > /dev/null
//   trail  the real `trail list` of agent-trajectories 0.6.1 (Node) on the 0.6.1 copy
//   floor  cat of every file in our two state dirs
//   start  stateward-cli --version: the memory floor (the binary, Qt and ICU loaded, nothing read)
// Each is run once to warm up (and to check that the scan saw every job: a benchmark of a broken
// scan is void), then BENCH_RUNS (3) interleaved rounds; the table shows the median. Wall time is
// measured here around the child; peak RSS is the child's ru_maxrss, through GNU time.
// The temp dir is removed at the end unless BENCH_KEEP=1.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pkg, trailEnv } from '../interop/trajectories/lib.mjs';
import { generateScanWorkspaceInParallel } from './make-scan-workspace.mjs';

const [binDir] = process.argv.slice(2);
if (!binDir) {
    process.stderr.write('usage: bench-scan.mjs BIN_DIR\n');
    process.exit(2);
}
const intEnv = (name, dflt, min) => {
    const v = Number(process.env[name] ?? dflt);
    if (!Number.isInteger(v) || v < min) {
        process.stderr.write(`bench-scan.mjs: ${name} must be an integer >= ${min}\n`);
        process.exit(2);
    }
    return v;
};
const TRAJECTORIES = intEnv('BENCH_TRAJECTORIES', 100000, 1);
const CODEX_JOBS = intEnv('BENCH_CODEX_JOBS', 10000, 1);
const RUNS = intEnv('BENCH_RUNS', 3, 1);
const KEEP = process.env.BENCH_KEEP === '1';
const GNU_TIME = '/usr/bin/time'; // package `time`, installed by scripts/deps
if (!fs.existsSync(GNU_TIME)) {
    process.stderr.write(`bench-scan.mjs: ${GNU_TIME} is missing (apt-get install time; scripts/deps does)\n`);
    process.exit(2);
}
const cli = path.resolve(binDir, 'stateward-cli');
if (!fs.existsSync(cli)) {
    process.stderr.write(`bench-scan.mjs: no ${cli} (scripts/build release)\n`);
    process.exit(2);
}
const trailBin = pkg('061').bin; // dies unless node_modules holds agent-trajectories 0.6.1 exactly

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sw-bench-scan-'));
const cleanup = () => {
    if (!KEEP) fs.rmSync(tmp, { recursive: true, force: true });
};
process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
});

// Runs argv under GNU time; returns seconds (wall, measured here), peak RSS in KB, and whatever
// was asked to be captured. stdout goes to /dev/null unless captured, as `> /dev/null` would.
const devNull = fs.openSync('/dev/null', 'w');
const rssFile = path.join(tmp, 'rss');
function measure(c, capture = false) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(GNU_TIME, ['-f', '%M', '-o', rssFile, ...c.argv], {
        cwd: c.cwd,
        env: c.env,
        stdio: ['ignore', capture ? 'pipe' : devNull, 'pipe'],
        maxBuffer: 1 << 30,
        encoding: 'utf8',
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.error) throw new Error(`${c.name}: ${r.error.message}`);
    if (!c.okCodes.includes(r.status)) throw new Error(`${c.name} exited ${r.status}: ${(r.stderr || '').trim().slice(0, 400)}`);
    // GNU time prefixes "Command exited with non-zero status N" for our scan's exit 1 (findings).
    const rssKb = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop());
    return { seconds, rssKb, stdout: r.stdout, stderr: r.stderr };
}

try {
    process.stderr.write(`bench-scan: generating ${TRAJECTORIES} trajectories (2 layouts) + ${CODEX_JOBS} codex jobs in ${tmp} …\n`);
    const m = await generateScanWorkspaceInParallel({ root: tmp, trajectories: TRAJECTORIES, codexJobs: CODEX_JOBS });
    process.stderr.write(`bench-scan: generated in ${m.seconds.toFixed(1)} s\n`);

    // Our scan sees only what the benchmark made: no inherited trajectories dir, codex root here.
    const oursEnv = { ...process.env, CLAUDE_PLUGIN_DATA: m.pluginData };
    for (const k of Object.keys(oursEnv)) if (/^TRAJECTORIES_|^TRAIL_/.test(k)) delete oursEnv[k];
    const ours = { name: 'stateward-cli scan --json', argv: [cli, 'scan', m.ws, '--json'], cwd: tmp, env: oursEnv, okCodes: [0, 1] };
    const trail = { name: 'trail list 0.6.1 (Node)', argv: [process.execPath, trailBin, 'list'], cwd: m.ws061, env: trailEnv(), okCodes: [0] };
    const floor = {
        name: 'floor: find | xargs cat',
        argv: ['sh', '-c', 'find "$1" "$2" -type f -print0 | xargs -0 cat > /dev/null', 'floor', m.trajDir, m.codexDir],
        cwd: tmp,
        env: process.env,
        okCodes: [0],
    };

    const start = { name: 'floor: cli --version', argv: [cli, '--version'], cwd: tmp, env: oursEnv, okCodes: [0] };

    // Warm-up, floor first: it pulls every file of ours into the page cache.
    process.stderr.write('bench-scan: warm-up and checks …\n');
    measure(floor);
    const oursWarm = measure(ours, true);
    const doc = JSON.parse(oursWarm.stdout);
    const snap = (family) => doc.snapshots.find((s) => s.family === family);
    const got = { trajectories: snap('trajectories')?.jobs.length ?? 0, codex: snap('codex')?.jobs.length ?? 0 };
    if (got.trajectories !== m.expectedTrajectoryJobs || got.codex !== m.expectedCodexJobs)
        throw new Error(
            `our scan is broken for this input: ${got.trajectories} trajectory jobs (want ${m.expectedTrajectoryJobs}), ` +
                `${got.codex} codex jobs (want ${m.expectedCodexJobs}); not timing it`,
        );
    const findings = doc.snapshots.reduce((n, s) => n + s.findings.length, 0);
    const jsonMb = Buffer.byteLength(oursWarm.stdout) / 1e6;
    const trailWarm = measure(trail, true);
    const shown = /^Found (\d+) trajectories/m.exec(trailWarm.stdout)?.[1];
    if (shown === undefined) throw new Error(`unrecognised 'trail list' output: ${JSON.stringify(trailWarm.stdout.slice(0, 200))}`);
    const trailNote = trailWarm.stderr.trim().split('\n').find((l) => l.startsWith('[trajectories]'));

    // Interleaved rounds: a slow spell on a shared machine hits every contender, not just one.
    const samples = new Map([ours, trail, floor, start].map((c) => [c, []]));
    for (let round = 1; round <= RUNS; round++) {
        process.stderr.write(`bench-scan: round ${round}/${RUNS} …\n`);
        for (const c of [floor, start, ours, trail]) samples.get(c).push(measure(c));
    }
    const median = (xs) => {
        const s = [...xs].sort((a, b) => a - b);
        return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    };
    const stat = (c) => ({
        name: c.name,
        t: median(samples.get(c).map((x) => x.seconds)),
        mb: median(samples.get(c).map((x) => x.rssKb)) / 1024,
        runs: samples.get(c).map((x) => x.seconds.toFixed(2)).join(' / '),
    });
    const [o, t, f, st] = [stat(ours), stat(trail), stat(floor), stat(start)];

    const rows = [];
    const mb = (b) => (b / 1e6).toFixed(0);
    rows.push(
        `Scan benchmark (${os.cpus().length} CPUs, ${os.tmpdir()}; ${m.trajectoryFiles} trajectory files + ${m.codexJobFiles} codex job files; ` +
            `median of ${RUNS} interleaved runs after a warm-up)`,
    );
    rows.push(`generated in ${m.seconds.toFixed(1)} s: ${m.files} files, ${mb(m.bytes)} MB in our state dirs; the same ${m.trajectoryFiles} trajectory files (${mb(m.trajBytes)} MB) in the 0.6.1 copy`);
    rows.push('');
    rows.push(`                                 time (s)   peak RSS (MB)   vs floor   vs trail   runs (s)`);
    for (const [r, mark] of [[o, '[1]'], [t, '[2]'], [f, '[3]'], [st, '[4]']]) {
        rows.push(
            `  ${`${r.name} ${mark}`.padEnd(30)} ${r.t.toFixed(3).padStart(8)}   ${r.mb.toFixed(1).padStart(13)}   ${(r.t / f.t).toFixed(2).padStart(7)}x  ${(r.t / t.t).toFixed(3).padStart(8)}x   ${r.runs}`,
        );
    }
    rows.push('');
    const met = (ok) => (ok ? 'met' : 'NOT met');
    rows.push(
        `targets: ours <= 1.5 s: ${met(o.t <= 1.5)} (${o.t.toFixed(3)} s); peak RSS <= 250 MB: ${met(o.mb <= 250)} (${o.mb.toFixed(0)} MB, ` +
            `${(o.mb - st.mb).toFixed(0)} MB over the ${st.mb.toFixed(0)} MB floor [4]); ` +
            `>= 10x faster than trail: ${met(t.t / o.t >= 10)} (${(t.t / o.t).toFixed(1)}x); <= 2x floor: ${met(o.t / f.t <= 2)} (${(o.t / f.t).toFixed(2)}x)`,
    );
    rows.push('');
    rows.push(
        `[1] ${got.trajectories} trajectory + ${got.codex} codex jobs and ${findings} findings reported, as expected ` +
            `for this input (${jsonMb.toFixed(1)} MB of JSON, to /dev/null).`,
    );
    rows.push(
        `[2] cwd = the 0.6.1 copy. FileStorage.initialize() -> reconcileIndex() reads, parses and zod-validates every ` +
            `trajectory file, then list() does it all again (2 reads per file), sorts all and keeps its default limit: ` +
            `it printed "Found ${shown} trajectories". Trajectories only, no codex.${trailNote ? ` stderr: ${trailNote}` : ''}`,
    );
    rows.push(`[3] find + xargs cat of every file in ours' .trajectories and codex state dir (${m.files} files), to /dev/null.`);
    rows.push(`[4] stateward-cli --version: what the process takes before it reads anything (its peak RSS is the floor of [1]'s).`);
    process.stdout.write(rows.join('\n') + '\n');
} finally {
    if (KEEP) process.stderr.write(`bench-scan: kept ${tmp}\n`);
    cleanup();
}
