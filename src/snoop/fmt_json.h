/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * fmt_json.h - record -> JSON Lines, ECS field names (docs/json-schema.md).
 * Pure functions writing one newline-terminated object into a caller buffer.
 */
#ifndef FMT_JSON_H
#define FMT_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "lib/json.h"
#include "snoop_abi.h"

/* Version of the JSON schema, in every object as socket_snoop.schema. */
#define SNOOP_JSON_SCHEMA "1"

/* The kernel's lower-case name of a TCP state ("syn_sent"); "unknown" when out of range. */
void fmt_state_name(struct strbuf *sb, int state);

/* One event as a JSON object; @seq is event.sequence.  Returns its length. */
size_t fmt_json_event(char *buf, size_t size, const struct snoop_event *e, uint64_t wall_ns,
		      uint64_t seq);

/* An event.action "lost" object with the count of events the kernel dropped. */
size_t fmt_json_lost(char *buf, size_t size, uint64_t count, uint64_t wall_ns, uint64_t seq);

/*
 * Start an object with @timestamp and an "event" object holding
 * event.action, left open: the caller adds event members, closes "event"
 * and, after its own members, the object (json_object_end() twice).
 */
void fmt_json_begin(struct json *j, uint64_t wall_ns, const char *action);

/* source/destination members for a tuple: initiator and responder as ECS defines them. */
void fmt_json_endpoints(struct json *j, const uint8_t laddr[SNOOP_ADDR_LEN], uint16_t lport,
			const uint8_t raddr[SNOOP_ADDR_LEN], uint16_t rport, int flags,
			int is_listener);

#endif
