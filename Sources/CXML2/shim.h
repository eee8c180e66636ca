#ifndef NEATMSKIT_CXML2_SHIM_H
#define NEATMSKIT_CXML2_SHIM_H
// libxml2's streaming reader (Debian: libxml2-dev, pkg-config `libxml-2.0`).
#include <libxml/xmlreader.h>
#include <libxml/parser.h>
#endif
