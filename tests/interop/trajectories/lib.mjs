// SPDX-License-Identifier: GPL-3.0-or-later
// Shared helpers for the agent-trajectories drivers. The only place that
// knows where the aliased installs live inside node_modules.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// alias in package.json -> exact upstream version it must be: every published version from 0.3.1 on
// (0.2.3 and 0.3.0 share 0.3.1's storage code).
export const VERSIONS = Object.fromEntries(
    ['0.3.1', '0.4.1', '0.5.2', '0.5.4', '0.5.6', '0.5.9', '0.6.1'].map((v) => {
        const key = v.replaceAll('.', '');
        return [key, [`trajectories-${key}`, v]];
    }),
);

// agent-trajectories' "exports" map has only "." and "./sdk" (no
// "./package.json"), so read package.json by path.
export function pkg(ver) {
    const entry = VERSIONS[ver];
    if (!entry) die(`unknown version '${ver}' (expected ${Object.keys(VERSIONS).join(' or ')})`, 2);
    const [alias, want] = entry;
    const dir = path.join(here, 'node_modules', alias);
    let meta;
    try {
        meta = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    } catch (e) {
        die(`cannot read ${alias}/package.json (run 'npm ci' in ${here}): ${e.message}`);
    }
    if (meta.name !== 'agent-trajectories' || meta.version !== want) {
        die(`expected agent-trajectories ${want} at ${dir}, found ${meta.name} ${meta.version}`);
    }
    return { dir, alias, version: meta.version, bin: path.join(dir, meta.bin.trail), main: path.join(dir, meta.main) };
}

// The library module (dist/index.js): FileStorage, createTrajectory, ...
export async function loadLib(ver) {
    return import(pathToFileURL(pkg(ver).main).href);
}

// Environment for running `trail` hermetically: no inherited data-dir /
// search-path / agent / workflow / model overrides. `extra` is merged last.
export function trailEnv(extra = {}) {
    const env = { ...process.env };
    for (const k of Object.keys(env)) {
        if (/^TRAJECTORIES_|^TRAIL_/.test(k) || k === 'ANTHROPIC_MODEL' || k === 'OPENAI_MODEL') delete env[k];
    }
    return { ...env, ...extra };
}

// Runs the real `trail` bin of version `ver` with cwd. Returns stdout;
// on a nonzero exit dies with the CLI's stderr.
export function trail(ver, cwd, argv, env = trailEnv()) {
    const bin = pkg(ver).bin;
    const r = spawnSync(process.execPath, [bin, ...argv], { cwd, env, encoding: 'utf8' });
    if (r.error) die(`trail ${argv[0]}: ${r.error.message}`);
    if (r.status !== 0) {
        const err = (r.stderr || '').trim().split('\n').slice(0, 3).join(' | ');
        die(`trail ${argv.join(' ')} (cwd ${cwd}) exited ${r.status}: ${err}`);
    }
    if (r.stderr) process.stderr.write(r.stderr); // library warnings, e.g. a malformed index
    return r.stdout;
}

// Trajectory n of a save loop, as a worker saves it with `lib` (loadLib(ver)) into `storage`: id
// traj_<prefix><n, 3 digits>, saved active, then again with a chapter and a decision; every third
// then completed, every `abandonEvery`-th (not a third) abandoned. Each version's schema is
// checked first (0.3.1 and 0.4.1 want ^traj_[a-z0-9]+$). Returns the trajectory as last saved;
// dies on a failed save.
export async function saveLifecycle(lib, ver, storage, prefix, n, projectId, abandonEvery) {
    const checked = (traj, what) => {
        const v = lib.validateTrajectory(traj);
        if (!v.success) {
            const issue = v.errors?.issues?.[0];
            die(`${what}: invalid for ${ver}'s schema: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown'}`, 2);
        }
        return traj;
    };
    const id = `traj_${prefix}${String(n).padStart(3, '0')}`;
    let traj = checked({ ...lib.createTrajectory({ title: `${prefix} task ${n}`, projectId }), id }, id);
    try {
        await storage.save(traj);
        traj = lib.addChapter(traj, { title: 'Work', agentName: `saver-${prefix}` });
        traj = checked(lib.addEvent(traj, { type: 'decision', content: `step ${n} of ${prefix}`, significance: 'medium' }), id);
        await storage.save(traj);
        if (n % 3 === 0) {
            traj = lib.completeTrajectory(traj, { summary: `done ${n}`, approach: 'save loop', confidence: 0.8 });
            await storage.save(checked(traj, id));
        } else if (n % abandonEvery === 0) {
            await storage.save(checked((traj = lib.abandonTrajectory(traj, 'out of scope')), id));
        }
    } catch (e) {
        die(`save ${id} in ${projectId}: ${e.message}`);
    }
    return traj;
}

// One implementation of the drivers' output helpers, shared with tests/interop.
import { die, emit } from '../lib.mjs';
export { die, emit };
