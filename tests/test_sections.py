"""Section detection and the paper's FINDINGS + IMPRESSION selection rule."""

from __future__ import annotations

from cxrlabel.sections import find_sections, select_sections


def _named(text: str) -> list[tuple[str | None, str]]:
    return [(s.name, s.text(text).strip()) for s in find_sections(text)]


def test_openi_style_headers_with_colons_are_found_with_offsets():
    text = "COMPARISON: None.\nINDICATION: cough\nFINDINGS: Lungs are clear.\nIMPRESSION: Normal chest."
    assert _named(text) == [
        ("COMPARISON", "None."),
        ("INDICATION", "cough"),
        ("FINDINGS", "Lungs are clear."),
        ("IMPRESSION", "Normal chest."),
    ]
    findings = find_sections(text)[2]
    assert text[findings.header_start : findings.header_end] == "FINDINGS:"


def test_inline_headers_split_one_line():
    text = "FINDINGS: No effusion. IMPRESSION: Normal."
    assert _named(text) == [("FINDINGS", "No effusion."), ("IMPRESSION", "Normal.")]


def test_headers_are_case_insensitive_and_multiword_names_win():
    text = "Clinical History: fever\nreason for exam: cough\nImpression: clear"
    assert _named(text) == [("HISTORY", "fever"), ("REASON FOR EXAM", "cough"), ("IMPRESSION", "clear")]


def test_capital_header_alone_on_its_line_needs_no_colon():
    text = "FINDINGS\nThe lungs are clear.\n\nIMPRESSION\nNo acute disease."
    assert _named(text) == [("FINDINGS", "The lungs are clear."), ("IMPRESSION", "No acute disease.")]


def test_a_lower_case_name_with_a_colon_inside_a_line_is_not_a_header():
    text = "FINDINGS: Compared with the prior exam: stable. Impression: no change"
    assert _named(text) == [("FINDINGS", "Compared with the prior exam: stable."), ("IMPRESSION", "no change")]


def test_the_word_findings_in_prose_is_not_a_header():
    text = "The findings are stable since the prior exam.\nFindings of edema have resolved."
    assert _named(text) == [(None, text)]


def test_text_before_the_first_header_is_an_unnamed_section():
    text = "Chest PA and lateral.\nIMPRESSION: No acute disease."
    assert _named(text) == [(None, "Chest PA and lateral."), ("IMPRESSION", "No acute disease.")]


def test_select_keeps_findings_and_impression_only():
    text = "INDICATION: pneumonia?\nFINDINGS: Clear lungs.\nIMPRESSION: No pneumonia."
    assert [s.name for s in select_sections(text)] == ["FINDINGS", "IMPRESSION"]


def test_select_keeps_impression_alone_when_findings_is_absent():
    text = "HISTORY: edema\nIMPRESSION: No edema."
    assert [(s.name, s.text(text).strip()) for s in select_sections(text)] == [("IMPRESSION", "No edema.")]


def test_select_takes_the_whole_report_without_findings_or_impression():
    text = "Portable chest.\nLungs are clear."
    (whole,) = select_sections(text)
    assert (whole.name, whole.start, whole.end) == (None, 0, len(text))


def test_without_findings_or_impression_the_indication_is_still_left_out():
    text = "INDICATION: cough\nLungs are clear."
    (rest,) = select_sections(text)
    assert (rest.name, text[rest.start : rest.end]) == (None, "Lungs are clear.")


def test_empty_and_blank_text_have_no_sections():
    assert find_sections("") == [] and select_sections("   \n") == []


def test_inline_comparison_inside_findings_keeps_the_rest_of_the_findings():
    text = "FINDINGS: Comparison: None. The heart is normal. Small left effusion. IMPRESSION: Small effusion."
    labeled = "".join(s.text(text) for s in select_sections(text))
    assert "Small left effusion." in labeled and "None." not in labeled
    names = [s.name for s in find_sections(text)]
    assert names == ["FINDINGS", "COMPARISON", "FINDINGS", "IMPRESSION"]


def _spans(matches):
    return [(m.span(), m.span("name")) for m in matches]


def test_the_colon_scan_finds_what_the_header_regex_finds_over_the_whole_text(data_path):
    # find_sections searches only the text before each colon (on its line); every OpenI report
    # and a fuzz of header fragments, colons, breaks and case-folding letters ("ſ", "ı")
    # must give the matches of the plain scan of the whole text, in order
    import random

    from cxrlabel.gold.openi import read_openi_reports
    from cxrlabel.sections import _COLON_RE, _colon_matches

    texts = [r.text for r in read_openi_reports(data_path("openi/NLMCXR_reports.tgz"))]
    rng = random.Random(14)
    frags = ["FINDINGS", "findings", "Impression", "CLINICAL", " HISTORY", "HISTORY/INDICATION", " ", "\t",
             ":", ":", "\n", "-", "x", "ſ", "ı", "İ", "EXAM", "INATION", ". ", "_"]
    texts += ["".join(rng.choice(frags) for _ in range(rng.randint(0, 14))) for _ in range(20_000)]
    found = 0
    for text in texts:
        got = _spans(_colon_matches(text))
        assert got == _spans(_COLON_RE.finditer(text)), text
        found += len(got)
    assert found > 5_000  # the reports' headers were there to find
