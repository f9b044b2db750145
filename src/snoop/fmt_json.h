/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fmt_json.h - record -> JSON Lines, ECS field names (docs/json-schema.md).
 * Pure functions writing one newline-terminated object into a caller buffer.
 */
#ifndef FMT_JSON_H
#define FMT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/json.h"
#include "snoop_abi.h"

/* Version of the JSON schema, in every object as socket_snoop.schema. */
#define SNOOP_JSON_SCHEMA "3"

/* One event as a JSON object; @seq is event.sequence.  Returns its length. */
size_t fmt_json_event(char *buf, size_t size, const struct snoop_event *e, uint64_t wall_ns,
		      uint64_t seq);

struct snoop_loss;

/*
 * An event.action "lost" object: how many events the kernel dropped, why
 * (socket_snoop.lost_cause), and what helps (message).
 */
size_t fmt_json_lost(char *buf, size_t size, const struct snoop_loss *loss, uint64_t wall_ns,
		     uint64_t seq);

/*
 * The ECS pieces every object is written from, at a cursor with room
 * enough (FMT_LINE_MAX holds any object of ours); each returns the cursor
 * after what it wrote.  One description of the shape for every object:
 * events, losses and the lifecycle report.
 */

/* {"@timestamp":"TIME","event":{"action":"ACTION"  (the event object left open) */
char *fmt_json_put_head(char *p, uint64_t wall_ns, const char *action);

/*
 * ,"source":{...},"destination":{...} for a tuple, the initiator as source
 * (the remote end of an accepted connection); a listener has a source only.
 * @remote_domain (or NULL): the remote end's "domain".
 */
char *fmt_json_put_ends(char *p, const uint8_t laddr[SNOOP_ADDR_LEN], uint16_t lport,
			const uint8_t raddr[SNOOP_ADDR_LEN], uint16_t rport, int flags,
			bool listener, const char *remote_domain);

/* A state's lower-case name, unquoted ("syn_sent"; "unknown" when out of range). */
char *fmt_json_put_state(char *p, int state);

/* The longest host name fmt_json_set_host() takes, in bytes (a DNS name's limit). */
#define FMT_JSON_HOST_MAX 253
/*
 * Of a name with bytes to escape (up to 6 each), the most kept: a hostile
 * name costs no more room than a plain one (the objects' size bound,
 * FMT_LINE_MAX / 2, allows for this much).
 */
#define FMT_JSON_HOST_ESCAPED_MAX 64
/* The longest "host" member fmt_json_put_host() writes. */
#define FMT_JSON_HOST_MEMBER_MAX \
	(sizeof(",\"host\":{\"name\":\"\"}") + 6 * FMT_JSON_HOST_ESCAPED_MAX)

/*
 * ,"host":{"name":"NAME"} in every object from now on (escaped here, once);
 * NULL or "" for none.  A name longer than FMT_JSON_HOST_MAX is cut, and one
 * with a byte that needs escaping (not printable ASCII, or '"' and '\\') is
 * cut at FMT_JSON_HOST_ESCAPED_MAX bytes, at a character's start.
 */
void fmt_json_set_host(const char *name);

struct procinfo_cache;
/*
 * Where the objects' process members are completed from (the parent now,
 * process.command_line, process.args_count, process.entity_id), or NULL (the
 * default): what the kernel recorded only.
 */
void fmt_json_set_procinfo(struct procinfo_cache *c);

struct resolved;
/*
 * Where the remote end's "domain" comes from (the names the socket's network
 * namespace resolved: snoop/resolved.h), or NULL (the default): none.
 */
void fmt_json_set_resolved(struct resolved *r);

struct cgroup_cache;
/*
 * Where the objects' service, container and orchestrator members come from
 * (the owner's cgroup: common/cgroups.h), or NULL (the default): none.
 */
void fmt_json_set_cgroups(struct cgroup_cache *c);

/* ,"host":{...} as set by fmt_json_set_host(), or nothing. */
char *fmt_json_put_host(char *p);

#endif
