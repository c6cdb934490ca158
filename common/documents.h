/*
 * documents.h — the papers an inspector prints on site, rendered to PDF:
 * 现场笔录 (on-site record), 责令改正通知书 (order to correct) and
 * 当场行政处罚决定书 (on-the-spot penalty decision, simple procedure),
 * each for A4 sheets or for an 80 mm thermal roll (one page exactly as
 * long as the content). The only module that uses cairo and pango; text
 * is set in the WenQuanYi Zen Hei font (Debian's fonts-wqy-zenhei).
 *
 * Every function here is thread-safe: a render builds its own font map and
 * keeps no state between calls. All strings are UTF-8 and borrowed for the
 * duration of the call only.
 */
#ifndef BK_DOCUMENTS_H
#define BK_DOCUMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum document_kind {
	DOC_ONSITE_RECORD,    /* 现场笔录 */
	DOC_CORRECTION_ORDER, /* 责令改正通知书 */
	DOC_PENALTY_DECISION, /* 当场行政处罚决定书 */
};

enum paper {
	PAPER_A4,	 /* 210 × 297 mm, pages break */
	PAPER_ROLL_80MM, /* 80 mm wide, one page as long as the content */
};

/* Zero (UNSET) is never valid where the field is required, so a field a
 * caller forgot is refused rather than printed as a default. */
enum document_party_type {
	DOC_PARTY_UNSET,
	DOC_PARTY_INDIVIDUAL,	/* 个人: party_id is an identity document number */
	DOC_PARTY_ORGANISATION, /* 单位: party_id is the licence (or credit code) */
};

enum document_penalty {
	DOC_PENALTY_UNSET,
	DOC_PENALTY_WARNING, /* 警告 */
	DOC_PENALTY_FINE,    /* 罚款 */
};

/* A law-enforcement officer: name and certificate number (执法证号). */
struct document_officer {
	const char *name, *id;
};

/* A failed checklist item: its number in the template and its text. */
struct document_item {
	const char *number, *text;
};

/*
 * What the documents carry. Strings are printed as given (dates and times
 * already formatted by the caller, e.g. "2024年6月3日 10:20"); which are
 * required depends on the kind, see document_render. A field that is NULL
 * or "" counts as missing.
 */
struct document_fields {
	/* every kind */
	const char *agency; /* issuing agency: page header, seal line */
	const char *number; /* document number (decision: serial per agency and year) */
	const char *party_name;
	enum document_party_type party_type; /* UNSET reads as an organisation, but
						the decision requires it */
	const char *party_id;		     /* licence, or identity document number */
	const char *party_address;
	const char *time, *place; /* of the inspection, or of the decision made on site */
	const struct document_officer *officers;
	size_t officer_count;
	bool party_refused; /* the party refused to sign: printed instead of its line */
	const char *date;   /* the document's date, above the agency's seal */

	/* DOC_ONSITE_RECORD */
	const char *facts;	     /* objective facts only; line breaks are kept */
	const char *party_statement; /* NULL: printed as no statement made */

	/* DOC_CORRECTION_ORDER */
	const struct document_item *problems;
	size_t problem_count;
	const char *deadline; /* correct before this date */

	/* DOC_CORRECTION_ORDER and DOC_PENALTY_DECISION */
	const char *legal_basis; /* e.g. "《中华人民共和国食品安全法》第一百二十六条" */

	/* DOC_PENALTY_DECISION */
	const char *violation; /* the illegal act found */
	enum document_penalty penalty;
	int64_t amount_fen;	  /* the fine in fen (1/100 CNY); 0 for a warning */
	bool cash_on_spot;	  /* collected on the spot: only up to 100 CNY */
	const char *payment_bank; /* where to pay within 15 days when not cash */
	const char *review_body;  /* 行政复议机关; NULL: generic wording */
	const char *court;	  /* for a lawsuit; NULL: generic wording */
};

/*
 * Render one document to a PDF at pdf_path, written whole or not at all
 * (a temporary file beside it is renamed into place; mode 0600, as the
 * papers carry personal data). Returns 0, or a negative errno
 * with a message in err (may be NULL):
 *   -EINVAL  a required field is missing or inconsistent; the message names
 *            the field ("cannot render 当场行政处罚决定书: missing field
 *            'violation'"); so does a string that is not valid UTF-8.
 *            Required: all kinds agency, party_name; 现场笔录 also party_id,
 *            party_address, time, place, facts and at least two officers;
 *            责令改正通知书 number, at least one problem, legal_basis,
 *            deadline, date; 当场行政处罚决定书 number, party_type, party_id,
 *            party_address, time, place, violation, legal_basis, penalty,
 *            date, at least two officers, and for a fine a positive amount,
 *            cash only up to 100 CNY, otherwise payment_bank.
 *   -ERANGE  a fine above the simple procedure's cap (200 CNY for an
 *            individual, 3,000 CNY for an organisation): refused, never
 *            clipped; the message points to the ordinary procedure.
 *   -EFBIG   an 80 mm roll longer than a PDF page may be (5 m).
 *   -ENOENT  the font is not installed (fontconfig would substitute one
 *            without Chinese glyphs).
 *   -EIO     cairo or the file system failed; the message says which.
 */
int document_render(enum document_kind kind, enum paper paper, const struct document_fields *f,
		    const char *pdf_path, char *err, size_t errlen);

/*
 * The amount in Chinese capital numerals as written on financial papers
 * (大写): 20000 fen → "贰佰元整", 10005 → "壹佰元零伍分", 50 → "伍角整".
 * Writes a NUL-terminated string into buf. Returns 0, -EINVAL for a
 * negative amount, -ERANGE from a trillion yuan up, -ENOSPC when buf is
 * too small (96 bytes hold any amount accepted).
 */
int document_amount_capital(int64_t fen, char *buf, size_t len);

/* The document's title, e.g. "现场笔录"; a static string. */
const char *document_kind_title(enum document_kind kind);

#endif
