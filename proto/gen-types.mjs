// Generates TypeScript types for every .proto here (plus the google.rpc error details we send)
// with @grpc/proto-loader's generator, then adds the `.js` extensions that ESM (NodeNext) needs.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const protoDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(protoDir);
const outDir = join(root, 'src', 'generated');
const googleProtos = dirname(require.resolve('google-proto-files/package.json'));
const generator = join(dirname(require.resolve('@grpc/proto-loader/package.json')), 'build', 'bin', 'proto-loader-gen-types.js');

const walk = (dir) => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? walk(path) : [path];
});

const ours = walk(protoDir).filter((f) => f.endsWith('.proto')).map((f) => relative(protoDir, f));
rmSync(outDir, { recursive: true, force: true });
execFileSync(process.execPath, [
  generator, '--longs=Number', '--enums=String', '--defaults', '--oneofs', '--grpcLib=@grpc/grpc-js',
  '-I', protoDir, '-I', googleProtos, '-O', outDir,
  ...ours, 'google/rpc/status.proto', 'google/rpc/error_details.proto',
], { stdio: 'inherit' });

for (const file of walk(outDir).filter((f) => f.endsWith('.ts'))) {
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace(/from '(\.{1,2}\/[^']+)'/g, "from '$1.js'"));
}
