// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* names.c - the names of the kernel's and our enumerations, for every format (see names.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/names.h"
#include "snoop_abi.h"

const char *names__reset_reason(int reason)
{
#define SNOOP_RST_NAME(name) #name,
	static const char *const names[SNOOP_RST_COUNT] = { SNOOP_RST_REASONS(SNOOP_RST_NAME) };
#undef SNOOP_RST_NAME

	if (reason < 0 || reason >= SNOOP_RST_COUNT)
		return NULL;
	return names[reason];
}

static const struct {
	const char *name, *what;
} loss_causes[SNOOP_LOSS_N] = {
#define SNOOP_LOSS_ROW(id, name, what) [SNOOP_LOSS_##id] = { name, what },
	SNOOP_LOSS_CAUSES(SNOOP_LOSS_ROW)
#undef SNOOP_LOSS_ROW
};

const char *names__loss_cause(int cause)
{
	return cause >= 0 && cause < SNOOP_LOSS_N ? loss_causes[cause].name : NULL;
}

const char *names__loss_what(int cause)
{
	return cause >= 0 && cause < SNOOP_LOSS_N ? loss_causes[cause].what : NULL;
}

const char *names__reset_detail(int detail, long long *number)
{
	if (detail == 0) {
		*number = -1;
		return NULL;
	}
	/* Positive: our index + 1; negative: -(kernel value + 1) for a reason we do not name. */
	*number = detail > 0 ? (long long)detail - 1 : -(long long)detail - 1;
	return detail > 0 ? names__reset_reason(detail - 1) : NULL;
}

/* One row of the states list (snoop_abi.h) by state; NULL out of range. */
static const struct state_names {
	const char *kernel, *desc; /* the JSON name: fmt_json.c, from the same list */
} * state_row(int state)
{
	static const struct state_names rows[SNOOP_TCP_MAX_STATES] = {
#define STATE_ROW(name, value, json, desc) [value] = { #name, desc },
		SNOOP_TCP_STATES(STATE_ROW)
#undef STATE_ROW
	};

	if (state <= 0 || state >= SNOOP_TCP_MAX_STATES || !rows[state].kernel)
		return NULL;
	return &rows[state];
}

const char *names__state_desc(int state)
{
	return state_row(state) ? state_row(state)->desc : "UNKNOWN STATE";
}

const char *names__state_kernel(int state)
{
	return state_row(state) ? state_row(state)->kernel : NULL;
}

const char *names__attribution(int attribution)
{
	switch (attribution) {
	case SNOOP_ATTR_OWNER:
		return "owner";
	case SNOOP_ATTR_LISTENER:
		return "listener";
	case SNOOP_ATTR_SNAPSHOT:
		return "snapshot";
	default:
		return "unknown";
	}
}

const char *names__tw_end(int how)
{
	switch (how) {
	case SNOOP_TW_END_RESET:
		return "reset";
	case SNOOP_TW_END_REUSED:
		return "reused";
	default:
		return NULL;
	}
}

const char *names__closed_by(int closed_by)
{
	switch (closed_by) {
	case SNOOP_CLOSED_LOCAL:
		return "local";
	case SNOOP_CLOSED_REMOTE:
		return "remote";
	case SNOOP_CLOSED_RESET:
		return "reset";
	default:
		return "unknown";
	}
}

static const struct {
	const char *text;
	int side; /* 1 the socket's own side, -1 its peer's, 0 neither */
} close_reasons[SNOOP_CLOSE_REASON_COUNT] = {
#define SIDE_LOCAL 1
#define SIDE_PEER (-1)
#define SIDE_NONE 0
#define CLOSE_REASON_ROW(name, value, text, side, ...) [value] = { text, SIDE_##side },
	SNOOP_CLOSE_REASONS(CLOSE_REASON_ROW)
#undef CLOSE_REASON_ROW
#undef SIDE_LOCAL
#undef SIDE_PEER
#undef SIDE_NONE
};

const char *names__close_reason(int reason)
{
	if (reason < 0 || reason >= SNOOP_CLOSE_REASON_COUNT)
		reason = SNOOP_CLOSE_UNKNOWN;
	return close_reasons[reason].text;
}

const char *names__close_side(int reason, int flags)
{
	int side;

	if (reason < 0 || reason >= SNOOP_CLOSE_REASON_COUNT)
		return NULL;
	side = close_reasons[reason].side;
	if (!side || !(flags & (SNOOP_SF_ACTIVE | SNOOP_SF_PASSIVE)))
		return NULL;
	/* The side that connected is the client. */
	return (side > 0) == !!(flags & SNOOP_SF_ACTIVE) ? "client" : "server";
}

const char *names__ca_state(int ca_worst)
{
	static const char *const names[] = { "open", "disorder", "cwr", "recovery", "loss" };

	if (ca_worst < 1 || ca_worst > (int)(sizeof(names) / sizeof(names[0])))
		return NULL;
	return names[ca_worst - 1];
}

const char *names__direction(int flags)
{
	if (flags & SNOOP_SF_ACTIVE)
		return "outbound";
	if (flags & SNOOP_SF_PASSIVE)
		return "inbound";
	return "unknown";
}

/* One row of the kinds table (snoop_abi.h) by kind value; NULL past it. */
static const struct kind_names {
	const char *option, *action, *label;
} * kind_row(int kind)
{
	static const struct kind_names rows[] = {
#define KIND_ROW(name, value, option, action, label, ...) [value] = { option, action, label },
		SNOOP_KINDS(KIND_ROW)
#undef KIND_ROW
	};

	if (kind <= 0 || kind >= (int)(sizeof(rows) / sizeof(rows[0])) || !rows[kind].option)
		return NULL;
	return &rows[kind];
}

const char *names__kind_option(int kind)
{
	return kind_row(kind) ? kind_row(kind)->option : NULL;
}

const char *names__kind_action(int kind)
{
	return kind_row(kind) ? kind_row(kind)->action : NULL;
}

const char *names__kind_label(int kind)
{
	return kind_row(kind) ? kind_row(kind)->label : NULL;
}

uint32_t names__kind_option_mask(const char *option)
{
	uint32_t mask = 0;

	for (int kind = 1; kind < 32; kind++)
		if (names__kind_option(kind) && strcasecmp(option, names__kind_option(kind)) == 0)
			mask |= 1u << kind;
	return mask;
}

const char *names__kind_options(const char *sep)
{
	static char list[128];
	size_t n = 0;

	list[0] = '\0';
	for (int kind = 1; kind < 32; kind++) {
		const char *opt = names__kind_option(kind);

		/* Kinds that share an option (reset) follow each other in the table. */
		if (!opt || (kind > 1 && names__kind_option(kind - 1) &&
			     strcmp(opt, names__kind_option(kind - 1)) == 0))
			continue;
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", n ? sep : "", opt);
		if (n >= sizeof(list))
			break;
	}
	return list;
}

static const char *const field_options[] = {
#define FIELD_OPTION(id, name, key) [SNOOP_FIELD_##id] = (name),
	SNOOP_LOG_FIELDS(FIELD_OPTION)
#undef FIELD_OPTION
};

static const char *const field_keys[] = {
#define FIELD_KEY(id, name, key) [SNOOP_FIELD_##id] = (key),
	SNOOP_LOG_FIELDS(FIELD_KEY)
#undef FIELD_KEY
};

const char *names__field_option(int field)
{
	return field >= 0 && field < SNOOP_FIELD_COUNT ? field_options[field] : NULL;
}

const char *names__field_key(int field)
{
	return field >= 0 && field < SNOOP_FIELD_COUNT ? field_keys[field] : NULL;
}

const char *names__field_options(const char *sep)
{
	static char list[128];
	size_t n = 0;

	list[0] = '\0';
	for (int f = 0; f < SNOOP_FIELD_COUNT && n < sizeof(list); f++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", n ? sep : "",
				      field_options[f]);
	return list;
}
