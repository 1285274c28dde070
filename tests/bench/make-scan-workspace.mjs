// SPDX-License-Identifier: GPL-3.0-or-later
// make-scan-workspace.mjs ROOT [--trajectories N] [--codex-jobs N] [--seed N]
//
// Writes the scan benchmark's input under ROOT (which must be empty or absent) and prints a JSON
// manifest. Importable: generateScanWorkspaceInParallel({ root, trajectories, codexJobs, seed })
// runs two copies of this script, one per layout; generateScanWorkspace({ …, parts }) writes the
// parts named ('index' trajectories, 'codex', '061' trajectories) in this process.
//
//   ROOT/ws/.trajectories/             index era (agent-trajectories <= 0.5.6, docs/formats/trajectories.md)
//       index.json                     lists most records, not all (see below)
//       active/<id>.json               ~1 % of the records
//       completed/YYYY-MM/<id>.json    the rest (local-time month of completedAt, as FileStorage.save)
//   ROOT/plugin-data/state/<slug>-<sha256(realpath(ws))[:16]>/   Codex plugin (docs/formats/codex.md)
//       state.json                     most jobs, newest first, over upstream's limit of 50
//       jobs/<id>.json                 every job; jobs/<id>.log for one job in 10
//   ROOT/ws061/.agentworkforce/trajectories/   the same trajectory files, byte for byte, in the
//       0.6.1 layout: active/<id>/trajectory.json, completed/YYYY-MM/<id>/trajectory.json
//
// N trajectory files in each copy, of which N/10000 are torn (half written), N/10000 are a stale
// active/ copy of a completed trajectory (a crash between write and unlink); the index misses 1 in
// 50 records, has a stale status for 1 in 200, and names N/1000 files that do not exist. Of the
// codex jobs 1 in 20 has a file but no state.json entry, 2 in 100 are queued/running with a dead
// PID, and state.json names J/1000 jobs whose files are gone. That is real work for a scanner: the
// findings it must report, not just files it must read. Same seed, same bytes (paths aside).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const WORDS = (
    'parser lock index cache journal broker socket retry backoff storage reader writer schema ' +
    'migration config token session worker queue timeout upload client pagination helper test ' +
    'flaky build release daemon signal process tmp file rename fsync atomic compaction trace'
).split(' ');
const VERBS = ['Fix', 'Add', 'Refactor', 'Investigate', 'Document', 'Speed up', 'Harden', 'Remove', 'Split', 'Port'];
const AGENTS = ['alice', 'bob', 'carol', 'dave', 'default', 'orchestrator'];
const SOURCES = ['github', 'linear', 'jira', 'plain'];

function prng(seed) {
    let s = seed >>> 0 || 0x9e3779b9;
    return () => {
        // xorshift32: deterministic and fast; quality is irrelevant here
        s ^= s << 13;
        s >>>= 0;
        s ^= s >>> 17;
        s ^= s << 5;
        s >>>= 0;
        return s / 0x100000000;
    };
}

// Returns what CodexSource::stateDirName and upstream's resolveStateDir compute for ws: the nearest
// ancestor holding .git (what `git rev-parse --show-toplevel` finds), else ws itself.
function codexStateDirName(ws) {
    const real = fs.realpathSync(ws);
    let root = real;
    for (let d = real; ; d = path.dirname(d)) {
        if (fs.existsSync(path.join(d, '.git'))) {
            root = d;
            break;
        }
        if (path.dirname(d) === d) break;
    }
    const slug = path.basename(root).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'workspace';
    return `${slug}-${createHash('sha256').update(fs.realpathSync(root)).digest('hex').slice(0, 16)}`;
}

function deadPid() {
    // A child that has exited and been reaped: its PID names no process (until reused).
    const r = spawnSync('true');
    if (!r.pid) throw new Error('could not spawn `true` for a dead PID');
    return r.pid;
}

export function generateScanWorkspace({ root, trajectories = 100000, codexJobs = 10000, seed = 1, parts = ['index', 'codex', '061'] }) {
    const t0 = process.hrtime.bigint();
    fs.mkdirSync(root, { recursive: true });
    root = fs.realpathSync(root); // index paths must match what the scanner resolves
    const rand = prng(seed);
    const pick = (xs) => xs[Math.floor(rand() * xs.length)];
    const words = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
    const hex = (n) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
    const b36 = (n) => Array.from({ length: n }, () => Math.floor(rand() * 36).toString(36)).join('');
    const iso = (ms) => new Date(ms).toISOString();
    const monthOf = (ms) => {
        const d = new Date(ms); // local time, as FileStorage.save()
        return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
    };
    const json = (x) => `${JSON.stringify(x, null, 2)}\n`;
    const baseMs = Date.parse('2026-11-01T09:00:00.000Z');
    let files = 0;
    let bytes = 0;
    const write = (p, text) => {
        fs.writeFileSync(p, text);
        files++;
        bytes += Buffer.byteLength(text);
    };

    // ---- trajectories -----------------------------------------------------------------------
    const ws = path.join(root, 'ws');
    const trajDir = path.join(ws, '.trajectories');
    const ws061 = path.join(root, 'ws061');
    const trajDir061 = path.join(ws061, '.agentworkforce', 'trajectories');
    for (const d of [path.join(trajDir, 'active'), path.join(trajDir, 'completed'), path.join(trajDir061, 'active'), path.join(trajDir061, 'completed')])
        fs.mkdirSync(d, { recursive: true });

    const nInvalid = Math.floor(trajectories / 10000);
    const nDup = Math.floor(trajectories / 10000);
    const nUnique = trajectories - nInvalid - nDup;
    const ids = new Set();
    const newId = () => {
        for (;;) {
            const id = `traj_${b36(12)}`;
            if (!ids.has(id)) return ids.add(id), id;
        }
    };
    const months = new Set();
    const place = (id, completedMs, asActive) => {
        if (asActive) return { rel: `active/${id}.json`, rel061: `active/${id}/trajectory.json` };
        const m = monthOf(completedMs);
        if (!months.has(m)) {
            months.add(m);
            if (parts.includes('index')) fs.mkdirSync(path.join(trajDir, 'completed', m));
            if (parts.includes('061')) fs.mkdirSync(path.join(trajDir061, 'completed', m));
        }
        return { rel: `completed/${m}/${id}.json`, rel061: `completed/${m}/${id}/trajectory.json` };
    };
    let trajFiles = 0;
    let trajBytes = 0;
    const writeTraj = ({ rel, rel061 }, text) => {
        trajFiles++;
        trajBytes += Buffer.byteLength(text);
        if (parts.includes('index')) write(path.join(trajDir, rel), text);
        if (parts.includes('061')) {
            const p061 = path.join(trajDir061, rel061);
            fs.mkdirSync(path.dirname(p061));
            fs.writeFileSync(p061, text);
        }
    };
    const entries = {};
    const every = Math.max(1, Math.floor(nUnique / (Math.max(nDup, nInvalid) + 1)));
    let dups = 0;
    let torn = 0;
    // Two years of work, newest first, a few minutes apart.
    const span = 730 * 86400000;
    for (let i = 0; i < nUnique; i++) {
        const startedMs = baseMs - Math.floor((i / nUnique) * span) - Math.floor(rand() * 600000);
        const status = i % 100 === 0 ? 'active' : i % 10 === 3 ? 'abandoned' : 'completed';
        const agent = pick(AGENTS);
        const title = `${pick(VERBS)} ${words(2 + Math.floor(rand() * 5))}`;
        const task = { title };
        if (rand() < 0.3) {
            const system = pick(SOURCES);
            const n = String(1 + Math.floor(rand() * 5000));
            task.source = system === 'github' ? { system, id: n, url: `https://github.com/stateward/bench/issues/${n}` } : { system, id: n };
        }
        const completedMs = startedMs + 60000 + Math.floor(rand() * 7200000);
        const events = [];
        const decisions = 1 + Math.floor(rand() * 3); // 1-3 decisions: 1-3 KB per record
        for (let k = 0; k < decisions; k++) {
            const chosen = `${pick(VERBS).toLowerCase()} the ${words(2)}`;
            const alternatives = Array.from({ length: Math.floor(rand() * 3) }, () => ({ option: words(2), reason: `${words(5)}` }));
            events.push({
                ts: startedMs + 30000 * (k + 1),
                type: 'decision',
                content: `${chosen}: ${words(6)}`,
                raw: { question: `How to handle the ${words(3)}?`, chosen, alternatives, reasoning: `${words(8 + Math.floor(rand() * 10))}.` },
                significance: 'high',
            });
        }
        if (status === 'abandoned') events.push({ ts: completedMs, type: 'note', content: `Abandoned: ${words(5)}`, significance: 'high' });
        const chapter = {
            id: `chap_${b36(12)}`,
            title: agent === 'default' ? 'Work' : 'Initial work',
            agentName: agent,
            startedAt: iso(startedMs),
            ...(status === 'active' ? {} : { endedAt: iso(completedMs) }),
            events,
        };
        const commits = status === 'completed' ? Array.from({ length: 1 + Math.floor(rand() * 3) }, () => hex(7)) : [];
        const rec = {
            id: newId(),
            version: 1,
            task,
            status,
            startedAt: iso(startedMs),
            agents: [{ name: agent, role: 'lead', joinedAt: iso(startedMs) }],
            chapters: [chapter],
            commits,
            filesChanged: commits.length ? Array.from({ length: commits.length + 1 }, () => `src/${pick(WORDS)}/${pick(WORDS)}.ts`) : [],
            projectId: 'stateward/bench',
            tags: rand() < 0.2 ? [pick(WORDS)] : [],
            _trace: status === 'completed' ? { startRef: hex(40), endRef: hex(40), traceId: `trace_${b36(12)}` } : { startRef: hex(40) },
        };
        // 0.4.1 spreads completedAt and retrospective last (tests/interop/trajectories/README.md).
        if (status !== 'active') rec.completedAt = iso(completedMs);
        if (status === 'completed')
            rec.retrospective = { summary: `${title}: ${words(10)}.`, approach: `${words(12)}.`, confidence: Math.round(rand() * 100) / 100 };
        const where = place(rec.id, completedMs, status === 'active');
        writeTraj(where, json(rec));
        if (i % 50 !== 7) {
            // else lost from the index by a racing save
            const stale = status !== 'active' && i % 200 === 11; // reconciled while still active
            entries[rec.id] = {
                title,
                status: stale ? 'active' : status,
                startedAt: rec.startedAt,
                ...(rec.completedAt && !stale ? { completedAt: rec.completedAt } : {}),
                path: path.join(trajDir, stale ? `active/${rec.id}.json` : where.rel),
            };
        }
        if (status === 'completed' && dups < nDup && i >= every * (dups + 1)) {
            // A stale active/ copy, written before the crash that skipped the unlink.
            const earlier = { ...rec, status: 'active' };
            delete earlier.completedAt;
            delete earlier.retrospective;
            writeTraj(place(rec.id, 0, true), json(earlier));
            dups++;
        }
        if (status !== 'active' && torn < nInvalid && i >= every * (torn + 1) + 1) {
            // A torn file: the first half of a record, as a non-atomic writeFile leaves it.
            const id = newId();
            const text = json({ ...rec, id });
            writeTraj(place(id, completedMs, false), text.slice(0, Math.floor(text.length / 2)));
            torn++;
        }
    }
    // Index entries that name files that do not exist.
    for (let k = 0; k < Math.floor(trajectories / 1000); k++) {
        const id = newId();
        const startedMs = baseMs - Math.floor(rand() * span);
        entries[id] = {
            title: `${pick(VERBS)} ${words(3)}`,
            status: 'completed',
            startedAt: iso(startedMs),
            completedAt: iso(startedMs + 600000),
            path: path.join(trajDir, `completed/${monthOf(startedMs + 600000)}/${id}.json`),
        };
    }
    if (parts.includes('index')) write(path.join(trajDir, 'index.json'), json({ version: 1, lastUpdated: iso(baseMs), trajectories: entries }));

    // ---- codex ------------------------------------------------------------------------------
    const pluginData = path.join(root, 'plugin-data');
    const codexDir = path.join(pluginData, 'state', codexStateDirName(ws));
    const jobsDir = path.join(codexDir, 'jobs');
    if (parts.includes('codex')) fs.mkdirSync(jobsDir, { recursive: true });
    const gone = parts.includes('codex') ? deadPid() : 0;
    const KINDS = {
        task: { prefix: 'task', kindLabel: 'rescue', title: 'Codex Task', jobClass: 'task', phase: 'investigating' },
        review: { prefix: 'review', kindLabel: 'review', title: 'Codex Review', jobClass: 'review', phase: 'reviewing' },
        'adversarial-review': { prefix: 'review', kindLabel: 'adversarial-review', title: 'Codex Adversarial Review', jobClass: 'review', phase: 'reviewing' },
    };
    const uuid7 = (ms) => {
        const t = ms.toString(16).padStart(12, '0');
        return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${hex(3)}-${(8 + Math.floor(rand() * 4)).toString(16)}${hex(3)}-${hex(12)}`;
    };
    const jobIds = new Set();
    const makeJob = (i, createdMs) => {
        const r = i % 100;
        const status = r === 0 ? 'queued' : r === 1 ? 'running' : r < 12 ? 'failed' : r < 20 ? 'cancelled' : 'completed';
        const kind = status === 'queued' ? 'task' : ['task', 'review', 'adversarial-review'][i % 3];
        const k = KINDS[kind];
        let id;
        do id = `${k.prefix}-${createdMs.toString(36)}-${b36(6)}`;
        while (jobIds.has(id));
        jobIds.add(id);
        const logFile = path.join(jobsDir, `${id}.log`);
        const prompt = `${pick(VERBS)} ${words(6 + Math.floor(rand() * 20))}`;
        const record = {
            id, kind, kindLabel: k.kindLabel, title: k.title, workspaceRoot: ws, jobClass: k.jobClass,
            summary: kind === 'task' ? prompt.slice(0, 120) : `${kind === 'review' ? 'Review' : 'Adversarial Review'} working tree diff`,
            ...(kind === 'task' ? { write: true } : {}),
            createdAt: iso(createdMs),
        };
        const request = kind === 'task' ? { cwd: ws, model: null, effort: null, prompt, write: true, resumeLast: false, jobId: id } : null;
        const startedMs = createdMs + 250 + Math.floor(rand() * 500);
        let patch;
        let updatedMs;
        let extra = {};
        if (status === 'queued') {
            updatedMs = createdMs + 40;
            patch = { status, phase: 'queued', pid: gone, logFile, request };
        } else {
            const running = { status: 'running', startedAt: iso(startedMs), phase: k.phase, pid: gone, logFile, ...(request ? { request } : {}), threadId: uuid7(startedMs + 400), turnId: uuid7(startedMs + 900) };
            const completedMs = startedMs + 60000 + Math.floor(rand() * 240000);
            const completedAt = iso(completedMs);
            updatedMs = status === 'running' ? startedMs + 900 : completedMs;
            if (status === 'running') patch = running;
            else if (status === 'completed') {
                const rendered = kind === 'task' ? `Done. ${prompt}: changes applied and tests pass.` : `# Codex Review\n\n${words(20)}.`;
                patch = { ...running, status, phase: 'done', pid: null, completedAt };
                extra = { result: { status: 0, finalMessage: rendered }, rendered };
            } else if (status === 'failed') patch = { ...running, status, phase: 'failed', pid: null, errorMessage: 'codex app-server exited unexpectedly (code 1).', completedAt };
            else {
                patch = { ...running, status, phase: 'cancelled', pid: null, completedAt, errorMessage: 'Cancelled by user.' };
                extra = { cancelledAt: completedAt };
            }
        }
        const entry = { createdAt: record.createdAt, updatedAt: iso(updatedMs), ...record, ...patch };
        const file = status === 'cancelled' ? { ...entry, ...extra } : { ...record, ...patch, ...extra };
        const log = `[${iso(createdMs)}] Starting ${k.title}.\n[${iso(startedMs + 400)}] Thread ready.\n[${iso(updatedMs)}] ${status}.\n`;
        return { id, entry, file, log };
    };
    const stateJobs = [];
    let unindexed = 0;
    let codexBytes = 0;
    const writeCodex = (p, text) => {
        codexBytes += Buffer.byteLength(text);
        write(p, text);
    };
    for (let i = 0; i < (parts.includes('codex') ? codexJobs : 0); i++) {
        const job = makeJob(i, baseMs - i * 7 * 60000);
        writeCodex(path.join(jobsDir, `${job.id}.json`), json(job.file));
        if (i % 10 === 0) writeCodex(path.join(jobsDir, `${job.id}.log`), job.log);
        if (i % 20 !== 3) stateJobs.push(job.entry); // 1 in 20 lost from state.json by a racing save
        else unindexed++;
    }
    if (parts.includes('codex')) {
        for (let i = 0; i < Math.floor(codexJobs / 1000); i++) stateJobs.push(makeJob(1000 * i + 50, baseMs - i * 3 * 60000 - 1000).entry);
        stateJobs.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)); // saveState's order
        writeCodex(path.join(codexDir, 'state.json'), json({ version: 1, config: { stopReviewGate: false }, jobs: stateJobs }));
    }

    return {
        root,
        ws,
        trajDir,
        ws061,
        trajDir061,
        pluginData,
        codexDir,
        trajectoryFiles: trajFiles,
        codexJobFiles: parts.includes('codex') ? codexJobs : 0,
        files, // everything under ws and the codex state dir
        bytes,
        trajBytes,
        codexBytes,
        indexEntries: Object.keys(entries).length,
        stateJobs: stateJobs.length,
        // What a correct scan must report as jobs: one per valid trajectory id (torn files are
        // findings, stale copies merge), and every state.json entry plus every unindexed job file.
        expectedTrajectoryJobs: nUnique,
        expectedCodexJobs: stateJobs.length + unindexed,
        seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    };
}

// Both copies at once, one process each: creating ~200 000 files and 100 000 directories is
// kernel work that a second core halves. The seed makes both processes generate the same records.
export function generateScanWorkspaceInParallel({ root, trajectories = 100000, codexJobs = 10000, seed = 1 }) {
    const t0 = process.hrtime.bigint();
    fs.mkdirSync(root, { recursive: true });
    const children = [];
    const run = (parts) =>
        new Promise((resolve, reject) => {
            const args = [fileURLToPath(import.meta.url), root, '--trajectories', String(trajectories), '--codex-jobs', String(codexJobs), '--seed', String(seed), '--parts', parts];
            const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
            children.push(child);
            let out = '';
            child.stdout.on('data', (d) => (out += d));
            child.on('error', reject);
            child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`make-scan-workspace.mjs --parts ${parts} exited ${code}`))));
        });
    const both = Promise.all([run('index,codex'), run('061')]);
    both.catch(() => children.forEach((c) => c.exitCode === null && c.kill())); // no half left writing
    return both.then(([ours, theirs]) => {
        if (ours.trajBytes !== theirs.trajBytes || ours.trajectoryFiles !== theirs.trajectoryFiles)
            throw new Error(`the two trajectory copies differ: ${ours.trajectoryFiles} files, ${ours.trajBytes} bytes vs ${theirs.trajectoryFiles}, ${theirs.trajBytes}`);
        return { ...ours, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
    });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
    const a = process.argv.slice(2);
    const opt = (name, dflt) => {
        const i = a.indexOf(`--${name}`);
        if (i < 0) return dflt;
        const v = Number(a.splice(i, 2)[1]);
        if (!Number.isInteger(v) || v < 0) {
            process.stderr.write(`make-scan-workspace.mjs: --${name} needs a non-negative integer\n`);
            process.exit(2);
        }
        return v;
    };
    const trajectories = opt('trajectories', 100000);
    const codexJobs = opt('codex-jobs', 10000);
    const seed = opt('seed', 1);
    const pi = a.indexOf('--parts'); // internal: what one of the two parallel halves writes
    const parts = pi < 0 ? null : a.splice(pi, 2)[1].split(',');
    if (a.length !== 1 || (parts && !parts.every((p) => ['index', 'codex', '061'].includes(p)))) {
        process.stderr.write('usage: make-scan-workspace.mjs ROOT [--trajectories N] [--codex-jobs N] [--seed N]\n');
        process.exit(2);
    }
    const root = path.resolve(a[0]);
    if (!parts && fs.existsSync(root) && fs.readdirSync(root).length) {
        process.stderr.write(`make-scan-workspace.mjs: ${root} is not empty\n`);
        process.exit(2);
    }
    const manifest = parts
        ? generateScanWorkspace({ root, trajectories, codexJobs, seed, parts })
        : await generateScanWorkspaceInParallel({ root, trajectories, codexJobs, seed });
    process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
}
