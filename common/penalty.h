/*
 * penalty.h — the simple on-the-spot procedure (简易程序, Administrative
 * Penalty Law 2021, art. 51–52, 68): which penalties an inspector may
 * decide on the spot, how they may be paid, and the decision's number.
 *
 * The caps are the law's, not a province's, so they are constants here.
 * Amounts travel as yuan (JSON numbers, "amount_cny"); inside they are whole
 * fen (1/100 yuan) so that no comparison rests on a double. Pure functions,
 * no allocation, callable from any thread.
 */
#ifndef BK_PENALTY_H
#define BK_PENALTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PENALTY_CAP_INDIVIDUAL_FEN   INT64_C(20000)  /* 200 CNY, art. 51 */
#define PENALTY_CAP_ORGANISATION_FEN INT64_C(300000) /* 3,000 CNY, art. 51 */
#define PENALTY_CASH_MAX_FEN	     INT64_C(10000)  /* 100 CNY collected on the spot, art. 68 */
#define PENALTY_PAYMENT_DAYS	     15	 /* otherwise paid at the bank within, art. 67 */
#define PENALTY_AMOUNT_MAX_CNY	     1e9 /* larger amounts are refused as malformed */

enum penalty_party { PENALTY_INDIVIDUAL, PENALTY_ORGANISATION };
enum penalty_type { PENALTY_WARNING, PENALTY_FINE };

/* "individual", "organisation" and "warning", "fine": the names of
 * schemas/report.json, by enum, NULL-terminated. */
extern const char *const penalty_party_names[];
extern const char *const penalty_type_names[];

/* A penalty the simple procedure allows. */
struct penalty_decision {
	enum penalty_party party;
	enum penalty_type type;
	int64_t amount_fen;  /* 0 for a warning */
	bool cash_allowed;   /* a fine of at most 100 CNY may be collected on the spot */
	int pay_within_days; /* a fine: PENALTY_PAYMENT_DAYS (at the bank); a warning: 0 */
};

/*
 * Amount in yuan → whole fen. -EINVAL with the reason in err[errlen] for NaN,
 * infinity, a negative amount, more than PENALTY_AMOUNT_MAX_CNY or a fraction
 * below 0.01 CNY (200.005): amounts are never rounded.
 */
int penalty_amount_fen(double amount_cny, int64_t *fen, char *err, size_t errlen);

/*
 * Check a penalty proposed for the simple procedure: a warning (amount 0) or
 * a fine above 0 up to the party's cap. 0 with *out filled; -EINVAL for a
 * malformed amount or a warning with an amount or a fine of 0; -ERANGE for a
 * fine above the cap, never clipped: err then names the amount, the cap and
 * the ordinary procedure (普通程序). err may be NULL when errlen is 0.
 */
int penalty_check(enum penalty_party party, enum penalty_type type, double amount_cny,
		  struct penalty_decision *out, char *err, size_t errlen);

/* fen as yuan with two decimals and no grouping: 25000 → "250.00". */
#define PENALTY_AMOUNT_LEN 32
void penalty_format_cny(int64_t fen, char buf[PENALTY_AMOUNT_LEN]);

/*
 * The number of an on-the-spot decision (当场行政处罚决定书):
 * "<agency>〔<year>〕简易第<serial, at least 4 digits>号", e.g.
 * "西市监〔2026〕简易第0007号". agency: 1..PENALTY_AGENCY_MAX bytes of UTF-8
 * without spaces, control characters or 〔〕; year 2000..9999; serial
 * 1..99999999 (the archive hands it out, per agency and year, never reused).
 * 0, or -EINVAL for a bad argument, -ENOSPC when buf[len] is too small
 * (PENALTY_NUMBER_MAX always suffices).
 */
#define PENALTY_AGENCY_MAX 64
#define PENALTY_NUMBER_MAX 128
int penalty_decision_number(const char *agency, int year, long serial, char *buf, size_t len);

#endif
