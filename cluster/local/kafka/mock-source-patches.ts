/**
 * Source patches the librdkafka mock cluster needs before kafkajs consumer groups work on it.
 * Each one finds an exact anchor in the pristine source and throws if the anchor is missing or
 * ambiguous, so a librdkafka upgrade fails the build instead of producing a broker that quietly
 * misbehaves.
 */
import { PatchAnchorNotFoundError, type SourcePatch } from './source-patch.js';
import { FETCH_WAKEUP_PATCHES } from './fetch-wakeup-patch.js';

export { PatchAnchorNotFoundError, type SourcePatch } from './source-patch.js';

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

const MEMBER_ID_LINE = 'rd_snprintf(memberid, sizeof(memberid), "%p", member);';
const MEMBER_ID_PATCHED =
  '/* CHECKOUT_UNIQUE_MEMBER_ID_PATCH */ static int checkout_member_seq;\n' +
  '                        rd_snprintf(memberid, sizeof(memberid), "m%d-%p", ++checkout_member_seq, member);';

/**
 * The mock names a new member after its struct's address, and malloc hands a freed struct's
 * address to the next member. A member expelled while paused (its struct freed) wakes up,
 * heartbeats with its old id, finds the newer member now wearing it, rejoins as that member, and
 * the broker aborts on `member_add: Assertion '!member->resp'` (seen in the long chaos run:
 * every client of the run lost its broker). A counter makes every generated id unique.
 */
export const uniqueMemberIdPatch: SourcePatch = {
  id: 'unique-member-ids',
  file: 'src/rdkafka_mock_cgrp.c',
  marker: 'CHECKOUT_UNIQUE_MEMBER_ID_PATCH',
  fingerprint: MEMBER_ID_PATCHED,
  apply(source) {
    indexOfOnly(source, MEMBER_ID_LINE, this.file);
    return source.replace(MEMBER_ID_LINE, MEMBER_ID_PATCHED);
  },
};

const HELD_MEMBER_INSERT = `
                /* CHECKOUT_HELD_MEMBER_PATCH: a member whose JoinGroup or SyncGroup the group
                 * is holding cannot heartbeat; expiring it would free the held response and
                 * leave its connection blocked with no reply. */
                if (member->resp && member->conn)
                        continue;
`;

/**
 * The classic session timer expires members by last activity, including one whose JoinGroup or
 * SyncGroup the group is still holding. It then frees the held response without unblocking the
 * connection: that consumer waits for its request timeout with no reply (a node that owns no
 * partitions for tens of seconds), and a retry on the same connection trips
 * `member_sync_set: Assertion '!member->resp'`. Held members are skipped; one whose connection
 * closed has `conn` cleared and still expires.
 */
export const heldMemberSessionPatch: SourcePatch = {
  id: 'session-timer-skips-held-members',
  file: 'src/rdkafka_mock_cgrp.c',
  marker: 'CHECKOUT_HELD_MEMBER_PATCH',
  fingerprint: HELD_MEMBER_INSERT,
  apply(source) {
    const fnStart = indexOfOnly(source, 'rd_kafka_mock_cgrp_classic_session_tmr_cb(rd_kafka_timers_t *rkts,', this.file);
    const fnEnd = source.indexOf('\n}\n', fnStart);
    const body = source.slice(fnStart, fnEnd < 0 ? undefined : fnEnd);
    const activityCheck = /\(mcgrp->session_timeout_ms \* 1000\) >\s*\n\s*now\)\s*\n\s*continue;\n/.exec(body);
    if (!activityCheck) {
      throw new PatchAnchorNotFoundError(
        `${this.id}: the last-activity check is gone from rd_kafka_mock_cgrp_classic_session_tmr_cb in ${this.file}; ` +
          're-check the patch against this librdkafka',
      );
    }
    const at = fnStart + activityCheck.index + activityCheck[0].length;
    return source.slice(0, at) + HELD_MEMBER_INSERT + source.slice(at);
  },
};

const BIND_ANCHOR = `            .sin_addr   = {.s_addr = htonl(INADDR_LOOPBACK)}};
`;
const BIND_INSERT = `
        /* CHECKOUT_BIND_ADDRESS_PATCH (checkout-service): listen on (and advertise) the IPv4
         * address in CHECKOUT_MOCK_BROKER_BIND instead of loopback, so processes in other
         * network namespaces can reach the brokers. */
        {
                const char *checkout_bind = getenv("CHECKOUT_MOCK_BROKER_BIND");
                if (checkout_bind && *checkout_bind &&
                    inet_pton(AF_INET, checkout_bind, &sin.sin_addr) != 1)
                        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        }
`;

/**
 * The mock's brokers listen on 127.0.0.1 only, and advertise the address they listen on. A
 * checkout node started in a network namespace of its own (the partition harness) cannot reach
 * the root namespace's loopback, so the harness names a veth address for the brokers to bind.
 * Unset, nothing changes.
 */
export const bindAddressPatch: SourcePatch = {
  id: 'broker-bind-address-from-env',
  file: 'src/rdkafka_mock.c',
  marker: 'CHECKOUT_BIND_ADDRESS_PATCH',
  fingerprint: BIND_INSERT,
  apply(source) {
    const fnStart = indexOfOnly(source, 'rd_kafka_mock_broker_new(rd_kafka_mock_cluster_t *mcluster,', this.file);
    const at = source.indexOf(BIND_ANCHOR, fnStart);
    if (at < 0 || at - fnStart > 400) {
      throw new PatchAnchorNotFoundError(`${this.id}: the loopback sockaddr is gone from rd_kafka_mock_broker_new in ${this.file}; re-check the patch against this librdkafka`);
    }
    const end = at + BIND_ANCHOR.length;
    return source.slice(0, end) + BIND_INSERT + source.slice(end);
  },
};

export const MOCK_SOURCE_PATCHES: readonly SourcePatch[] = [
  syncGroupPatch, leaveGroupVersionPatch, uniqueMemberIdPatch, heldMemberSessionPatch, bindAddressPatch,
  // The long poll answering when data arrives (fetch-wakeup-patch.ts).
  ...FETCH_WAKEUP_PATCHES,
];

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
