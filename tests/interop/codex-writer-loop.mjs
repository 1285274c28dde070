// SPDX-License-Identifier: GPL-3.0-or-later
// codex-writer-loop.mjs STATEDIR COUNT [PAUSE_MS]
// A codex-companion (openai/codex-plugin-cc 1.0.5) writer: COUNT task jobs,
// each started (jobs/<id>.json, then state.json with the job unshifted as
// running) and then completed (jobs/<id>.json, then state.json upserted), as
// lib/state.mjs and lib/tracked-jobs.mjs do: every file JSON.stringify(x,
// null, 2) + "\n", written in place with fs.writeFileSync, no lock, no tmp.
// The job file comes PAUSE_MS/2 before its state.json write (upstream does
// work in between too): meanwhile a scan sees a job file state.json lacks,
// and a repair may rewrite state.json just as we do. Every even job starts
// under the PID of a worker that has already exited (upstream #222): until we
// complete it, a repair may rightly mark it failed, in state.json and in its
// job file, while we rewrite both.
//
// Sentinel: state.json gets a top-level `writerSeq`, incremented on every
// write of ours. Before each write we read state.json (upstream's
// read-modify-write) and check it still holds our last seq and our jobs as we
// last wrote them. We are the only writer of writerSeq, so anything else means
// someone replaced our latest version with one computed from an older read:
//   regressed LAST FOUND   writerSeq is not the one we last wrote
//   vanished ID            a job of ours is no longer in state.json
//   reverted ID WANT FOUND a job of ours has another status than we wrote
//                          (or, for a dead-worker job still running, than failed;
//                          once its job file says completed, than completed)
// (That we clobber someone else's change by writing is allowed: upstream
// does that too.) Prints `wrote ID SEQ` after each state.json write and
// `done COUNT SEQ FOREIGN` at the end, FOREIGN counting the reads that found
// state.json rewritten by someone else since our last write (kept, then). Never prunes: COUNT + existing jobs must stay
// within upstream's 50 (MAX_JOBS), so no job file is ever deleted.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { args, die, emit, intArg, sleepMs } from './lib.mjs';

const [dirArg, countArg, pauseArg = '0'] = args('codex-writer-loop.mjs STATEDIR COUNT [PAUSE_MS]', 2, 3);
const stateDir = path.resolve(dirArg);
const count = intArg(countArg, 'COUNT', 1);
const pause = intArg(pauseArg, 'PAUSE_MS');
const stateFile = path.join(stateDir, 'state.json');
const jobsDir = path.join(stateDir, 'jobs');
const MAX_JOBS = 50;

const json = (x) => `${JSON.stringify(x, null, 2)}\n`;
const now = () => new Date().toISOString();

// readState: state.json's text (null when missing) and the state in it. A missing file is
// upstream's default state; an unreadable one is damage here, since nobody else writes it in
// place (upstream would silently reset it).
function readState() {
    let text = null;
    try {
        text = fs.readFileSync(stateFile, 'utf8');
    } catch (e) {
        if (e.code !== 'ENOENT') die(`read ${stateFile}: ${e.message}`);
    }
    if (text === null) return { text, state: { version: 1, config: { stopReviewGate: false }, jobs: [] } };
    try {
        const state = JSON.parse(text);
        if (!Array.isArray(state.jobs)) throw new Error('no jobs array');
        return { text, state };
    } catch (e) {
        emit(`damaged ${JSON.stringify(e.message)}`);
        die(`${stateFile} is not a state (${text.length} bytes): ${e.message}`);
    }
}

const initial = readState().state;
let lastSeq = Number.isInteger(initial.writerSeq) ? initial.writerSeq : null;
if (initial.jobs.length + count > MAX_JOBS) die(`${initial.jobs.length} jobs + COUNT ${count} > ${MAX_JOBS}: upstream would prune`, 2);
const workspaceRoot = initial.jobs.find((j) => typeof j?.workspaceRoot === 'string')?.workspaceRoot ?? process.cwd();
const mine = new Map(); // id -> the statuses it may have: what we last wrote, or a repair's mark

// A worker that died at once: a child that has exited and been reaped.
function deadPid() {
    for (let i = 0; i < 5; i++) {
        const r = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
        let alive = false;
        try {
            process.kill(r.pid, 0);
            alive = true;
        } catch (e) {
            alive = e.code === 'EPERM';
        }
        if (r.pid && !alive) return r.pid;
    }
    die('could not obtain a dead pid');
}
const deadWorker = deadPid();

let lastText = null; // what we last wrote
let foreign = 0;

// The sentinel checks on a state just read.
function verify({ text, state }) {
    if (lastText !== null && text !== lastText) foreign++;
    const found = Number.isInteger(state.writerSeq) ? state.writerSeq : null;
    if (found !== lastSeq) emit(`regressed ${lastSeq} ${found}`);
    for (const [id, statuses] of mine) {
        const job = state.jobs.find((j) => j?.id === id);
        // Reported once each: the job stays as found.
        if (!job) {
            emit(`vanished ${id}`);
            mine.delete(id);
        } else if (!statuses.includes(job.status)) {
            emit(`reverted ${id} ${statuses[0]} ${job.status}`);
            mine.set(id, [job.status]);
        }
    }
    return state;
}

// One upstream read-modify-write of state.json, checked first.
function updateState(mutate) {
    const state = verify(readState());
    mutate(state);
    state.writerSeq = (lastSeq ?? 0) + 1;
    lastText = json(state);
    fs.writeFileSync(stateFile, lastText, 'utf8');
    lastSeq = state.writerSeq;
}

// upsertJob: a new job goes to the front; an existing one is shallow-merged, updatedAt fresh.
function upsertJob(state, patch) {
    const at = state.jobs.findIndex((j) => j?.id === patch.id);
    if (at < 0) state.jobs.unshift({ createdAt: now(), updatedAt: now(), ...patch });
    else state.jobs[at] = { ...state.jobs[at], ...patch, updatedAt: now() };
}

const ids = new Set(initial.jobs.map((j) => j?.id));
function newJobId() {
    // generateJobId('task'): `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    for (;;) {
        const id = `task-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
        if (!ids.has(id) && !fs.existsSync(path.join(jobsDir, `${id}.json`))) {
            ids.add(id);
            return id;
        }
    }
}

fs.mkdirSync(jobsDir, { recursive: true });
for (let n = 1; n <= count; n++) {
    const id = newJobId();
    const logFile = path.join(jobsDir, `${id}.log`);
    const record = {
        id, kind: 'task', kindLabel: 'rescue', title: 'Codex Task', workspaceRoot, jobClass: 'task',
        summary: `writer loop job ${n}`, write: true, createdAt: now(),
    };
    const dies = n % 2 === 0;
    const running = { status: 'running', phase: 'investigating', pid: dies ? deadWorker : process.pid, logFile, startedAt: now() };
    fs.writeFileSync(logFile, `[${record.createdAt}] Starting Codex Task.\n`, 'utf8');
    fs.writeFileSync(path.join(jobsDir, `${id}.json`), json({ ...record, ...running }), 'utf8');
    if (pause > 1) sleepMs(pause / 2);
    updateState((state) => upsertJob(state, { ...record, ...running }));
    mine.set(id, dies ? ['running', 'failed'] : ['running']);
    emit(`wrote ${id} ${lastSeq}`);
    if (pause > 0) sleepMs(pause);

    const rendered = `Done: writer loop job ${n}.`;
    const completed = { ...running, status: 'completed', phase: 'done', pid: null, completedAt: now() };
    fs.appendFileSync(logFile, `\n[${completed.completedAt}] Final output\n${rendered}\n`, 'utf8');
    fs.writeFileSync(
        path.join(jobsDir, `${id}.json`),
        json({ ...record, ...completed, result: { status: 0, finalMessage: rendered }, rendered }),
        'utf8',
    );
    // From here a repair may bring state.json in line with the finished job file ahead of us.
    if (dies) mine.set(id, [...mine.get(id), 'completed']);
    if (pause > 1) sleepMs(pause / 2);
    updateState((state) => upsertJob(state, { id, ...completed }));
    mine.set(id, ['completed']);
    emit(`wrote ${id} ${lastSeq}`);
    if (pause > 0) sleepMs(pause);
}
// The final check: our last version must still be there.
verify(readState());
emit(`done ${count} ${lastSeq} ${foreign}`);
