/*
 * scope.c — see scope.h.
 *
 * A config is a flat array of keywords in file order (group, then place
 * in its list), each with its item and its comparable form (NFKC, case
 * folded): the first longest one a dish contains decides, which is the
 * header's "longest, ties to the earlier group". Cost: one substring
 * search per keyword per dish, at most 1,000 keywords.
 *
 * GKeyFile reads the values but forgives what a config must not (a group
 * or key written twice is merged or overwritten) and names no line when it
 * gives up, so a first pass over the lines checks the structure and says
 * where; the built-in defaults are such a file too, read by the same code.
 */
#include "scope.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define KEYWORDS_MAX 1000
#define KEYWORD_MAX  64 /* bytes */
#define PROBLEMS_MAX 50
#define QUOTE_MAX    64 /* bytes of a scope text quoted in a reason */

const char *const scope_item_ids[] = {
	"prepackaged", "bulk",	 "special", "other_sale", "hot",	"cold",
	"raw",	       "pastry", "drinks",  "semi",	  "other_made", NULL,
};

static const char *const item_names[] = {
	"预包装食品销售", "散装食品销售",   "特殊食品销售",   "其他类食品销售",
	"热食类食品制售", "冷食类食品制售", "生食类食品制售", "糕点类食品制售",
	"自制饮品制售",	  "半成品制售",	    "其他类食品制售",
};

#define N_ITEMS ((int)G_N_ELEMENTS(item_names))

/* Dishes by their telltale words. A keyword that is part of another
 * item's longer one loses to it: 面 (hot) in 面包 (pastry) and 凉面 (cold),
 * 酥 (pastry) in 香酥 and 酥肉 (hot), 生蚝 and 三文鱼 (raw) in 烤生蚝 and
 * 煎三文鱼 (hot). 寿司 stays cold (审查通则: 生食类 is raw seafood): with
 * raw fish it is caught by 三文鱼, 刺身, 生鱼. */
static const char default_config[] =
    "# built in (scope.c): hot, cold, raw, pastry, drinks\n"
    "[hot]\n"
    "keywords = 炒;烧;炖;煮;蒸;炸;煎;焖;烩;爆;烤;涮;盖饭;米饭;炒饭;饭;面;粉;粥;汤;饺子;"
    "馄饨;抄手;包子;馒头;火锅;麻辣烫;冒菜;串串;油条;煎饼;香酥;酥肉;卤肉饭;烤生蚝;"
    "蒜蓉生蚝;煎三文鱼;烤三文鱼\n"
    "[cold]\n"
    "keywords = 凉拌;冷菜;冷盘;卤味;卤;拍黄瓜;口水鸡;白切鸡;凉皮;凉面;冷面;凉粉;沙拉;"
    "夫妻肺片;醉鸡;熟食;寿司\n"
    "[raw]\n"
    "keywords = 刺身;生鱼片;鱼生;生鱼;醉虾;醉蟹;生蚝;三文鱼;生腌;腌蟹\n"
    "[pastry]\n"
    "keywords = 蛋糕;面包;糕点;酥;酥饼;桃酥;月饼;蛋挞;泡芙;吐司;曲奇;慕斯;马卡龙\n"
    "[drinks]\n"
    "keywords = 奶茶;果汁;咖啡;拿铁;柠檬茶;柠檬水;豆浆;鲜榨;饮品;奶昔;酸梅汤;果茶;凉茶;"
    "冷饮;冰沙;茶饮\n";

struct keyword {
	char *text; /* as written, trimmed */
	char *norm; /* what is looked for */
	glong chars;
	int item;
};

struct scope_config {
	GArray *keywords; /* struct keyword, in file order */
};

static int item_index(const char *id)
{
	for (int i = 0; id && i < N_ITEMS; i++) {
		if (!strcmp(id, scope_item_ids[i]))
			return i;
	}
	return -1;
}

const char *scope_item_name(const char *id)
{
	int i = item_index(id);

	return i < 0 ? NULL : item_names[i];
}

/* --- licensed scope ------------------------------------------------------- */

/* text quoted in a reason: one line, at most QUOTE_MAX bytes */
static void append_quoted(GString *s, const char *text)
{
	const char *p = text;

	g_string_append_c(s, '\'');
	for (; *p && p - text < QUOTE_MAX; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		if (ch < 0x20 || (ch >= 0x7F && ch < 0xA0))
			g_string_append_c(s, '?');
		else
			g_string_append_unichar(s, ch);
	}
	g_string_append(s, *p ? "…'" : "'");
}

static void why_printf(GString *why, const char *quoted, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* why = 'quoted' + the formatted rest (why may be NULL) */
static void why_printf(GString *why, const char *quoted, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return;
	g_string_truncate(why, 0);
	if (quoted) {
		append_quoted(why, quoted);
		g_string_append_c(why, ' ');
	}
	va_start(ap, fmt);
	g_string_append_vprintf(why, fmt, ap);
	va_end(ap);
}

/* Whether token is name without suffix. */
static bool name_without(const char *token, const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n > s && !strcmp(name + n - s, suffix) && strlen(token) == n - s &&
	       !strncmp(token, name, n - s);
}

/* The item a token names (an id in any case, the name, the name without
 * 销售 / 制售 or 食品销售 / 食品制售), -1 if none, -2 if two (其他类食品:
 * sale or made). */
static int item_of_token(const char *token)
{
	static const char *const suffixes[] = { "销售", "制售", "食品销售", "食品制售" };
	int found = -1;

	for (int i = 0; i < N_ITEMS; i++) {
		if (!g_ascii_strcasecmp(token, scope_item_ids[i]) || !strcmp(token, item_names[i]))
			return i;
		for (size_t k = 0; k < G_N_ELEMENTS(suffixes); k++) {
			if (name_without(token, item_names[i], suffixes[k]) && found != i)
				found = found == -1 ? i : -2;
		}
	}
	return found;
}

static void list_items(GString *s)
{
	for (int i = 0; i < N_ITEMS; i++)
		g_string_append_printf(s, "%s%s %s", i ? ", " : "", scope_item_ids[i],
				       item_names[i]);
}

/* The items of one token (brackets already out of it) into *items. */
static bool take_token(const char *token, unsigned *items, GString *why)
{
	int i;

	if (!*token)
		return true;
	i = item_of_token(token);
	if (i >= 0) {
		*items |= 1u << i;
		return true;
	}
	if (i == -2) {
		why_printf(why, token,
			   "is ambiguous: write 其他类食品销售 (other_sale) or "
			   "其他类食品制售 (other_made)");
		return false;
	}
	why_printf(why, token, "is not a scope item: ");
	if (why)
		list_items(why);
	return false;
}

static bool separator(gunichar ch)
{
	return g_unichar_isspace(ch) || ch == ',' || ch == ';' || ch == 0x3001 /* 、 */;
}

char *scope_parse(const char *text, GString *why)
{
	GString *token = g_string_new(""), *out;
	unsigned items = 0;
	int depth = 0;
	char *norm;
	bool ok = true;

	if (!text)
		text = "";
	if (!g_utf8_validate(text, -1, NULL)) {
		why_printf(why, NULL, "the scope is not UTF-8 text");
		g_string_free(token, TRUE);
		return NULL;
	}
	/* full-width commas, semicolons, brackets and letters become ASCII */
	norm = g_utf8_normalize(text, -1, G_NORMALIZE_ALL_COMPOSE);
	for (const char *p = norm; ok; p = g_utf8_next_char(p)) {
		gunichar ch = g_utf8_get_char(p);

		/* a licence qualifies items in brackets: 预包装食品销售（含冷藏冷冻
		 * 食品）, which may hold separators of their own */
		if (ch == '(') {
			depth++;
		} else if (ch == ')') {
			if (--depth < 0) {
				why_printf(why, text, "has a ')' without its '('");
				ok = false;
			}
		} else if (!ch || (depth == 0 && separator(ch))) {
			if (!ch && depth > 0) {
				why_printf(why, text, "has a '(' without its ')'");
				ok = false;
			} else {
				ok = take_token(token->str, &items, why);
				g_string_truncate(token, 0);
			}
			if (!ch)
				break;
		} else if (depth == 0) {
			g_string_append_unichar(token, ch);
		}
	}
	g_free(norm);
	g_string_free(token, TRUE);
	if (!ok)
		return NULL;
	out = g_string_new("");
	for (int i = 0; i < N_ITEMS; i++) {
		if (items & (1u << i))
			g_string_append_printf(out, "%s%s", out->len ? " " : "", scope_item_ids[i]);
	}
	return g_string_free(out, FALSE);
}

bool scope_has(const char *scope, const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (!scope || n == 0)
		return false;
	for (const char *p = scope; (p = strstr(p, id)) != NULL; p++) {
		if ((p == scope || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	}
	return false;
}

/* --- keyword configs --------------------------------------------------- */

/* Comparable form of a keyword or a dish: NFKC, case folded. */
static char *comparable(const char *text)
{
	char *nfkc = g_utf8_normalize(text, -1, G_NORMALIZE_ALL_COMPOSE);
	char *folded = g_utf8_casefold(nfkc ? nfkc : "", -1);

	g_free(nfkc);
	return folded;
}

static void keyword_clear(void *p)
{
	struct keyword *k = p;

	g_free(k->text);
	g_free(k->norm);
}

void scope_config_free(struct scope_config *c)
{
	if (!c)
		return;
	g_array_free(c->keywords, TRUE);
	g_free(c);
}

struct load {
	const char *name; /* the file, as named in problems */
	GString *errors;
	int problems;
	bool too_many; /* keywords: said once */
};

static void problem(struct load *l, int line, const char *group, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* One line "NAME:LINE: reason" or "NAME: [group]: reason" (line 0: none). */
static void problem(struct load *l, int line, const char *group, const char *fmt, ...)
{
	va_list ap;
	gsize start;

	if (++l->problems > PROBLEMS_MAX) {
		if (l->problems == PROBLEMS_MAX + 1)
			g_string_append_printf(l->errors, "%s: more problems, not shown\n",
					       l->name);
		return;
	}
	g_string_append(l->errors, l->name);
	if (line > 0)
		g_string_append_printf(l->errors, ":%d", line);
	g_string_append(l->errors, ": ");
	if (group)
		g_string_append_printf(l->errors, "[%s]: ", group);
	start = l->errors->len;
	va_start(ap, fmt);
	g_string_append_vprintf(l->errors, fmt, ap);
	va_end(ap);
	/* quoted values may hold what GKeyFile unescaped: one problem, one line */
	for (gsize i = start; i < l->errors->len; i++) {
		if ((unsigned char)l->errors->str[i] < 0x20 || l->errors->str[i] == 0x7F)
			l->errors->str[i] = '?';
	}
	g_string_append_c(l->errors, '\n');
}

/* Whether a [group] line's name is one GKeyFile takes: not empty, no
 * brackets, no control characters. */
static bool group_name_ok(const char *name, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch < 0x20 || ch == 0x7F || ch == '[' || ch == ']')
			return false;
	}
	return true;
}

/* The structure GKeyFile reads, line by line: blank, '#' comment, [group]
 * or key = value after a group; UTF-8 and no NUL; no group or key twice.
 * Returns whether all is well. */
static bool check_lines(struct load *l, const char *data, size_t len)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	const char *p = data, *end = data + len;
	char *group = NULL;
	bool in_bad_group = false; /* its keys are not reported again */
	int before = l->problems;

	for (int line = 1; p < end; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((eol ? eol : end) - p);
		char *text, *s, *eq, *close;
		gpointer first;

		if (n > 0 && p[n - 1] == '\r')
			n--;
		text = g_strndup(p, n);
		p = eol ? eol + 1 : end;
		if (strlen(text) != n) {
			problem(l, line, NULL, "a NUL byte: is it a text file?");
		} else if (!g_utf8_validate(text, -1, NULL)) {
			problem(l, line, NULL, "not UTF-8: save the file as UTF-8");
		} else if (*(s = g_strchug(text)) == '\0' || *s == '#') {
			/* blank or a comment */
		} else if (*s == ';') {
			problem(l, line, NULL, "a comment starts with '#', not ';'");
		} else if (*s == '[') {
			g_strchomp(s);
			close = s + strlen(s) - 1;
			g_free(group);
			group = NULL;
			in_bad_group =
			    *close != ']' || !group_name_ok(s + 1, (size_t)(close - s - 1));
			if (in_bad_group) {
				problem(l, line, NULL,
					"a group is written [name], the name without brackets or "
					"control characters");
			} else {
				group = g_strndup(s + 1, (size_t)(close - s - 1));
				if (g_hash_table_lookup_extended(seen, group, NULL, &first))
					problem(l, line, group,
						"again (first on line %d): write each item once",
						GPOINTER_TO_INT(first));
				else
					g_hash_table_insert(seen, g_strdup(group),
							    GINT_TO_POINTER(line));
			}
		} else if ((eq = strchr(s, '=')) != NULL && eq != s) {
			size_t slashes = 0;

			*eq = '\0';
			g_strchomp(s);
			/* GKeyFile warns on stderr about a value ending in an escape */
			g_strchomp(eq + 1);
			for (char *e = eq + 1 + strlen(eq + 1); e > eq + 1 && e[-1] == '\\'; e--)
				slashes++;
			if (slashes % 2) {
				problem(l, line, group, "a value ends with a lone '\\'");
			} else if (!group && !in_bad_group) {
				problem(l, line, NULL, "a key before the first [group]");
			} else if (group && strpbrk(s, "[]")) {
				problem(l, line, group, "'%s' is not a key: only keywords", s);
			} else if (group) {
				char *key = g_strdup_printf("%s\n%s", group, s);

				if (g_hash_table_lookup_extended(seen, key, NULL, &first)) {
					problem(l, line, group, "%s again (first on line %d)", s,
						GPOINTER_TO_INT(first));
					g_free(key);
				} else {
					g_hash_table_insert(seen, key, GINT_TO_POINTER(line));
				}
			}
		} else {
			problem(l, line, NULL, "not a [group], key = value or # comment");
		}
		g_free(text);
	}
	g_free(group);
	g_hash_table_destroy(seen);
	return l->problems == before;
}

/* The keywords of one group (an item, index item) into c. */
static void read_group(struct load *l, GKeyFile *kf, const char *group, int item,
		       struct scope_config *c, GHashTable *known)
{
	GError *err = NULL;
	char **keys = g_key_file_get_keys(kf, group, NULL, NULL);
	char *value, **words;
	int n;

	for (char **k = keys; k && *k; k++) {
		if (strcmp(*k, "keywords") != 0)
			problem(l, 0, group, "unknown key '%s': only keywords", *k);
	}
	g_strfreev(keys);
	/* GKeyFile returns a value with an unknown escape, and an error */
	value = g_key_file_get_string(kf, group, "keywords", &err);
	if (err) {
		if (g_error_matches(err, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND))
			problem(l, 0, group, "keywords: missing");
		else
			problem(l, 0, group,
				"keywords: a '\\' that is not \\s \\n \\t \\r or \\\\");
		g_clear_error(&err);
		g_free(value);
		return;
	}
	/* ';' and '；' alike; one after the last is the list's usual end */
	{
		GString *v = g_string_new(g_strstrip(value));

		g_string_replace(v, "；", ";", 0);
		words = g_strsplit(v->str, ";", -1);
		g_string_free(v, TRUE);
	}
	n = (int)g_strv_length(words);
	if (n > 1 && !*g_strstrip(words[n - 1]))
		n--;
	if (!*value)
		problem(l, 0, group, "keywords: empty");
	for (int i = 0; *value && i < n; i++) {
		char *w = words[i];
		struct keyword k;
		gpointer other;

		/* full-width spaces around a keyword too */
		while (g_unichar_isspace(g_utf8_get_char(w)))
			w = g_utf8_next_char(w);
		for (char *e = w + strlen(w); e > w;) {
			char *prev = g_utf8_prev_char(e);

			if (!g_unichar_isspace(g_utf8_get_char(prev)))
				break;
			*prev = '\0';
			e = prev;
		}
		if (!*w) {
			problem(l, 0, group, "keyword %d is empty (two ';' in a row?)", i + 1);
			continue;
		}
		if (strlen(w) > KEYWORD_MAX) {
			problem(l, 0, group, "keyword '%s' is longer than %d bytes (%zu)", w,
				KEYWORD_MAX, strlen(w));
			continue;
		}
		for (const char *q = w; *q; q = g_utf8_next_char(q)) {
			gunichar ch = g_utf8_get_char(q);

			if (ch < 0x20 || (ch >= 0x7F && ch < 0xA0)) {
				problem(l, 0, group, "keyword '%s' has a control character", w);
				w = NULL;
				break;
			}
		}
		if (!w)
			continue;
		k.norm = comparable(w);
		if (g_hash_table_lookup_extended(known, k.norm, NULL, &other)) {
			int o = GPOINTER_TO_INT(other);

			if (o == item)
				problem(l, 0, group, "keyword '%s' is given twice", w);
			else
				problem(l, 0, group, "keyword '%s' is given in [%s] too", w,
					scope_item_ids[o]);
			g_free(k.norm);
			continue;
		}
		if (c->keywords->len == KEYWORDS_MAX) {
			if (!l->too_many)
				problem(l, 0, group, "more than %d keywords in the file",
					KEYWORDS_MAX);
			l->too_many = true;
			g_free(k.norm);
			break;
		}
		g_hash_table_insert(known, g_strdup(k.norm), GINT_TO_POINTER(item));
		k.text = g_strdup(w);
		k.chars = g_utf8_strlen(k.norm, -1);
		k.item = item;
		g_array_append_val(c->keywords, k);
	}
	g_strfreev(words);
	g_free(value);
}

static struct scope_config *config_parse(const char *name, const char *data, size_t len,
					 GString *errors)
{
	struct load l = { name, errors, 0, false };
	struct scope_config *c;
	GKeyFile *kf;
	GError *err = NULL;
	GHashTable *known;
	char **groups;

	if (!check_lines(&l, data, len))
		return NULL;
	kf = g_key_file_new();
	if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &err)) {
		problem(&l, 0, NULL, "cannot read: %s", err->message);
		g_error_free(err);
		g_key_file_free(kf);
		return NULL;
	}
	c = g_new0(struct scope_config, 1);
	c->keywords = g_array_new(FALSE, FALSE, sizeof(struct keyword));
	g_array_set_clear_func(c->keywords, keyword_clear);
	known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	groups = g_key_file_get_groups(kf, NULL);
	if (!groups[0])
		problem(&l, 0, NULL, "no [item] group: no dish would be recognised");
	for (char **g = groups; *g; g++) {
		int item = item_index(*g);

		if (item < 0) {
			GString *ids = g_string_new("");

			for (int i = 0; i < N_ITEMS; i++)
				g_string_append_printf(ids, "%s%s", i ? ", " : "",
						       scope_item_ids[i]);
			problem(&l, 0, *g, "not a scope item: one of %s", ids->str);
			g_string_free(ids, TRUE);
			continue;
		}
		read_group(&l, kf, *g, item, c, known);
	}
	g_strfreev(groups);
	g_hash_table_destroy(known);
	g_key_file_free(kf);
	if (l.problems) {
		scope_config_free(c);
		return NULL;
	}
	return c;
}

struct scope_config *scope_config_default(void)
{
	GString *errors = g_string_new("");
	struct scope_config *c =
	    config_parse("(built-in keywords)", default_config, strlen(default_config), errors);

	if (!c)
		g_error("scope.c: the built-in keywords do not load: %s", errors->str);
	g_string_free(errors, TRUE);
	return c;
}

struct scope_config *scope_config_load(const char *path, GString *errors)
{
	GError *err = NULL;
	struct scope_config *c;
	char *data;
	gsize len;

	if (!g_file_get_contents(path, &data, &len, &err)) {
		g_string_append_printf(errors, "%s: cannot read: %s\n", path, err->message);
		g_error_free(err);
		return NULL;
	}
	c = config_parse(path, data, len, errors);
	g_free(data);
	return c;
}

const char *scope_classify(const struct scope_config *c, const char *dish, const char **keyword)
{
	const struct keyword *best = NULL;
	char *valid, *d;

	if (keyword)
		*keyword = NULL;
	if (!c || !dish)
		return NULL;
	valid = g_utf8_make_valid(dish, -1);
	d = comparable(valid);
	g_free(valid);
	for (guint i = 0; i < c->keywords->len; i++) {
		const struct keyword *k = &g_array_index(c->keywords, struct keyword, i);

		if ((!best || k->chars > best->chars) && strstr(d, k->norm))
			best = k;
	}
	g_free(d);
	if (!best)
		return NULL;
	if (keyword)
		*keyword = best->text;
	return scope_item_ids[best->item];
}
