/** What a librdkafka source patch is, shared by the mock broker's patch files. */

export class PatchAnchorNotFoundError extends Error {
  override name = 'PatchAnchorNotFoundError';
}

export interface SourcePatch {
  id: string;
  /** Path inside the librdkafka source tree. */
  file: string;
  /** A string the patched source contains and the pristine one does not. */
  marker: string;
  /** Everything the patch inserts or rewrites; part of the build cache key. */
  fingerprint: string;
  apply(source: string): string;
}
