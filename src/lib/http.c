// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* http.c - HTTP/1.x request heads from a hostile client; response heads (see http.h). */
#include <string.h>
#include <time.h>

#include "lib/http.h"
#include "lib/text.h"

enum http_stage {
	STAGE_REQUEST, /* before and in the request line */
	STAGE_FIELDS,
	STAGE_DONE, /* st.result is the answer */
};

/* What a request line may hold: visible ASCII and the spaces between its parts. */
static const bool request_byte[256] = {
	[0x20 ... 0x7e] = true,
};

/* What a field line may hold (RFC 9110, 5.5): visible, obs-text, spaces and tabs. */
static const bool field_byte[256] = {
	['\t'] = true,
	[0x20 ... 0x7e] = true,
	[0x80 ... 0xff] = true,
};

/* The characters of a token (RFC 9110, 5.6.2): methods, field names, codings. */
static const bool tchar[256] = {
	['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true, ['!'] = true,
	['#'] = true,	      ['$'] = true,	    ['%'] = true,	  ['&'] = true,
	['\''] = true,	      ['*'] = true,	    ['+'] = true,	  ['-'] = true,
	['.'] = true,	      ['^'] = true,	    ['_'] = true,	  ['`'] = true,
	['|'] = true,	      ['~'] = true,
};

/*
 * What a host (RFC 3986, 3.2.2) with its port may hold: reg-name (unreserved,
 * pct-encoded, sub-delims), IP literals in brackets, the colon.
 */
static const bool host_byte[256] = {
	['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true, ['-'] = true,
	['.'] = true,	      ['_'] = true,	    ['~'] = true,	  ['%'] = true,
	['!'] = true,	      ['$'] = true,	    ['&'] = true,	  ['\''] = true,
	['('] = true,	      [')'] = true,	    ['*'] = true,	  ['+'] = true,
	[','] = true,	      [';'] = true,	    ['='] = true,	  [':'] = true,
	['['] = true,	      [']'] = true,
};

void http_req_init(struct http_req *r)
{
	memset(r, 0, sizeof(*r));
	r->st.gzip_q = -1;
	r->st.any_q = -1;
}

static bool all_of(const bool set[256], const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!set[(unsigned char)s[i]])
			return false;
	return true;
}

static bool is_token(const char *s, size_t n)
{
	return n > 0 && all_of(tchar, s, n);
}

/* @s (@n bytes) is the lower-case @lit in any case: ASCII only, whatever the locale. */
static bool ascii_ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i]; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lit[i])
			return false;
	}
	return i == n && !lit[i];
}

static size_t skip_ows(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* @n bytes of @s into @dst (room for HTTP_TARGET_MAX and a NUL: @n is never more). */
static void copy_part(char dst[HTTP_TARGET_MAX + 1], const char *s, size_t n)
{
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* "HTTP/1.0" or "HTTP/1.1"; another HTTP/d.d is 505, anything else malformed. */
static int parse_version(struct http_req *r, const char *v, size_t n)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
		return -HTTP_BAD_REQUEST;
	if (v[5] != '1' || v[7] > '1')
		return -HTTP_VERSION_NOT_SUPPORTED;
	r->minor = (unsigned int)(v[7] - '0');
	return 0;
}

/*
 * Where the path of an absolute-form target (RFC 9112, 3.2.2: "http://host/p",
 * which a server must accept) starts, after its scheme and authority; NULL
 * when @t is not one.
 */
static const char *absolute_path(const char *t, size_t n)
{
	const char *end = t + n, *auth, *p;

	if (n >= 7 && ascii_ieq(t, 7, "http://"))
		auth = t + 7;
	else if (n >= 8 && ascii_ieq(t, 8, "https://"))
		auth = t + 8;
	else
		return NULL;
	for (p = auth; p < end && *p != '/' && *p != '?'; p++)
		if (!host_byte[(unsigned char)*p])
			return NULL;
	return p > auth ? p : NULL;
}

/*
 * The path and query of a GET or HEAD target: origin-form ("/metrics?x")
 * or absolute-form.  Other methods are answered 405 whatever their target
 * ("*" of OPTIONS, "host:port" of CONNECT), so theirs is not looked at.
 */
static int parse_target(struct http_req *r, const char *t, size_t n)
{
	const char *end = t + n, *path = t, *q;

	if (r->method == HTTP_METHOD_OTHER)
		return 0;
	/* A fragment is the client's own business and never sent (RFC 9112, 3.2). */
	if (memchr(t, '#', n))
		return -HTTP_BAD_REQUEST;
	if (t[0] != '/' && !(path = absolute_path(t, n)))
		return -HTTP_BAD_REQUEST;
	q = memchr(path, '?', (size_t)(end - path));
	if (!q)
		q = end;
	if (q == path) /* "http://host" or "http://host?x": the path is "/" */
		copy_part(r->path, "/", 1);
	else
		copy_part(r->path, path, (size_t)(q - path));
	if (q < end)
		copy_part(r->query, q + 1, (size_t)(end - q - 1));
	return 0;
}

/*
 * A byte of the request line, checked as it is scanned: what it proves
 * wrong (a method that is not a token, a target longer than
 * HTTP_TARGET_MAX, a third space) is refused at that byte.  Refusing in byte
 * order, never where a call happens to end, keeps the answer the same
 * however the bytes arrive.  @at is its place in the line.
 */
static int request_line_byte(struct http_req *r, unsigned char c, size_t at)
{
	if (c == ' ') {
		if (!at || ++r->st.spaces > 2)
			return -HTTP_BAD_REQUEST;
		return 0;
	}
	if (!r->st.spaces)
		return tchar[c] ? 0 : -HTTP_BAD_REQUEST;
	if (r->st.spaces == 1 && ++r->st.target_len > HTTP_TARGET_MAX)
		return -HTTP_URI_TOO_LONG;
	return 0;
}

/* The whole request line, "METHOD SP target SP version", its bytes checked already. */
static int request_line(struct http_req *r, const char *s, size_t n)
{
	size_t method_len;
	const char *target;
	int rc;

	/* No version (HTTP/0.9's "GET /"), or an empty target. */
	if (r->st.spaces != 2 || !r->st.target_len)
		return -HTTP_BAD_REQUEST;
	method_len = (size_t)((const char *)memchr(s, ' ', n) - s);
	target = s + method_len + 1;
	rc = parse_version(r, target + r->st.target_len + 1, n - method_len - r->st.target_len - 2);
	if (rc)
		return rc;
	/* Methods are case-sensitive (RFC 9110, 9.1). */
	if (method_len == 3 && !memcmp(s, "GET", 3))
		r->method = HTTP_METHOD_GET;
	else if (method_len == 4 && !memcmp(s, "HEAD", 4))
		r->method = HTTP_METHOD_HEAD;
	else
		r->method = HTTP_METHOD_OTHER;
	return parse_target(r, target, r->st.target_len);
}

/* A weight, "q=" (RFC 9110, 12.4.2), in thousandths; -1 when malformed. */
static int parse_qvalue(const char *s, size_t n)
{
	int v, scale = 100;

	if (n < 1 || (s[0] != '0' && s[0] != '1'))
		return -1;
	v = (s[0] - '0') * 1000;
	if (n == 1)
		return v;
	if (s[1] != '.' || n > 5)
		return -1;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v += (s[i] - '0') * scale;
	}
	return v > 1000 ? -1 : v;
}

/*
 * One parameter of an Accept-Encoding element, from the ';' at @i: its end,
 * the weight in @q when it is q.  0 when malformed.
 */
static size_t coding_param(const char *s, size_t n, size_t i, int *q)
{
	size_t name, name_len, val;

	i = skip_ows(s, n, i + 1);
	for (name = i; i < n && tchar[(unsigned char)s[i]]; i++)
		;
	name_len = i - name;
	if (!name_len || i == n || s[i] != '=')
		return 0;
	val = ++i;
	if (i < n && s[i] == '"') {
		/* A quoted string: skipped, escapes and all; a weight is never one. */
		for (i++; i < n && s[i] != '"'; i++)
			if (s[i] == '\\' && i + 1 < n)
				i++;
		if (i == n)
			return 0;
		i++;
	} else {
		while (i < n && tchar[(unsigned char)s[i]])
			i++;
	}
	if (i == val)
		return 0;
	if (ascii_ieq(s + name, name_len, "q") && (*q = parse_qvalue(s + val, i - val)) < 0)
		return 0;
	return i;
}

/* A coding and its weight: gzip (x-gzip is the same, RFC 9110, 8.4.1.3) or "*". */
static void note_coding(struct http_req *r, const char *c, size_t n, int q)
{
	int16_t *w;

	if (ascii_ieq(c, n, "gzip") || ascii_ieq(c, n, "x-gzip"))
		w = &r->st.gzip_q;
	else if (n == 1 && c[0] == '*')
		w = &r->st.any_q;
	else
		return;
	/* Named twice: a refusal wins, gzip is never sent to a client that said no. */
	if (*w < 0 || q < *w)
		*w = (int16_t)q;
}

/*
 * An Accept-Encoding value (RFC 9110, 12.5.3): codings with optional
 * parameters, one of which is the weight.  A malformed element is skipped
 * up to the next comma: no request is refused for this header.
 */
static void accept_encoding(struct http_req *r, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t name, name_len;
		int q = 1000;

		while (i < n && (s[i] == ',' || s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n)
			break;
		for (name = i; i < n && tchar[(unsigned char)s[i]]; i++)
			;
		name_len = i - name;
		i = skip_ows(s, n, i);
		while (name_len && i < n && s[i] == ';') {
			i = coding_param(s, n, i, &q);
			if (!i)
				break;
			i = skip_ows(s, n, i);
		}
		if (!name_len || !i || (i < n && s[i] != ',')) {
			for (i = name; i < n && s[i] != ','; i++)
				;
			continue;
		}
		note_coding(r, s + name, name_len, q);
	}
}

/*
 * One field line, "name: value" (RFC 9112, 5).  Refused: a line starting
 * with a space (obsolete line folding, 5.2), a name that is not a token (no
 * space before the colon, 5.1), a second Host or one that is not a host.
 */
static int field_line(struct http_req *r, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t name_len, v, vend;

	if (s[0] == ' ' || s[0] == '\t' || !colon)
		return -HTTP_BAD_REQUEST;
	name_len = (size_t)(colon - s);
	if (!is_token(s, name_len))
		return -HTTP_BAD_REQUEST;
	if (++r->st.fields > HTTP_FIELDS_MAX)
		return -HTTP_FIELDS_TOO_LARGE;
	v = skip_ows(s, n, name_len + 1);
	for (vend = n; vend > v && (s[vend - 1] == ' ' || s[vend - 1] == '\t'); vend--)
		;
	if (ascii_ieq(s, name_len, "host")) {
		/* Two hosts could route one request two ways (RFC 9112, 3.2). */
		if (++r->st.hosts > 1 || !all_of(host_byte, s + v, vend - v))
			return -HTTP_BAD_REQUEST;
	} else if (ascii_ieq(s, name_len, "accept-encoding")) {
		/* A list may come in several lines (RFC 9110, 5.3): they add up. */
		accept_encoding(r, s + v, vend - v);
	}
	return 0;
}

/* The empty line after the fields: the head is @len bytes. */
static int head_end(struct http_req *r, size_t len)
{
	if (r->minor == 1 && !r->st.hosts)
		return -HTTP_BAD_REQUEST; /* RFC 9112, 3.2 */
	if (r->method == HTTP_METHOD_OTHER)
		return -HTTP_METHOD_NOT_ALLOWED;
	/*
	 * Without the header nothing is compressed: it would mean "any coding"
	 * (RFC 9110, 12.5.3), but a client that sends none rarely wants one.
	 */
	r->gzip = r->st.gzip_q >= 0 ? r->st.gzip_q > 0 : r->st.any_q > 0;
	return (int)len;
}

/* A whole line of @n bytes (without its end), the next starting at @next. */
static int on_line(struct http_req *r, const char *s, size_t n, size_t next)
{
	int rc;

	if (r->st.stage == STAGE_REQUEST) {
		if (!n)
			return 0; /* empty lines before the request line are skipped (RFC 9112, 2.2) */
		rc = request_line(r, s, n);
		if (!rc)
			r->st.stage = STAGE_FIELDS;
		return rc;
	}
	return n ? field_line(r, s, n) : head_end(r, next);
}

/*
 * The end of the current line in @buf (@end bytes): 1, with its length
 * (without CRLF or LF) in @n and where the next starts in @next; 0 when it
 * has not arrived yet, how far it was checked kept for the next call; -400
 * on a byte no line of its kind may hold.  A CR ends a line only before an
 * LF; one that is the last byte received is left for the next call.
 */
static int line_end(struct http_req *r, const char *buf, size_t end, size_t *n, size_t *next)
{
	bool request = r->st.stage == STAGE_REQUEST;
	const bool *allowed = request ? request_byte : field_byte;
	size_t start = r->st.line, i;
	int rc;

	for (i = start + r->st.scanned; i < end; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (allowed[c]) {
			if (request && (rc = request_line_byte(r, c, i - start)))
				return rc;
			continue;
		}
		if (c == '\n') {
			*n = i - start;
			*next = i + 1;
			return 1;
		}
		if (c != '\r')
			return -HTTP_BAD_REQUEST;
		if (i + 1 == end)
			break;
		if (buf[i + 1] != '\n')
			return -HTTP_BAD_REQUEST;
		*n = i - start;
		*next = i + 2;
		return 1;
	}
	r->st.scanned = (uint32_t)(i - start);
	return 0;
}

static int finish(struct http_req *r, int result)
{
	r->st.stage = STAGE_DONE;
	r->st.result = result;
	return result;
}

int http_parse(struct http_req *r, const char *buf, size_t len)
{
	/* Bytes past the limit are never looked at: a head longer than it is refused. */
	size_t end = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX, n, next;
	int rc;

	if (r->st.stage == STAGE_DONE)
		return r->st.result;
	if (len < (size_t)r->st.line + r->st.scanned)
		http_req_init(r);
	while ((rc = line_end(r, buf, end, &n, &next)) > 0) {
		rc = on_line(r, buf + r->st.line, n, next);
		if (rc)
			return finish(r, rc);
		r->st.line = (uint32_t)next;
		r->st.scanned = 0;
	}
	if (rc < 0)
		return finish(r, rc);
	if (end < HTTP_HEAD_MAX)
		return 0;
	/* No request line is this long but for its target, which would be 414 already. */
	return finish(r, r->st.stage == STAGE_REQUEST ? -HTTP_BAD_REQUEST : -HTTP_FIELDS_TOO_LARGE);
}

const char *http_status_text(int status)
{
	switch (status) {
	case HTTP_OK:
		return "OK";
	case HTTP_BAD_REQUEST:
		return "Bad Request";
	case HTTP_NOT_FOUND:
		return "Not Found";
	case HTTP_METHOD_NOT_ALLOWED:
		return "Method Not Allowed";
	case HTTP_REQUEST_TIMEOUT:
		return "Request Timeout";
	case HTTP_URI_TOO_LONG:
		return "URI Too Long";
	case HTTP_FIELDS_TOO_LARGE:
		return "Request Header Fields Too Large";
	case HTTP_INTERNAL_ERROR:
		return "Internal Server Error";
	case HTTP_UNAVAILABLE:
		return "Service Unavailable";
	case HTTP_VERSION_NOT_SUPPORTED:
		return "HTTP Version Not Supported";
	}
	return NULL;
}

static void put_2digits(struct strbuf *sb, int v)
{
	strbuf_char(sb, (char)('0' + v / 10 % 10));
	strbuf_char(sb, (char)('0' + v % 10));
}

/*
 * "Date: Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110, 5.6.7): the names from
 * tables, not strftime(), whose %a and %b follow LC_TIME.  Nothing for a
 * time gmtime_r() cannot break down or a year of more than four digits.
 */
static void put_date(struct strbuf *sb, time_t date)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (!gmtime_r(&date, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return;
	strbuf_str(sb, "Date: ");
	strbuf_mem(sb, days[tm.tm_wday], 3);
	strbuf_str(sb, ", ");
	put_2digits(sb, tm.tm_mday);
	strbuf_char(sb, ' ');
	strbuf_mem(sb, months[tm.tm_mon], 3);
	strbuf_char(sb, ' ');
	put_2digits(sb, (tm.tm_year + 1900) / 100);
	put_2digits(sb, (tm.tm_year + 1900) % 100);
	strbuf_char(sb, ' ');
	put_2digits(sb, tm.tm_hour);
	strbuf_char(sb, ':');
	put_2digits(sb, tm.tm_min);
	strbuf_char(sb, ':');
	put_2digits(sb, tm.tm_sec);
	strbuf_str(sb, " GMT\r\n");
}

size_t http_response_head(char *buf, size_t size, int status, const char *content_type,
			  size_t content_length, bool gzip, time_t date)
{
	const char *text = http_status_text(status);
	struct strbuf sb;

	strbuf_init(&sb, buf, size);
	/* The type is the caller's literal, but one with a CR or LF would add a header. */
	if (!text || (content_type && !all_of(request_byte, content_type, strlen(content_type))))
		return 0;
	strbuf_str(&sb, "HTTP/1.1 ");
	strbuf_u64(&sb, (uint64_t)status);
	strbuf_char(&sb, ' ');
	strbuf_str(&sb, text);
	strbuf_str(&sb, "\r\n");
	if (content_type) {
		strbuf_str(&sb, "Content-Type: ");
		strbuf_str(&sb, content_type);
		strbuf_str(&sb, "\r\n");
	}
	strbuf_str(&sb, "Content-Length: ");
	strbuf_u64(&sb, content_length);
	strbuf_str(&sb, "\r\n");
	if (gzip)
		strbuf_str(&sb, "Content-Encoding: gzip\r\n");
	/* RFC 9110, 15.5.6: a 405 says what is allowed. */
	if (status == HTTP_METHOD_NOT_ALLOWED)
		strbuf_str(&sb, "Allow: GET, HEAD\r\n");
	/* Every scrape must see the counters of now, never a cache's copy. */
	strbuf_str(&sb, "Cache-Control: no-store\r\n");
	if (date >= 0)
		put_date(&sb, date);
	strbuf_str(&sb, "Connection: close\r\n\r\n");
	/* A buffer that filled up cannot tell a cut head from one that just fit. */
	if (sb.p >= sb.end) {
		if (size)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)(sb.p - buf);
}
