// .dockerignore matching with Docker's rules (moby/patternmatcher): patterns are relative to the
// context root, `*` and `?` stay within one path segment, `**` spans any number of segments, a
// leading `!` re-includes, the last matching pattern wins, and a pattern matching a directory
// excludes everything below it.

function toRegExp(pattern) {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') { i++; source += '(?:.*/)?'; } else source += '.*';
      } else source += '[^/]*';
    } else if (c === '?') source += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) source += `\\${pattern[++i]}`;
    else source += /[.+^${}()|[\]\\]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${source}$`);
}

function clean(path) {
  const parts = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

export function parseDockerignore(text) {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const exclusion = line.startsWith('!');
      const pattern = clean(exclusion ? line.slice(1).trim() : line);
      return { exclusion, pattern, regexp: toRegExp(pattern) };
    })
    .filter((rule) => rule.pattern !== '');
}

/** Whether `path` (relative to the context root, `/`-separated) is left out of the build context. */
export function isIgnored(rules, path) {
  const target = clean(path);
  const candidates = [];
  const parts = target.split('/');
  for (let n = 1; n <= parts.length; n++) candidates.push(parts.slice(0, n).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.regexp.test(candidate))) ignored = !rule.exclusion;
  }
  return ignored;
}
