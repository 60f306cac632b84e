/** The git facts runs record (manifests, the report's reproduction), asked of git itself (worktrees included). */
import { execFileSync } from 'node:child_process';

/** `git <args>` in `root`, trimmed; null outside a repository or without git. */
export function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** The checked-out commit, or null outside a git repository. */
export function gitCommit(root: string): string | null {
  return git(root, ['rev-parse', 'HEAD']);
}
