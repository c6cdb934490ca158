/*
 * address.h — Chinese postal addresses made comparable, for the delivery
 * platforms' checks (a shop's pickup address against its licence's).
 *
 * Normalising: NFKC (full-width letters, digits and punctuation become
 * ASCII; the few characters NFKC would spell out in more than 4 times
 * their bytes, squared katakana words and U+FDFA, are dropped), ASCII
 * letters upper-cased, every kind of space, punctuation and symbol dropped
 * (brackets too, not what they hold), '#' after a number made 号 (3#楼),
 * dash variants made '-' and kept only between ASCII letters or digits
 * (88-1号; 3栋-201 is 3栋201); a leading 中国; the
 * administrative prefix — a province-level part (…省, …自治区,
 * …特别行政区, or 北京/上海/天津/重庆 with or without 市), a city-level
 * part (…市, …自治州, …地区, …盟), a county-level part (…区, …县, …旗,
 * …市), each Han characters only, 2–7 of them (up to 15 for …自治区/州/
 * 县/旗 and …特别行政区), running to its first 省 市 区 县 旗 盟 or 自治州
 * after the first character, only at the start — is dropped, since
 * platforms write it in any of several ways and the registry holds one
 * county's shops anyway. Parts are dropped while the rest starts with one,
 * in any order, so that a normalised address normalises to itself (the
 * same holds for every rule: they are applied again until nothing
 * changes). Not a part: one ending in 小区 社区 校区 景区 厂区 (a compound,
 * not a district) or 联盟; one followed by a street (北京路, 红旗路,
 * 上海东路, 天津大道: 路 街 道 巷 弄, or 东南西北中大 and one of them);
 * 市 followed by 场 府 政 集 (农贸市场, 杭州市政府); 旗 by 舰 (旗舰店). A run of
 * Chinese numerals (零〇一二两三四五六七八九十百千) right before a
 * house-number unit (号 栋 幢 座 楼 层 室 单元 弄 巷) becomes digits:
 * positional (八十八 88, 一百零三 103, 三百二 320) or digit by digit
 * (二〇三 203); a run that reads as neither (十十) stays. Building and
 * floor units are written one way: 幢 座 号楼 → 栋 after a number or a
 * letter (A座; not 88号楼下), 层 F → 楼 after a number (3层楼 → 3楼;
 * not 3FL). The result is at most 4 times as long as the address.
 * Invalid UTF-8 bytes are dropped (read as U+FFFD, a symbol); NULL is "".
 * Pure functions, any thread.
 */
#ifndef BK_ADDRESS_H
#define BK_ADDRESS_H

#include <stdbool.h>

/* The comparable form of address (valid UTF-8, g_malloc'd); "" when
 * nothing is left (an address of only a province, or of punctuation). */
char *address_normalise(const char *address);

/* True when both normalise to the same non-empty text. */
bool address_same(const char *a, const char *b);

#endif
