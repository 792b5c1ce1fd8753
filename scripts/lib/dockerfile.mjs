// Reads the Dockerfile into a plain plan (stages and their instructions) that the proof in
// scripts/verify-container.sh replays, and checks the rules the image must keep.
// Parsing is dockerfile-ast's (the parser behind dockerfile-utils, the linter the script runs).
import { readFileSync } from 'node:fs';
import { DockerfileParser } from 'dockerfile-ast';

/** Instructions the replay understands. Anything else fails the proof until it is taught. */
const SUPPORTED = new Set(['FROM', 'ARG', 'ENV', 'WORKDIR', 'COPY', 'RUN', 'USER', 'EXPOSE', 'HEALTHCHECK', 'CMD', 'ENTRYPOINT', 'LABEL', 'STOPSIGNAL']);

/** `["a", "b"]` (exec form) as an array, anything else as a shell string. */
function commandForm(content) {
  const text = content.trim();
  if (text.startsWith('[')) {
    try {
      const parsed = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((part) => typeof part === 'string')) return { exec: parsed };
    } catch {
      // Not valid JSON: Docker then treats it as shell form too.
    }
  }
  return { shell: text };
}

/**
 * @returns {{ stages: Array<{ name: string, index: number, image: string, tag: string|undefined,
 *   instructions: Array<object> }>, args: Record<string,string> }}
 */
export function readDockerfile(path) {
  const text = readFileSync(path, 'utf8');
  const dockerfile = DockerfileParser.parse(text);
  const stages = [];
  const globalArgs = {};
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword().toUpperCase();
    const line = instruction.getRange().start.line + 1;
    if (!SUPPORTED.has(keyword)) {
      throw new Error(`Dockerfile:${line}: ${keyword} is not replayed by scripts/lib/dockerfile.mjs; teach it, or keep to the supported instructions`);
    }
    const flags = Object.fromEntries((instruction.getFlags?.() ?? []).map((flag) => [flag.getName(), flag.getValue()]));
    const content = instruction.getArgumentsContent() ?? '';
    if (keyword === 'FROM') {
      stages.push({
        name: instruction.getBuildStage() ?? String(stages.length),
        index: stages.length,
        image: instruction.getImageName(),
        tag: instruction.getImageTag() ?? undefined,
        digest: instruction.getImageDigest?.() ?? undefined,
        instructions: [],
      });
      continue;
    }
    if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`Dockerfile:${line}: ${keyword} before the first FROM`);
      for (const property of instruction.getProperties()) globalArgs[property.getName()] = property.getValue() ?? '';
      continue;
    }
    const step = { keyword, line, flags, content };
    switch (keyword) {
      case 'ENV':
      case 'ARG':
      case 'LABEL':
        step.properties = instruction.getProperties().map((property) => [property.getName(), property.getValue() ?? '']);
        break;
      case 'COPY': {
        const args = instruction.getJSONStrings().length
          ? instruction.getJSONStrings().map((s) => s.getJSONValue())
          : instruction.getArguments().map((argument) => argument.getValue());
        if (args.length < 2) throw new Error(`Dockerfile:${line}: COPY needs a source and a destination`);
        const unsupported = Object.keys(flags).filter((flag) => !['from', 'chown', 'link'].includes(flag));
        if (unsupported.length) throw new Error(`Dockerfile:${line}: COPY --${unsupported[0]} is not replayed`);
        if (args.some((arg) => /[*?[]/.test(arg))) throw new Error(`Dockerfile:${line}: COPY with wildcards is not replayed`);
        step.sources = args.slice(0, -1);
        step.destination = args.at(-1);
        break;
      }
      case 'RUN':
        if (Object.keys(flags).length) throw new Error(`Dockerfile:${line}: RUN --${Object.keys(flags)[0]} is not replayed`);
        Object.assign(step, commandForm(content));
        break;
      case 'CMD':
      case 'ENTRYPOINT':
        Object.assign(step, commandForm(content));
        break;
      case 'HEALTHCHECK': {
        const match = /^CMD\s+([\s\S]*)$/i.exec(content.trim());
        if (match) Object.assign(step, commandForm(match[1]));
        else step.none = /^NONE$/i.test(content.trim());
        break;
      }
      default:
        step.args = instruction.getArguments().map((argument) => argument.getValue());
    }
    stages.at(-1).instructions.push(step);
  }
  if (stages.length === 0) throw new Error('Dockerfile has no FROM');
  return { stages, args: globalArgs };
}

/** The final state a stage leaves for `docker run`: env, workdir, user, cmd... */
export function stageConfig(stage) {
  const config = { env: {}, workdir: '/', user: 'root', cmd: undefined, entrypoint: undefined, healthcheck: undefined, expose: [] };
  for (const step of stage.instructions) {
    if (step.keyword === 'ENV') for (const [name, value] of step.properties) config.env[name] = value;
    if (step.keyword === 'WORKDIR') config.workdir = resolveContainerPath(config.workdir, step.content.trim());
    if (step.keyword === 'USER') config.user = step.content.trim();
    if (step.keyword === 'CMD') config.cmd = step;
    if (step.keyword === 'ENTRYPOINT') config.entrypoint = step;
    if (step.keyword === 'HEALTHCHECK') config.healthcheck = step;
    if (step.keyword === 'EXPOSE') config.expose.push(...step.args.map((port) => port.split('/')[0]));
  }
  return config;
}

export function resolveContainerPath(workdir, path) {
  const joined = path.startsWith('/') ? path : `${workdir.replace(/\/+$/, '')}/${path}`;
  const parts = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** The container's argv per Docker's rules for ENTRYPOINT and CMD (exec or shell form). */
export function containerArgv(config) {
  const toArgv = (step) => (step ? (step.exec ?? ['/bin/sh', '-c', step.shell]) : []);
  const entrypoint = toArgv(config.entrypoint);
  // A shell-form ENTRYPOINT ignores CMD.
  const cmd = config.entrypoint?.shell ? [] : toArgv(config.cmd);
  return [...entrypoint, ...cmd];
}

/**
 * The image's rules, beyond what the generic linter checks. Returns a list of problems.
 * @param {ReturnType<typeof readDockerfile>} plan
 */
export function checkImageRules(plan) {
  const problems = [];
  const runtime = plan.stages.at(-1);
  const builder = plan.stages.find((stage) => stage !== runtime);
  const config = stageConfig(runtime);
  if (plan.stages.length < 2) problems.push('the Dockerfile must be multi-stage (a builder and a runtime stage)');
  for (const stage of plan.stages) {
    if (stage.image !== 'node' || !stage.tag || !/^22(\.\d+)*-alpine/.test(stage.tag)) {
      problems.push(`stage ${stage.name}: expected FROM node:22-alpine (pinned by tag), found ${stage.image}:${stage.tag ?? '(no tag)'}`);
    }
  }
  if (builder) {
    const runs = builder.instructions.filter((step) => step.keyword === 'RUN').map((step) => step.shell ?? step.exec.join(' '));
    if (!runs.some((run) => /\bnpm ci\b/.test(run))) problems.push(`stage ${builder.name}: no "npm ci" (install from the lockfile)`);
    if (!runs.some((run) => /\bnpm run build:bundle\b/.test(run))) problems.push(`stage ${builder.name}: no "npm run build:bundle"`);
  }
  for (const step of runtime.instructions) {
    if (step.keyword === 'COPY' && !step.flags.from) {
      problems.push(`Dockerfile:${step.line}: the runtime stage copies from the build context (${step.sources.join(' ')}); it must take only build output from the builder`);
    }
    if (step.keyword === 'COPY' && step.sources.some((source) => /node_modules/.test(source))) {
      problems.push(`Dockerfile:${step.line}: the runtime stage copies node_modules; the bundle must run without them`);
    }
  }
  if (config.env.NODE_ENV !== 'production') problems.push('runtime stage: ENV NODE_ENV=production is missing');
  if (['root', '0', '0:0', ''].includes(config.user)) problems.push('runtime stage: USER must be a non-root user');
  if (config.expose.length === 0) problems.push('runtime stage: no EXPOSE');
  if (!config.healthcheck || config.healthcheck.none) problems.push('runtime stage: no HEALTHCHECK');
  else if (!config.healthcheck.exec || config.healthcheck.exec[0] !== 'node' || !/\/health\/ready/.test(config.healthcheck.exec.join(' '))) {
    problems.push('runtime stage: HEALTHCHECK must ask /health/ready with node itself (exec form)');
  }
  if (!config.cmd && !config.entrypoint) problems.push('runtime stage: no CMD or ENTRYPOINT');
  if (config.cmd?.shell || config.entrypoint?.shell) problems.push('runtime stage: CMD/ENTRYPOINT in shell form (sh would be PID 1 and swallow signals)');
  for (const stage of plan.stages) {
    for (const step of stage.instructions) {
      if (step.keyword !== 'ENV' && step.keyword !== 'ARG') continue;
      for (const [name] of step.properties) {
        if (/PASSWORD|SECRET|TOKEN|_KEY$/i.test(name)) problems.push(`Dockerfile:${step.line}: ${step.keyword} ${name}: no secrets in the image`);
      }
    }
  }
  return problems;
}
