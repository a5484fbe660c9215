/**
 * The mock broker's long poll, made to answer when data arrives (as Kafka does).
 *
 * Unpatched, librdkafka's mock answers a Fetch that found no data with an empty response held
 * back for the request's whole MaxWait (`rd_kafka_mock_handle_Fetch`: "we should cut the wait
 * short ... but that is too much of a hassle here"). Every hop through the broker then costs up
 * to the consumer's fetch wait: ≈ 50 ms p50 for the command intake at a 100 ms wait, and the
 * same again for each status reaching a watcher.
 *
 * The patch remembers which partitions a held (parked) empty Fetch covered, on the response
 * buffer itself (its free callback releases the list with the buffer, so no table can point at a
 * freed response). A Produce that appends to one of them releases the held response at once; the
 * consumer, getting an empty answer early, fetches again and finds the data: one extra local
 * round trip instead of the rest of the wait. Held responses stay in their connection's queue,
 * so responses on a connection keep their order.
 *
 * `CHECKOUT_MOCK_FETCH_WAKEUP=0` in the broker's environment turns it off (A/B runs); the project's
 * launcher (mock-broker.ts) starts the broker with it on. (It was opt-in for a while: on a machine
 * at load average 20–34, test/cluster/failover-time lost PlaceOrder answers with it on; on a quiet
 * machine that test passed 3 of 3 and the cluster, Kafka, edge and messaging suites 338 of 338.)
 * Appends only wake on Produce; a transaction commit that moves the last stable offset does not
 * (the project's producers are idempotent, not transactional).
 */
import { PatchAnchorNotFoundError, type SourcePatch } from './source-patch.js';

export const FETCH_WAKEUP_MARKER = 'CHECKOUT_FETCH_WAKEUP_PATCH';

/** Inserted into rdkafka_mock.c after the connection write-out, which it needs. */
const MOCK_C_INSERT = `

/* ${FETCH_WAKEUP_MARKER} (checkout-service): a held empty Fetch is released when a Produce
 * appends to one of its partitions, instead of after its whole MaxWait. */
#define CHECKOUT_PARK_MAX 64
typedef struct checkout_parked_fetch_s {
        int all; /* more partitions than CHECKOUT_PARK_MAX: any append wakes it */
        int cnt;
        const rd_kafka_mock_partition_t *parts[CHECKOUT_PARK_MAX];
} checkout_parked_fetch_t;

static void checkout_parked_fetch_free(void *p) {
        rd_free(p);
}

static int checkout_fetch_wakeup_enabled(void) {
        static int enabled = -1;
        if (enabled == -1) {
                const char *v = getenv("CHECKOUT_MOCK_FETCH_WAKEUP");
                enabled       = !(v && !strcmp(v, "0"));
        }
        return enabled;
}

void checkout_mock_fetch_park(rd_kafka_buf_t *resp,
                              const rd_kafka_mock_partition_t **parts,
                              int cnt,
                              int all) {
        checkout_parked_fetch_t *parked;
        static const char checkout_marker[] __attribute__((used)) =
            "${FETCH_WAKEUP_MARKER}";
        (void)checkout_marker;
        if (!checkout_fetch_wakeup_enabled() || resp->rkbuf_make_opaque)
                return;
        parked      = rd_calloc(1, sizeof(*parked));
        parked->all = all || cnt > CHECKOUT_PARK_MAX;
        parked->cnt = cnt > CHECKOUT_PARK_MAX ? 0 : cnt;
        memcpy(parked->parts, parts, sizeof(*parts) * (size_t)parked->cnt);
        resp->rkbuf_make_opaque         = parked;
        resp->rkbuf_free_make_opaque_cb = checkout_parked_fetch_free;
}

void checkout_mock_fetch_wakeup(const rd_kafka_mock_partition_t *mpart) {
        rd_kafka_mock_cluster_t *mcluster = mpart->topic->cluster;
        rd_kafka_mock_broker_t *mrkb;
        TAILQ_FOREACH(mrkb, &mcluster->brokers, link) {
                rd_kafka_mock_connection_t *mconn;
                TAILQ_FOREACH(mconn, &mrkb->connections, link) {
                        rd_kafka_buf_t *rkbuf;
                        int woke = 0;
                        TAILQ_FOREACH(rkbuf, &mconn->outbufs.rkbq_bufs, rkbuf_link) {
                                const checkout_parked_fetch_t *parked;
                                int i, hit;
                                if (rkbuf->rkbuf_free_make_opaque_cb !=
                                        checkout_parked_fetch_free ||
                                    !rkbuf->rkbuf_ts_retry)
                                        continue;
                                parked = rkbuf->rkbuf_make_opaque;
                                hit    = parked->all;
                                for (i = 0; !hit && i < parked->cnt; i++)
                                        hit = parked->parts[i] == mpart;
                                if (!hit)
                                        continue;
                                rkbuf->rkbuf_ts_retry = 0; /* send now */
                                woke                  = 1;
                        }
                        if (woke)
                                rd_kafka_mock_cluster_io_set_events(
                                    mcluster, mconn->transport->rktrans_s,
                                    POLLOUT);
                }
        }
}
`;

const HANDLERS_DECLS = `
/* ${FETCH_WAKEUP_MARKER}: defined in rdkafka_mock.c */
void checkout_mock_fetch_park(rd_kafka_buf_t *resp,
                              const rd_kafka_mock_partition_t **parts,
                              int cnt,
                              int all);
void checkout_mock_fetch_wakeup(const rd_kafka_mock_partition_t *mpart);

`;

const FETCH_LOCALS = `
        /* ${FETCH_WAKEUP_MARKER}: the partitions this Fetch covers */
        const rd_kafka_mock_partition_t *checkout_parts[64];
        int checkout_part_cnt = 0, checkout_part_all = 0;
`;

const FETCH_COLLECT = `
                        /* ${FETCH_WAKEUP_MARKER} */
                        if (mpart && checkout_part_cnt < 64)
                                checkout_parts[checkout_part_cnt++] = mpart;
                        else if (mpart)
                                checkout_part_all = 1;
`;

const FETCH_PARK = `
        /* ${FETCH_WAKEUP_MARKER} */
        if (!totsize && MaxWait > 0)
                checkout_mock_fetch_park(resp, checkout_parts,
                                         checkout_part_cnt, checkout_part_all);
`;

const PRODUCE_WAKE = `
                        /* ${FETCH_WAKEUP_MARKER} */
                        if (!err)
                                checkout_mock_fetch_wakeup(mpart);
`;

/** rdkafka_mock.c: the park/wake functions, after the write-out they rely on. */
export const fetchWakeupMockPatch: SourcePatch = {
  id: 'fetch-wakeup-functions',
  file: 'src/rdkafka_mock.c',
  marker: FETCH_WAKEUP_MARKER,
  fingerprint: MOCK_C_INSERT,
  apply(source) {
    const fnStart = indexOfOnly(source, 'rd_kafka_mock_connection_write_out(rd_kafka_mock_connection_t *mconn) {', this.file, this.id);
    const fnEnd = source.indexOf('\n}\n', fnStart);
    if (fnEnd < 0 || !source.slice(fnStart, fnEnd).includes('rkbuf->rkbuf_ts_retry > now')) {
      throw new PatchAnchorNotFoundError(`${this.id}: rd_kafka_mock_connection_write_out no longer delays on rkbuf_ts_retry in ${this.file}`);
    }
    indexOfOnly(source, 'rd_kafka_mock_cluster_io_set_events(rd_kafka_mock_cluster_t *mcluster,', this.file, this.id);
    const at = fnEnd + '\n}\n'.length;
    return source.slice(0, at) + MOCK_C_INSERT.slice(1) + source.slice(at);
  },
};

/** rdkafka_mock_handlers.c: Fetch records what it covers and parks; Produce wakes. */
export const fetchWakeupHandlersPatch: SourcePatch = {
  id: 'fetch-wakeup-handlers',
  file: 'src/rdkafka_mock_handlers.c',
  marker: FETCH_WAKEUP_MARKER,
  fingerprint: HANDLERS_DECLS + FETCH_LOCALS + FETCH_COLLECT + FETCH_PARK + PRODUCE_WAKE,
  apply(source) {
    let out = source;
    const produceAppend = /\n( *)if \(!err\)\n\s*err = rd_kafka_mock_partition_log_append\(\n\s*mpart, &records, &TransactionalId,\n\s*&BaseOffset\);\n/g;
    out = insertAfterOnly(out, produceAppend, PRODUCE_WAKE, 'the Produce handler\'s log_append call', this);

    const fetchStart = indexOfOnly(out, 'static int rd_kafka_mock_handle_Fetch(rd_kafka_mock_connection_t *mconn,', this.file, this.id);
    const fetchEnd = out.indexOf('\n}\n', fetchStart);
    let body = out.slice(fetchStart, fetchEnd);
    body = insertAfterOnly(body, /\n {8}size_t totsize = 0;\n/g, FETCH_LOCALS, 'the Fetch handler\'s totsize declaration', this);
    body = insertAfterOnly(body, /\n\s*if \(mtopic\)\n\s*mpart = rd_kafka_mock_partition_find\(mtopic,\n\s*Partition\);\n/g, FETCH_COLLECT, 'the Fetch handler\'s partition lookup', this);
    body = insertAfterOnly(body, /\n {8}if \(!totsize && MaxWait > 0\)\n\s*resp->rkbuf_ts_retry = rd_clock\(\) \+ \(MaxWait \* 1000\);\n/g, FETCH_PARK, 'the Fetch handler\'s hold of an empty response', this);
    out = out.slice(0, fetchStart) + body + out.slice(fetchEnd);

    const firstHandler = indexOfOnly(out, 'static int rd_kafka_mock_handle_Produce(rd_kafka_mock_connection_t *mconn,', this.file, this.id);
    return out.slice(0, firstHandler) + HANDLERS_DECLS.slice(1) + out.slice(firstHandler);
  },
};

export const FETCH_WAKEUP_PATCHES: readonly SourcePatch[] = [fetchWakeupMockPatch, fetchWakeupHandlersPatch];

/** Each text the patches insert (after its first character, a newline), so a test can undo them. */
export const FETCH_WAKEUP_INSERTS: Readonly<Record<string, readonly string[]>> = {
  [fetchWakeupMockPatch.file]: [MOCK_C_INSERT.slice(1)],
  [fetchWakeupHandlersPatch.file]: [HANDLERS_DECLS, FETCH_LOCALS, FETCH_COLLECT, FETCH_PARK, PRODUCE_WAKE].map((text) => text.slice(1)),
};

function indexOfOnly(source: string, anchor: string, file: string, id: string): number {
  const first = source.indexOf(anchor);
  if (first < 0 || source.indexOf(anchor, first + 1) >= 0) {
    throw new PatchAnchorNotFoundError(`${id}: expected exactly one '${anchor}' in ${file}, found ${first < 0 ? 'none' : 'several'}`);
  }
  return first;
}

function insertAfterOnly(source: string, anchor: RegExp, insert: string, what: string, patch: SourcePatch): string {
  const matches = [...source.matchAll(anchor)];
  if (matches.length !== 1) {
    throw new PatchAnchorNotFoundError(`${patch.id}: expected ${what} once in ${patch.file}, found ${matches.length}; re-check the patch against this librdkafka`);
  }
  const at = matches[0]!.index + matches[0]![0].length;
  return source.slice(0, at) + insert.slice(1) + source.slice(at);
}
