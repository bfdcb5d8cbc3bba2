"""Control characters are removed from free text and detected in identifiers."""

from portal.web.cleaning import has_control_characters, strip_control_characters


def test_free_text_loses_invisible_controls_but_keeps_line_breaks():
    assert strip_control_characters("a\x00b\x07c\x1bd\x7fe\x85f") == "abcdef"
    assert strip_control_characters("ligne 1\nligne 2\r\n\tfin") == "ligne 1\nligne 2\r\n\tfin"
    assert strip_control_characters("déjà vu — ok ✓") == "déjà vu — ok ✓"


def test_identifiers_with_any_control_are_detected():
    assert has_control_characters("prefecture\x00")
    assert has_control_characters("GCH-7K3M\t")
    assert not has_control_characters("prefecture-75")
