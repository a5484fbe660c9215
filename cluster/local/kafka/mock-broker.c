/*
 * Kafka-protocol test broker: librdkafka's in-memory mock cluster behind a tiny launcher.
 *
 * Usage: mock-broker [--exit-on-stdin-eof] <broker-count> [topic:partitions ...]
 *
 * Prints, one line each, flushed (a parent reading a pipe sees nothing otherwise):
 *   BOOTSTRAP <host:port,host:port,...>
 *   CONTROL 127.0.0.1:<port>
 *
 * The control port takes one command per line. Test files run in other processes than the one
 * that started the broker, and the mock does not implement the CreateTopics API, so this is how
 * they create topics with the partition counts they need:
 *   create-topic <name> <partitions>   ->  "ok" | "error <reason>"
 *
 * SIGTERM/SIGINT (or stdin EOF with --exit-on-stdin-eof, so a crashed parent leaves no orphan)
 * destroy the mock cluster, then the client handle it hangs off, and exit 0.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "rdkafka.h"
#include "rdkafka_mock.h" /* must come after rdkafka.h */

#define MAX_CLIENTS 32
#define LINE_MAX_LEN 512
#define POLL_MS 200

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
        (void)sig;
        stop_requested = 1;
}

typedef struct {
        int fd;
        size_t len;
        char buf[LINE_MAX_LEN];
} client_t;

static void reply(int fd, const char *line) {
        /* Replies are tiny; a client that does not read them only loses its own answer. */
        size_t len = strlen(line);
        ssize_t n  = send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)n;
}

static int parse_partitions(const char *s) {
        char *end = NULL;
        long n    = strtol(s, &end, 10);
        if (!*s || *end || n < 1 || n > 10000)
                return -1;
        return (int)n;
}

static void create_topic(rd_kafka_mock_cluster_t *mcluster,
                         const char *name,
                         int partitions,
                         char *out,
                         size_t outsz) {
        rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(mcluster, name, partitions, 1);
        if (err)
                snprintf(out, outsz, "error %s: %s\n", rd_kafka_err2name(err),
                         rd_kafka_err2str(err));
        else
                snprintf(out, outsz, "ok\n");
}

static void handle_line(rd_kafka_mock_cluster_t *mcluster, int fd, char *line) {
        char out[LINE_MAX_LEN + 64];
        char *saveptr = NULL;
        char *cmd     = strtok_r(line, " \t\r", &saveptr);
        char *name    = cmd ? strtok_r(NULL, " \t\r", &saveptr) : NULL;
        char *count   = name ? strtok_r(NULL, " \t\r", &saveptr) : NULL;
        char *extra   = count ? strtok_r(NULL, " \t\r", &saveptr) : NULL;
        int partitions;

        if (!cmd) {
                reply(fd, "error empty command\n");
                return;
        }
        if (strcmp(cmd, "create-topic") != 0) {
                snprintf(out, sizeof(out), "error unknown command %.64s\n", cmd);
                reply(fd, out);
                return;
        }
        if (!name || !count || extra) {
                reply(fd, "error usage: create-topic <name> <partitions>\n");
                return;
        }
        if ((partitions = parse_partitions(count)) < 0) {
                reply(fd, "error partitions must be an integer in 1..10000\n");
                return;
        }
        create_topic(mcluster, name, partitions, out, sizeof(out));
        reply(fd, out);
}

/* Returns 0 to keep the client, -1 to close it. */
static int serve_client(rd_kafka_mock_cluster_t *mcluster, client_t *c) {
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
        char *nl;

        if (n == 0)
                return -1;
        if (n < 0)
                return (errno == EINTR || errno == EAGAIN) ? 0 : -1;
        c->len += (size_t)n;

        while ((nl = memchr(c->buf, '\n', c->len))) {
                size_t used = (size_t)(nl - c->buf) + 1;
                *nl         = '\0';
                handle_line(mcluster, c->fd, c->buf);
                memmove(c->buf, c->buf + used, c->len - used);
                c->len -= used;
        }
        if (c->len == sizeof(c->buf)) {
                reply(c->fd, "error line too long\n");
                return -1;
        }
        return 0;
}

static int listen_loopback(int *port) {
        struct sockaddr_in addr;
        socklen_t alen = sizeof(addr);
        int one        = 1;
        int fd         = socket(AF_INET, SOCK_STREAM, 0);

        if (fd < 0)
                return -1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        memset(&addr, 0, sizeof(addr));
        addr.sin_family      = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port        = 0; /* the kernel picks a free port: never a fixed one */
        if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
            listen(fd, 16) < 0 ||
            getsockname(fd, (struct sockaddr *)&addr, &alen) < 0) {
                close(fd);
                return -1;
        }
        *port = ntohs(addr.sin_port);
        return fd;
}

static void serve(rd_kafka_mock_cluster_t *mcluster, int lfd, int watch_stdin) {
        client_t clients[MAX_CLIENTS];
        struct pollfd pfds[MAX_CLIENTS + 2];
        int nclients = 0;
        int i;

        while (!stop_requested) {
                int n = 0, base;
                pfds[n].fd     = lfd;
                pfds[n++].events = POLLIN;
                if (watch_stdin) {
                        pfds[n].fd       = STDIN_FILENO;
                        pfds[n++].events = POLLIN;
                }
                base = n;
                for (i = 0; i < nclients; i++) {
                        pfds[n].fd       = clients[i].fd;
                        pfds[n++].events = POLLIN;
                }

                /* A timeout, not a blocking wait: the stop flag is checked at least every
                 * POLL_MS even if a signal lands between the check and poll(). */
                if (poll(pfds, (nfds_t)n, POLL_MS) < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("mock-broker: poll");
                        return;
                }

                if (watch_stdin && pfds[1].revents) {
                        char sink[256];
                        ssize_t r = read(STDIN_FILENO, sink, sizeof(sink));
                        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
                                fprintf(stderr, "mock-broker: stdin closed, exiting\n");
                                return;
                        }
                }

                /* Serve clients back to front so removing one does not skip the next. */
                for (i = nclients - 1; i >= 0; i--) {
                        if (!pfds[base + i].revents)
                                continue;
                        if (serve_client(mcluster, &clients[i]) < 0) {
                                close(clients[i].fd);
                                clients[i] = clients[--nclients];
                        }
                }

                if (pfds[0].revents & POLLIN) {
                        int cfd = accept(lfd, NULL, NULL);
                        if (cfd < 0)
                                continue;
                        if (nclients == MAX_CLIENTS) {
                                reply(cfd, "error too many connections\n");
                                close(cfd);
                                continue;
                        }
                        clients[nclients].fd  = cfd;
                        clients[nclients].len = 0;
                        nclients++;
                }
        }

        for (i = 0; i < nclients; i++)
                close(clients[i].fd);
}

static void usage(void) {
        fprintf(stderr,
                "usage: mock-broker [--exit-on-stdin-eof] <broker-count> "
                "[topic:partitions ...]\n");
}

int main(int argc, char **argv) {
        char errstr[512];
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mcluster;
        struct sigaction sa;
        int argi = 1, watch_stdin = 0, broker_cnt, lfd, port, i;

        if (argi < argc && strcmp(argv[argi], "--exit-on-stdin-eof") == 0) {
                watch_stdin = 1;
                argi++;
        }
        if (argi >= argc || (broker_cnt = parse_partitions(argv[argi])) < 0 ||
            broker_cnt > 16) {
                usage();
                return 2;
        }
        argi++;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        /* The mock cluster needs a client handle for its own bookkeeping; this one never
         * connects anywhere. Warnings only: its "no bootstrap.servers" notice is noise. */
        conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
                fprintf(stderr, "mock-broker: %s\n", errstr);
                return 1;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "mock-broker: rd_kafka_new: %s\n", errstr);
                return 1;
        }

        mcluster = rd_kafka_mock_cluster_new(rk, broker_cnt);
        if (!mcluster) {
                fprintf(stderr, "mock-broker: cannot create mock cluster\n");
                rd_kafka_destroy(rk);
                return 1;
        }
        /* The mock reports controller id 0 by default while its brokers are numbered from 1;
         * kafkajs then fails idempotent-producer setup ("Broker 0 not found"). */
        rd_kafka_mock_set_controller_id(mcluster, 1);
        /* Tests start and kill members constantly; a 3 s initial join delay would dominate. */
        rd_kafka_mock_group_initial_rebalance_delay_ms(mcluster, 0);

        for (i = argi; i < argc; i++) {
                char out[LINE_MAX_LEN + 64];
                char *colon  = strrchr(argv[i], ':');
                int parts    = colon ? parse_partitions(colon + 1) : -1;
                if (!colon || colon == argv[i] || parts < 0) {
                        fprintf(stderr, "mock-broker: bad topic spec '%s' (want name:partitions)\n",
                                argv[i]);
                        usage();
                        rd_kafka_mock_cluster_destroy(mcluster);
                        rd_kafka_destroy(rk);
                        return 2;
                }
                *colon = '\0';
                create_topic(mcluster, argv[i], parts, out, sizeof(out));
                if (strcmp(out, "ok\n") != 0) {
                        fprintf(stderr, "mock-broker: topic %s: %s", argv[i], out);
                        rd_kafka_mock_cluster_destroy(mcluster);
                        rd_kafka_destroy(rk);
                        return 1;
                }
        }

        lfd = listen_loopback(&port);
        if (lfd < 0) {
                perror("mock-broker: control socket");
                rd_kafka_mock_cluster_destroy(mcluster);
                rd_kafka_destroy(rk);
                return 1;
        }

        printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
        printf("CONTROL 127.0.0.1:%d\n", port);
        fflush(stdout);

        serve(mcluster, lfd, watch_stdin);

        close(lfd);
        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(rk);
        return 0;
}
