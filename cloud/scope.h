/*
 * scope.h — the licensed business scope of a food business licence
 * (食品经营许可证 经营项目) and which scope a dish on a delivery platform
 * needs.
 *
 * The scope items are national (食品经营许可管理办法): each has an id and
 * its Chinese name, fixed in scope.c:
 *   prepackaged 预包装食品销售   bulk 散装食品销售   special 特殊食品销售
 *   other_sale 其他类食品销售    hot 热食类食品制售  cold 冷食类食品制售
 *   raw 生食类食品制售           pastry 糕点类食品制售
 *   drinks 自制饮品制售          semi 半成品制售     other_made 其他类食品制售
 * Which dishes fall under which item is configured (DOMAIN.md: scope
 * categories configured): an INI file, one group per item that dishes are
 * recognised for, with the keywords that betray it:
 *
 *   [cold]
 *   keywords = 凉拌;冷菜;卤味;拍黄瓜;口水鸡
 *   [raw]
 *   keywords = 刺身;生鱼片;醉虾
 *
 * A dish falls under the item of the longest keyword it contains (凉拌面:
 * 凉拌, cold, not 面, hot); a tie goes to the item whose group comes first
 * in the file; no keyword: not recognised (never a finding). Dish and
 * keywords are compared NFKC'd and case-folded. Built-in defaults
 * (scope_config_default) cover hot, cold, raw, pastry and drinks.
 * Any thread; a config is read-only once loaded.
 */
#ifndef BK_SCOPE_H
#define BK_SCOPE_H

#include <stdbool.h>

#include <glib.h>

/* The national scope items, in the order above; NULL-terminated. */
extern const char *const scope_item_ids[];
/* Chinese name of an item id; NULL for an unknown id. */
const char *scope_item_name(const char *id);

/* An establishment's licensed scope as written on its licence or in the
 * registry's CSV: ids (any case) or Chinese names (the full name, or the
 * name without 销售 / 制售 or 食品销售 / 食品制售, e.g. 热食类食品,
 * 热食类), separated by spaces, ',', ';', '、', '，' or '；'. What a
 * licence adds in brackets is left out (预包装食品销售（含冷藏冷冻食品）).
 * Returns the ids, sorted in scope_item_ids order, once each, separated
 * by one space (g_malloc'd; "" for an empty or NULL text), or NULL with
 * the reason in why (replaced; why may be NULL): "'盒饭' is not a scope
 * item: …" listing them, '其他类食品' ambiguous (sale or made), a bracket
 * not closed or not opened, not UTF-8. */
char *scope_parse(const char *text, GString *why);

/* True when the space-separated ids of scope (as scope_parse returns)
 * include id. */
bool scope_has(const char *scope, const char *id);

struct scope_config;

/* The built-in keywords, a new config each call (free it with
 * scope_config_free). Never NULL. */
struct scope_config *scope_config_default(void);
/* The keywords of an INI file (above; keywords separated by ';' or '；',
 * one after the last allowed, spaces around each dropped). NULL with one
 * line per problem appended to errors, at most 50 ("FILE: [group]:
 * reason"; "FILE:LINE: reason" for the file's structure: a line that is
 * not a [group], key = value or '#' comment, a key before any group, a
 * group or key written twice, not UTF-8, a NUL byte; "FILE: reason" for a
 * file that cannot be read or has no group): an unknown item as a group
 * name, a missing or empty keywords key, an unknown key, an empty or
 * over-64-byte keyword, one with a control character, a keyword given
 * twice (in one item or two, compared as dishes are), more than 1,000
 * keywords. */
struct scope_config *scope_config_load(const char *path, GString *errors);
void scope_config_free(struct scope_config *c);

/* The item a dish falls under, or NULL; keyword (may be NULL) receives
 * the keyword that decided (owned by c). */
const char *scope_classify(const struct scope_config *c, const char *dish, const char **keyword);

#endif
