/*
 * checklist.h — versioned inspection checklists (日常监督检查要点表) loaded
 * from a template file, and the result of an inspection per DOMAIN.md:
 * no item failing → 符合 (compliant); no key item and at most
 * max_general_failures (8) general items failing → 基本符合
 * (basically_compliant); else 不符合 (non_compliant). "na" answers and items
 * that do not apply to the establishment's category count for nothing.
 *
 * Template (GKeyFile INI, UTF-8, checklists/catering-2026.ini):
 *
 *   [checklist]
 *   id = catering-2026              # as in a task's "checklist"
 *   version = 1                     # 1.., raised on every change of the items
 *   title = 餐饮服务食品安全日常监督检查要点表
 *   categories = school_canteen;kindergarten;…   # the categories items may name
 *   max_general_failures = 8        # optional, default 8
 *
 *   [item 1.1]                      # one group per item, in form order
 *   section = 许可管理
 *   text = 食品经营许可证合法有效 …
 *   key = true                      # 重点项 (*)
 *   categories = school_canteen;kindergarten   # optional: only these; absent: all
 *   basis = 《食品安全法》第三十五条            # optional
 *
 * Loading reports every problem, one per line, "FILE:LINE: [group] reason".
 * A struct checklist is immutable once loaded: any thread may read it.
 */
#ifndef BK_CHECKLIST_H
#define BK_CHECKLIST_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define CHECKLIST_MAX_ITEMS	      512
#define CHECKLIST_ITEM_ID_MAX	      16 /* [A-Za-z0-9][A-Za-z0-9_.-]*, as report.json */
#define CHECKLIST_DEFAULT_MAX_GENERAL 8
#define CHECKLIST_MAX_BYTES	      (1024 * 1024) /* a larger template file is refused */

enum checklist_reply { CHECKLIST_YES, CHECKLIST_NO, CHECKLIST_NA };
enum checklist_result {
	CHECKLIST_COMPLIANT,	       /* 符合 */
	CHECKLIST_BASICALLY_COMPLIANT, /* 基本符合 */
	CHECKLIST_NON_COMPLIANT,       /* 不符合 */
};

/* By enum, NULL-terminated: "yes", "no", "na" and "compliant",
 * "basically_compliant", "non_compliant" (schemas/report.json). */
extern const char *const checklist_reply_names[];
extern const char *const checklist_result_names[];
/* "符合", "基本符合", "不符合", by enum. */
extern const char *const checklist_result_labels[];

struct checklist_item {
	char *id;      /* "1.1" */
	char *section; /* "许可管理" */
	char *text;
	bool key;	   /* 重点项 */
	char **categories; /* NULL-terminated; NULL: every category */
	char *basis;	   /* legal basis, or NULL */
};

struct checklist {
	char *id;
	int version;
	char *title;
	char **categories; /* the vocabulary, NULL-terminated, never NULL */
	int max_general_failures;
	struct checklist_item *items;
	size_t n_items;
	size_t n_key; /* items with key set */
};

/*
 * Parse template text (len bytes; need not be NUL-terminated); name is what
 * problems are prefixed with (the file name). 0 with *out the caller's
 * (checklist_free); -EINVAL with *out NULL and *problems the caller's
 * (g_free): every problem found, one per line, each ending in '\n'.
 */
int checklist_parse(const char *text, size_t len, const char *name, struct checklist **out,
		    char **problems);
/* The same for a file: also -ENOENT, -EACCES, -EFBIG, -EIO when it cannot be read. */
int checklist_load(const char *path, struct checklist **out, char **problems);
void checklist_free(struct checklist *cl); /* NULL is fine */

/* The item with that id, or NULL. */
const struct checklist_item *checklist_find(const struct checklist *cl, const char *id);
/* Whether item applies to an establishment of category (NULL: any). */
bool checklist_applies(const struct checklist_item *item, const char *category);

struct checklist_answer {
	const char *item;
	enum checklist_reply reply;
};

struct checklist_outcome {
	enum checklist_result result;
	int key_failed, general_failed; /* "no" answers to applicable items */
	int passed, not_applicable;	/* "yes", "na" to applicable items */
	int skipped;			/* items not applying to the category */
};

/*
 * The result of an inspection of an establishment of category (NULL: all
 * items apply). Every applicable item needs exactly one answer; answers to
 * items of other categories are ignored. 0 with *out filled, or -EINVAL with
 * the first problem (unknown item, answered twice, not answered) in err.
 */
int checklist_evaluate(const struct checklist *cl, const char *category,
		       const struct checklist_answer *answers, size_t n,
		       struct checklist_outcome *out, char *err, size_t errlen);
/* The same over a report's "answers" array (objects with "item" and "answer"). */
int checklist_evaluate_json(const struct checklist *cl, const char *category, const cJSON *answers,
			    struct checklist_outcome *out, char *err, size_t errlen);

#endif
