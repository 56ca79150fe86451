// libical (Debian: libical-dev), the iCalendar parser used by CantineImport.
#include <libical/ical.h>
