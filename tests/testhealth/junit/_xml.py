"""Writing generated reports the way the runners write them (ElementTree, UTF-8)."""

from __future__ import annotations

import xml.etree.ElementTree as ET


def document(root: ET.Element, *, declaration: bool = False) -> bytes:
    """``root`` as a UTF-8 document, with an XML declaration if asked."""
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=declaration)
    return data
