/**
 * Source patches the librdkafka mock cluster needs before kafkajs consumer groups work on it.
 * Each one finds an exact anchor in the pristine source and throws if the anchor is missing or
 * ambiguous, so a librdkafka upgrade fails the build instead of producing a broker that quietly
 * misbehaves.
 */

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

/** Compiled into the binary as a string too, so a test can check the running broker has it. */
export const SYNCGROUP_PATCH_MARKER = 'CHECKOUT_SYNCGROUP_PATCH_V1';

const SYNCGROUP_INSERT = `
        /* ${SYNCGROUP_PATCH_MARKER} (checkout-service): complete the sync only when every
         * member has a pending SyncGroup response, not just when the leader delivered all
         * assignments; otherwise followers' late SyncGroups fail with INVALID_REQUEST. */
        {
                static const char checkout_patch_marker[] __attribute__((used)) =
                    "${SYNCGROUP_PATCH_MARKER}";
                rd_kafka_mock_cgrp_classic_member_t *checkout_member;
                (void)checkout_patch_marker;
                TAILQ_FOREACH(checkout_member, &mcgrp->members, link) {
                        if (!checkout_member->resp)
                                return;
                }
        }
`;

/**
 * Unpatched, `rd_kafka_mock_cgrp_classic_sync_check` completes a sync as soon as the leader's
 * SyncGroup has delivered every assignment, even if a follower has not sent its own SyncGroup
 * yet; that follower's later SyncGroup is refused with INVALID_REQUEST, which kafkajs treats as
 * fatal (CRASH, restart: false). Measured unpatched: two members started together formed a
 * group 1 time in 12. The fix also waits until every member has a pending SyncGroup response.
 */
export const syncGroupPatch: SourcePatch = {
  id: 'syncgroup-wait-for-all-members',
  file: 'src/rdkafka_mock_cgrp.c',
  marker: SYNCGROUP_PATCH_MARKER,
  fingerprint: SYNCGROUP_INSERT,
  apply(source) {
    const fnAnchor = 'rd_kafka_mock_cgrp_classic_sync_check(rd_kafka_mock_cgrp_classic_t *mcgrp) {';
    const fnStart = indexOfOnly(source, fnAnchor, this.file);
    const fnEnd = source.indexOf('\n}\n', fnStart);
    const body = source.slice(fnStart, fnEnd < 0 ? undefined : fnEnd);
    const earlyReturn = /if \(mcgrp->assignment_cnt < mcgrp->member_cnt\)\s*\n\s*return;\n/.exec(body);
    if (!earlyReturn) {
      throw new PatchAnchorNotFoundError(
        `${this.id}: the 'assignment_cnt < member_cnt' early return is gone from ` +
          `rd_kafka_mock_cgrp_classic_sync_check in ${this.file}; re-check the patch against this librdkafka`,
      );
    }
    const at = fnStart + earlyReturn.index + earlyReturn[0].length;
    return source.slice(0, at) + SYNCGROUP_INSERT + source.slice(at);
  },
};

const LEAVEGROUP_ENTRY = /\[RD_KAFKAP_LeaveGroup\]\s*=\s*\{0,\s*4,\s*4,\s*rd_kafka_mock_handle_LeaveGroup\},/g;
const LEAVEGROUP_PATCHED =
  '[RD_KAFKAP_LeaveGroup] = {0, 2, 4, rd_kafka_mock_handle_LeaveGroup}, /* CHECKOUT_LEAVEGROUP_V2_PATCH */';

/**
 * The mock advertises LeaveGroup up to v4 but its handler only decodes the v0-v2 layout
 * (group id, member id), not v3's member array. kafkajs picks v3, so every graceful leave is
 * misread (the member stays in the group until its session expires, ≈ session timeout + (session
 * timeout - 1 s) of stalled partitions) and kafkajs cannot parse the reply ("offset is out of
 * range"). Advertising v2 makes kafkajs send the layout the handler understands.
 */
export const leaveGroupVersionPatch: SourcePatch = {
  id: 'leavegroup-advertise-v2',
  file: 'src/rdkafka_mock_handlers.c',
  marker: 'CHECKOUT_LEAVEGROUP_V2_PATCH',
  fingerprint: LEAVEGROUP_PATCHED,
  apply(source) {
    const matches = source.match(LEAVEGROUP_ENTRY) ?? [];
    if (matches.length !== 1) {
      throw new PatchAnchorNotFoundError(
        `${this.id}: expected one '[RD_KAFKAP_LeaveGroup] = {0, 4, 4, ...}' entry in ${this.file}, found ${matches.length}; ` +
          `re-check whether the mock's LeaveGroup handler still only decodes v0-v2`,
      );
    }
    return source.replace(LEAVEGROUP_ENTRY, LEAVEGROUP_PATCHED);
  },
};

export const MOCK_SOURCE_PATCHES: readonly SourcePatch[] = [syncGroupPatch, leaveGroupVersionPatch];

/** Applies one patch to pristine source; refuses source that already has it. */
export function applyPatch(patch: SourcePatch, source: string): string {
  if (source.includes(patch.marker)) {
    throw new PatchAnchorNotFoundError(`${patch.id}: ${patch.file} is already patched; expected pristine source`);
  }
  const patched = patch.apply(source);
  if (!patched.includes(patch.marker)) throw new PatchAnchorNotFoundError(`${patch.id}: marker missing after patching`);
  return patched;
}

function indexOfOnly(source: string, anchor: string, file: string): number {
  const first = source.indexOf(anchor);
  if (first < 0 || source.indexOf(anchor, first + 1) >= 0) {
    throw new PatchAnchorNotFoundError(`expected exactly one '${anchor}' in ${file}, found ${first < 0 ? 'none' : 'several'}`);
  }
  return first;
}
