#ifndef NEATMSKIT_CXML2_SHIM_H
#define NEATMSKIT_CXML2_SHIM_H
// libxml2's streaming reader (Debian: libxml2-dev, pkg-config `libxml-2.0`).
#include <libxml/xmlversion.h>
// Debian's libxml2 is built with ICU, and its encoding.h then includes the system's <unicode/ucnv.h>,
// whose types clash with the ICU copy inside Swift's Foundation ("UErrorCode has different definitions").
// The ICU part only adds two pointer fields to xmlCharEncodingHandler, which NeatMSKit never touches.
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlreader.h>
#include <libxml/parser.h>
#endif
