/* placeholder, replaced below */
#include "archive_internal.h"
const char *archive_pg_schema_step(int from, int *to)
{
	(void)from;
	*to = 0;
	return NULL;
}
