/*
 * listing.h — shop listings exported by delivery platforms (以网管网), as
 * CSV or JSON, read into shops for the archive (archive_platform_import).
 *
 * CSV: UTF-8 (a BOM is skipped), RFC 4180 (cloud/csv.h), a header row
 * naming the columns in any order, English or Chinese:
 *   platform 平台 · shop_id 店铺ID 店铺编号 · shop_name 店铺名称 店名 ·
 *   licence 许可证号 许可证编号 · pickup_address 取餐地址 地址 ·
 *   dishes 菜品 · status 状态
 * (licence, dishes and status may be left out of the header; the others
 * are required). dishes: names separated by ';', '；', '、' or '|'.
 * Header names are matched without case and spaces around them; a column
 * not listed here is refused, as is one named twice.
 * JSON: an array of objects, or one object per line (JSON Lines), with the
 * English names as keys; dishes an array of strings (or one string
 * separated as in CSV); unknown keys are refused, so that a renamed field
 * is not silently lost. Values are strings (a number is refused, even for
 * shop_id: ids like 007 would lose their zeros); null is an empty value.
 *
 * Each field is checked:
 *   platform  an id (a letter, then letters, digits, '_', '-', up to 32;
 *             stored lower-case) or a known Chinese name: 美团 美团外卖 →
 *             meituan, 饿了么 → eleme, 抖音 抖音外卖 → douyin, 京东 京东外卖
 *             → jd;
 *   shop_id   1–64 bytes, printable, no spaces;
 *   shop_name 1–255 bytes, printable (no control characters);
 *   licence   as shown, 0–63 bytes, spaces around it dropped, printable, no
 *             inner space; empty, 无, 暂无, 未公示, -, N/A, none: no licence
 *             shown (NULL);
 *   pickup_address 1–512 bytes, printable;
 *   dishes    0–2,000 dishes, each 1–128 bytes printable after trimming;
 *             empty names between separators are skipped;
 *   status    open (营业, 营业中, 正常), closed (休息, 休息中, 暂停营业,
 *             打烊), offline (下线, 已下线, 关店, delisted); empty: open.
 * The same (platform, shop_id) twice in one file is a problem (both lines
 * named); the first shop is kept.
 *
 * Lines are physical lines, counted from 1, ended by LF, CRLF or a lone CR.
 * A problem's line is its field's: where a CSV field starts (a quoted one
 * may span lines), the line of a JSON key; the row's or object's start for
 * a missing field or a duplicate.
 *
 * Pure: no I/O, any thread.
 */
#ifndef BK_LISTING_H
#define BK_LISTING_H

#include <stddef.h>

#include <glib.h>

#define LISTING_MAX_PROBLEMS 50

struct listing_shop {
	int line; /* where the shop's row (CSV) or object (JSON) starts, from 1 */
	char *platform, *shop_id, *name;
	char *licence; /* NULL: none shown */
	char *address;
	GPtrArray *dishes; /* of char*, in the file's order, never NULL */
	char *status;	   /* open, closed, offline */
};

/* Read a whole export of len bytes (CSV or JSON: JSON when the first
 * character after spaces and a BOM is '[' or '{'). Returns the shops
 * (a GPtrArray owning its struct listing_shop*, in the file's order);
 * every problem (up to LISTING_MAX_PROBLEMS, then one line saying checking
 * stopped) is appended to errors as one line "LINE:FIELD: reason\n"
 * (FIELD: the column's English name, or "-" when it is the row or the
 * file), and *problems counts them. A shop with a problem is left out of
 * the result; the caller decides whether to go on (the archive refuses the
 * whole file). A file that cannot be read at all (bad JSON, a broken CSV
 * quote, no header, not UTF-8, a NUL byte or \u0000) gives its problem and
 * no shops; so does one whose checking stopped. A JSON Lines line that is
 * not an object is that line's problem, like a CSV row with too few fields.
 * The array is never NULL (free it with g_ptr_array_free(shops, TRUE));
 * errors and problems may be NULL. */
GPtrArray *listing_parse(const char *text, size_t len, GString *errors, int *problems);

#endif
