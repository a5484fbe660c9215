import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { projectPath } from '../config/paths.js';

/** The page's files, served from the source tree (no build step); only these names. */
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
};

export const isStaticPath = (path: string): boolean => Object.hasOwn(FILES, path);

export async function serveStatic(path: string, res: ServerResponse): Promise<void> {
  const entry = FILES[path];
  if (!entry) { res.writeHead(404, { 'content-type': 'text/plain' }); res.end('not found\n'); return; }
  const body = await readFile(projectPath('src', 'dashboard', 'static', entry.file));
  res.writeHead(200, {
    'content-type': entry.type, 'content-length': body.length, 'cache-control': 'no-cache',
    // Everything the page loads is its own: no inline script, no other origin.
    'content-security-policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}
