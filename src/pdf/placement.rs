//! Where the stamp goes: text positions from page content, a proposed place next to the signature block, and
//! overlap checks against text, annotations and signature fields.

use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, ObjectId};
use serde::Serialize;

use super::geometry::{DEFAULT_STAMP_MM, Matrix, Rect, count_to_f64, f64_to_count, mm_to_pt};
use super::intake::PreparedDocument;
use super::objects;

/// Most content operations looked at per page (bounds work on crafted files).
const MAX_OPERATIONS: usize = 500_000;
/// Average glyph advance as a fraction of the font size; real widths need font programs we do not parse.
const AVG_GLYPH_WIDTH: f64 = 0.5;

/// Options for [`propose`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlacementOptions {
    /// Stamp edge in points (square stamp).
    pub size_pt: f64,
    /// Distance kept from the page edges.
    pub margin_pt: f64,
    /// Gap kept between the stamp and the anchor text.
    pub gap_pt: f64,
    /// The signer's name as typed by the clerk, if known: its line is an anchor too.
    pub signer_name: Option<String>,
    /// Limit for decompressing page content.
    pub max_decompressed_size: usize,
}

impl Default for PlacementOptions {
    fn default() -> Self {
        PlacementOptions {
            size_pt: mm_to_pt(DEFAULT_STAMP_MM),
            margin_pt: mm_to_pt(12.0),
            gap_pt: 4.0,
            signer_name: None,
            max_decompressed_size: 64 * 1024 * 1024,
        }
    }
}

/// A run of text shown on a page, with an estimated bounding box.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextLine {
    /// Decoded text (best effort).
    pub text: String,
    /// Estimated box in user space.
    pub rect: Rect,
    /// Effective font size in points.
    pub font_size: f64,
}

/// Why the proposal is where it is.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlacementBasis {
    /// Next to a line of text that marks the signature block.
    Anchor {
        /// The matched keyword (or the signer's name).
        keyword: String,
        /// The whole line.
        line: String,
    },
    /// No anchor found (or no free place near one): lower right of the last page.
    Fallback,
    /// A last page without a text layer (a scan) and no anchor: the part of its lower half where
    /// the page's picture holds the least ink.
    EmptiestArea,
}

impl PlacementBasis {
    /// Why the stamp is where it is, in the clerk's words and the process's language.
    pub fn describe(&self) -> String {
        crate::words::current().placement_basis(self)
    }
}

/// What a rectangle would cover.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Overlap {
    /// An existing signature field's widget.
    SignatureField {
        /// Field name.
        name: String,
        /// Its rectangle.
        rect: Rect,
    },
    /// Another annotation (link, comment, form field).
    Annotation {
        /// Subtype or field name.
        name: String,
        /// Its rectangle.
        rect: Rect,
    },
    /// Text on the page.
    Text {
        /// The line.
        text: String,
        /// Its estimated box.
        rect: Rect,
    },
    /// A drawn rule (a signature line or an underline).
    Rule {
        /// The box it covers.
        rect: Rect,
    },
    /// The rectangle extends beyond the visible page.
    OutsidePage {
        /// The page box.
        page_box: Rect,
    },
}

/// A proposed or chosen place.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placement {
    /// 1-based page.
    pub page: u32,
    /// Rectangle in points.
    pub rect: Rect,
    /// How it was chosen.
    pub basis: PlacementBasis,
    /// What it covers (empty when the place is free).
    pub overlaps: Vec<Overlap>,
}

struct TextState {
    tm: Matrix,
    tlm: Matrix,
    font: Vec<u8>,
    size: f64,
    leading: f64,
}

fn operand_numbers(op: &Operation) -> Vec<f64> {
    op.operands.iter().filter_map(objects::as_number).collect()
}

/// Decode a shown string with the font's encoding (ToUnicode when present), falling back to Latin-1.
fn decode(
    doc: &Document,
    fonts: &std::collections::BTreeMap<Vec<u8>, &lopdf::Dictionary>,
    font: &[u8],
    bytes: &[u8],
    limit: usize,
) -> String {
    if let Some(dict) = fonts.get(font)
        && let Ok(enc) = dict.get_font_encoding_with_limit(doc, limit)
        && let Ok(s) = Document::decode_text(&enc, bytes)
    {
        return s;
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Text runs of a page with estimated positions (Tm/Td/TD/T*/Tj/TJ/'/" and the CTM; text inside form XObjects
/// is not followed).
pub fn page_text(doc: &Document, page_id: ObjectId, max_decompressed_size: usize) -> Vec<TextLine> {
    let Ok(raw) = doc.get_page_content_with_limit(page_id, max_decompressed_size) else {
        return Vec::new();
    };
    let Ok(content) = Content::decode(&raw) else {
        return Vec::new();
    };
    let fonts = doc.get_page_fonts(page_id).unwrap_or_default();
    let mut runs = Vec::new();
    let mut ctm = Matrix::IDENTITY;
    let mut stack: Vec<Matrix> = Vec::new();
    let mut ts = TextState {
        tm: Matrix::IDENTITY,
        tlm: Matrix::IDENTITY,
        font: Vec::new(),
        size: 12.0,
        leading: 0.0,
    };

    let show =
        |ts: &mut TextState, ctm: &Matrix, text: String, adjust: f64, runs: &mut Vec<TextLine>| {
            let chars = count_to_f64(text.chars().filter(|c| !c.is_control()).count());
            let advance = (chars * AVG_GLYPH_WIDTH * ts.size - adjust / 1000.0 * ts.size).max(0.0);
            let trm = ts.tm.then(ctm);
            let (x0, y0) = trm.apply(0.0, 0.0);
            let (x1, _) = trm.apply(advance, 0.0);
            let fs = (ts.size * trm.y_scale()).abs();
            if !text.trim().is_empty() && x0.is_finite() && y0.is_finite() && fs.is_finite() {
                runs.push(TextLine {
                    text,
                    rect: Rect::new(x0.min(x1), y0 - 0.25 * fs, x0.max(x1), y0 + 0.8 * fs),
                    font_size: fs,
                });
            }
            ts.tm = Matrix::translate(advance, 0.0).then(&ts.tm);
        };

    for op in content.operations.iter().take(MAX_OPERATIONS) {
        let n = operand_numbers(op);
        match op.operator.as_str() {
            "q" if stack.len() < 64 => stack.push(ctm),
            "Q" => ctm = stack.pop().unwrap_or(Matrix::IDENTITY),
            "cm" if n.len() == 6 => ctm = Matrix([n[0], n[1], n[2], n[3], n[4], n[5]]).then(&ctm),
            "BT" => {
                ts.tm = Matrix::IDENTITY;
                ts.tlm = Matrix::IDENTITY;
            }
            "Tf" => {
                if let Some(Object::Name(name)) = op.operands.first() {
                    ts.font = name.clone();
                }
                if let Some(&s) = n.first() {
                    ts.size = s;
                }
            }
            "TL" if !n.is_empty() => ts.leading = n[0],
            "Td" | "TD" if n.len() == 2 => {
                if op.operator == "TD" {
                    ts.leading = -n[1];
                }
                ts.tlm = Matrix::translate(n[0], n[1]).then(&ts.tlm);
                ts.tm = ts.tlm;
            }
            "Tm" if n.len() == 6 => {
                ts.tlm = Matrix([n[0], n[1], n[2], n[3], n[4], n[5]]);
                ts.tm = ts.tlm;
            }
            "T*" => {
                ts.tlm = Matrix::translate(0.0, -ts.leading).then(&ts.tlm);
                ts.tm = ts.tlm;
            }
            "Tj" | "'" | "\"" => {
                if op.operator != "Tj" {
                    ts.tlm = Matrix::translate(0.0, -ts.leading).then(&ts.tlm);
                    ts.tm = ts.tlm;
                }
                if let Some(Object::String(bytes, _)) = op.operands.last() {
                    let text = decode(doc, &fonts, &ts.font, bytes, max_decompressed_size);
                    show(&mut ts, &ctm, text, 0.0, &mut runs);
                }
            }
            "TJ" => {
                if let Some(Object::Array(items)) = op.operands.first() {
                    let mut text = String::new();
                    let mut adjust = 0.0;
                    for item in items {
                        match item {
                            Object::String(bytes, _) => text.push_str(&decode(
                                doc,
                                &fonts,
                                &ts.font,
                                bytes,
                                max_decompressed_size,
                            )),
                            other => {
                                let a = objects::as_number(other).unwrap_or(0.0);
                                // A large negative adjustment is a word space in many producers.
                                if a < -200.0 && !text.ends_with(' ') {
                                    text.push(' ');
                                }
                                adjust += a;
                            }
                        }
                    }
                    show(&mut ts, &ctm, text, adjust, &mut runs);
                }
            }
            _ => {}
        }
    }
    merge_lines(runs)
}

/// Join runs on the same baseline that follow each other, so "Hormat" + "saya" is one line.
fn merge_lines(runs: Vec<TextLine>) -> Vec<TextLine> {
    let mut out: Vec<TextLine> = Vec::new();
    for run in runs {
        if let Some(last) = out.last_mut() {
            let same_base = (last.rect.y0 - run.rect.y0).abs()
                < 0.3 * last.font_size.max(run.font_size).max(1.0);
            let gap = run.rect.x0 - last.rect.x1;
            if same_base && gap > -2.0 * last.font_size && gap < 2.5 * last.font_size.max(1.0) {
                if gap > 0.15 * last.font_size
                    && !last.text.ends_with(' ')
                    && !run.text.starts_with(' ')
                {
                    last.text.push(' ');
                }
                last.text.push_str(&run.text);
                last.rect = last.rect.union(&run.rect);
                last.font_size = last.font_size.max(run.font_size);
                continue;
            }
        }
        out.push(run);
    }
    out
}

/// Keywords that mark where a stamp belongs, strongest first: Indonesian, then English closings and
/// signature labels.
const KEYWORDS: [&str; 10] = [
    "meterai",
    "materai",
    "hormat saya",
    "tanda tangan",
    "yours faithfully",
    "yours sincerely",
    "sincerely",
    "signature",
    "signed",
    "yours truly",
];

/// The keyword of a signature line drawn as text ("______") or as a rule with a name next to it.
pub const SIGNATURE_LINE: &str = "garis tanda tangan";

/// Whether `word` occurs in `text` as whole words ("signed" is not in "designed").
fn contains_words(text: &str, word: &str) -> bool {
    let letter = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(word).any(|(at, _)| {
        !letter(text[..at].chars().next_back()) && !letter(text[at + word.len()..].chars().next())
    })
}

fn anchor_in(line: &str, signer: Option<&str>) -> Option<String> {
    let lower = line.to_lowercase();
    let compact: String = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(k) = KEYWORDS.iter().find(|k| contains_words(&compact, k)) {
        return Some((*k).to_string());
    }
    if compact.contains("_____") {
        return Some(SIGNATURE_LINE.to_string());
    }
    let name = signer?.trim().to_lowercase();
    (name.len() >= 3 && compact.contains(&name)).then_some(name)
}

/// Shortest drawn rule taken for a signature line (about 2 cm).
const MIN_RULE_PT: f64 = 56.0;
/// Thickest rule taken for a line rather than a box.
const MAX_RULE_THICKNESS_PT: f64 = 3.0;

/// Horizontal rules drawn on a page: stroked horizontal segments and thin filled rectangles (how
/// word processors draw a signature line or an underline), at least [`MIN_RULE_PT`] long, each as
/// the box it covers (its line width included) in user space. Form XObjects are not followed.
pub fn page_rules(doc: &Document, page_id: ObjectId, max_decompressed_size: usize) -> Vec<Rect> {
    let Ok(raw) = doc.get_page_content_with_limit(page_id, max_decompressed_size) else {
        return Vec::new();
    };
    let Ok(content) = Content::decode(&raw) else {
        return Vec::new();
    };
    let mut rules = Vec::new();
    let mut ctm = Matrix::IDENTITY;
    let mut stack: Vec<(Matrix, f64)> = Vec::new();
    let mut width = 1.0_f64;
    // The current path: segments (in user space) and rectangles.
    let mut segments: Vec<((f64, f64), (f64, f64))> = Vec::new();
    let mut boxes: Vec<Rect> = Vec::new();
    let mut at: Option<(f64, f64)> = None;
    let mut start: Option<(f64, f64)> = None;
    for op in content.operations.iter().take(MAX_OPERATIONS) {
        let n = operand_numbers(op);
        match op.operator.as_str() {
            "q" if stack.len() < 64 => stack.push((ctm, width)),
            "Q" => (ctm, width) = stack.pop().unwrap_or((Matrix::IDENTITY, 1.0)),
            "cm" if n.len() == 6 => ctm = Matrix([n[0], n[1], n[2], n[3], n[4], n[5]]).then(&ctm),
            "w" if !n.is_empty() => width = n[0].abs(),
            "m" if n.len() == 2 => {
                at = Some(ctm.apply(n[0], n[1]));
                start = at;
            }
            "l" if n.len() == 2 => {
                let to = ctm.apply(n[0], n[1]);
                if let Some(from) = at
                    && segments.len() < 100_000
                {
                    segments.push((from, to));
                }
                at = Some(to);
            }
            "h" => {
                if let (Some(from), Some(to)) = (at, start)
                    && segments.len() < 100_000
                {
                    segments.push((from, to));
                }
                at = start;
            }
            "re" if n.len() == 4 => {
                let (ax, ay) = ctm.apply(n[0], n[1]);
                let (bx, by) = ctm.apply(n[0] + n[2], n[1] + n[3]);
                if boxes.len() < 100_000 {
                    boxes.push(Rect::new(ax, ay, bx, by));
                }
            }
            "S" | "s" | "f" | "F" | "f*" | "B" | "B*" | "b" | "b*" | "n" => {
                let stroked = matches!(op.operator.as_str(), "S" | "s" | "B" | "B*" | "b" | "b*");
                let filled = matches!(
                    op.operator.as_str(),
                    "f" | "F" | "f*" | "B" | "B*" | "b" | "b*"
                );
                let half = (width * ctm.y_scale()).max(1.0) / 2.0;
                if stroked {
                    for &((x0, y0), (x1, y1)) in &segments {
                        if (y1 - y0).abs() <= 1.0 && (x1 - x0).abs() >= MIN_RULE_PT {
                            rules.push(Rect::new(x0, y0 - half, x1, y1 + half));
                        }
                    }
                }
                for b in &boxes {
                    let thin = b.height() <= MAX_RULE_THICKNESS_PT && b.width() >= MIN_RULE_PT;
                    if thin && filled {
                        rules.push(*b);
                    } else if thin && stroked {
                        rules.push(b.inset(-half));
                    }
                }
                segments.clear();
                boxes.clear();
                at = None;
                start = None;
            }
            _ => {}
        }
        if rules.len() >= 10_000 {
            break;
        }
    }
    rules.retain(|r| r.x0.is_finite() && r.y0.is_finite() && r.x1.is_finite() && r.y1.is_finite());
    rules
}

/// Text lines next to a rule as shown (the signer's name under it, or a label over it), nearest
/// first.
fn named_rules<'a>(
    rules: &[Rect],
    text: &'a [TextLine],
    frame: &super::geometry::PageFrame,
) -> Vec<(Rect, &'a TextLine)> {
    let mut out = Vec::new();
    for rule in rules {
        let shown = frame.to_display(rule);
        let near = text
            .iter()
            .map(|l| (l, frame.to_display(&l.rect)))
            .filter(|(l, r)| {
                let reach = 2.5 * l.font_size.max(6.0);
                let gap = (r.y0 - shown.y1).max(shown.y0 - r.y1);
                let side = r.x1 > shown.x0 - 10.0 && r.x0 < shown.x1 + 10.0;
                side && gap < reach && !l.text.trim().is_empty()
            })
            .min_by(|a, b| {
                let d = |r: &Rect| (r.y0 - shown.y1).abs().min((shown.y0 - r.y1).abs());
                d(&a.1).total_cmp(&d(&b.1))
            });
        if let Some((line, _)) = near {
            out.push((*rule, line));
        }
    }
    out
}

/// What `rect` on `page_id` would cover.
fn overlaps_on(
    doc: &Document,
    page_id: ObjectId,
    rect: &Rect,
    text: &[TextLine],
    rules: &[Rect],
) -> Vec<Overlap> {
    let mut out = Vec::new();
    let page_box = objects::page_box(doc, page_id);
    if !page_box.contains(rect) {
        out.push(Overlap::OutsidePage { page_box });
    }
    for (r, is_sig, name) in objects::page_annotations(doc, page_id) {
        if r.intersects(rect) {
            out.push(if is_sig {
                Overlap::SignatureField { name, rect: r }
            } else {
                Overlap::Annotation { name, rect: r }
            });
        }
    }
    for line in text {
        if line.rect.intersects(rect) {
            out.push(Overlap::Text {
                text: line.text.clone(),
                rect: line.rect,
            });
        }
    }
    for rule in rules {
        if rule.intersects(rect) {
            out.push(Overlap::Rule { rect: *rule });
        }
    }
    out
}

/// What a stamp at `rect` on `page` (1-based) would cover: signature fields, annotations, text, page edges.
pub fn check_overlaps(
    prepared: &PreparedDocument,
    page: u32,
    rect: &Rect,
    max_decompressed_size: usize,
) -> Vec<Overlap> {
    let doc = prepared.document();
    let Some(page_id) = prepared.page_id(page) else {
        return vec![Overlap::OutsidePage {
            page_box: Rect::new(0.0, 0.0, 0.0, 0.0),
        }];
    };
    let text = page_text(doc, page_id, max_decompressed_size);
    let rules = page_rules(doc, page_id, max_decompressed_size);
    overlaps_on(doc, page_id, rect, &text, &rules)
}

/// Candidate rectangles around an anchor line, in order of preference: below it, to its right, to its left,
/// above it; each also slid sideways so it can dodge neighbouring text.
fn candidates(anchor: &Rect, s: f64, g: f64) -> Vec<Rect> {
    let mid_y = (anchor.y0 + anchor.y1) / 2.0;
    let bases = [
        Rect::from_origin_size(anchor.x0, anchor.y0 - g - s, s, s),
        Rect::from_origin_size(anchor.x1 + g, mid_y - s / 2.0, s, s),
        Rect::from_origin_size(anchor.x0 - g - s, mid_y - s / 2.0, s, s),
        Rect::from_origin_size(anchor.x0, anchor.y1 + g, s, s),
    ];
    let mut out = Vec::new();
    for (i, b) in bases.iter().enumerate() {
        out.push(*b);
        let steps: &[f64] = if i == 0 || i == 3 {
            &[0.5, 1.0, -0.5, 1.5, 2.0]
        } else {
            &[-0.5, 0.5, -1.0, 1.0]
        };
        for &k in steps {
            if i == 0 || i == 3 {
                out.push(b.translate(k * s, 0.0));
            } else {
                out.push(b.translate(0.0, k * s));
            }
        }
    }
    out
}

/// What a page offers the proposal: its text lines and drawn rules.
struct PageContent {
    text: Vec<TextLine>,
    rules: Vec<Rect>,
}

fn is_free(
    doc: &Document,
    page_id: ObjectId,
    rect: &Rect,
    page: &PageContent,
    inner: &Rect,
) -> bool {
    inner.contains(rect)
        && overlaps_on(doc, page_id, &rect.inset(-1.0), &page.text, &page.rules)
            .iter()
            .all(|o| matches!(o, Overlap::OutsidePage { .. }))
}

/// The smallest stamp edge the proposal shrinks to on a small page (a 20 mm stamp keeps its serial
/// number and QR code legible after printing); below it the page is too small for a stamp.
pub const MIN_STAMP_MM: f64 = 20.0;

/// The stamp edge and the margin used on a page of `frame`: the requested edge and margin where
/// they fit; on a small page the margin shrinks to 6 % of its shorter side and the edge to what
/// fits inside it, but not below [`MIN_STAMP_MM`] (the proposal then keeps that edge and reports
/// that it leaves the page; stamping refuses it).
pub fn fitted_size(frame: &super::geometry::PageFrame, opts: &PlacementOptions) -> (f64, f64) {
    let (w, h) = frame.display_size();
    let margin = opts.margin_pt.min(0.06 * w.min(h)).max(0.0);
    let room = (w.min(h) - 2.0 * margin).max(0.0);
    let size = opts
        .size_pt
        .min(room)
        .max(mm_to_pt(MIN_STAMP_MM).min(opts.size_pt));
    (size, margin)
}

/// Propose a place for the stamp: next to the last signature-block line ("Meterai", "Materai", "Hormat saya",
/// "Tanda tangan", English closings and labels such as "Yours faithfully" or "Signature", a row of underscores, a
/// drawn signature line with a name by it, or the signer's name) searching from the last page backwards, inside
/// the margins and off any text, drawn rule, annotation or signature field; otherwise the lower right of the last
/// page inside the margins. On a small page the stamp is shrunk to fit ([`fitted_size`]).
pub fn propose(prepared: &PreparedDocument, opts: &PlacementOptions) -> Placement {
    let doc = prepared.document();
    let pages = objects::pages(doc);
    for (&page_no, &page_id) in pages.iter().rev() {
        let page = PageContent {
            text: page_text(doc, page_id, opts.max_decompressed_size),
            rules: page_rules(doc, page_id, opts.max_decompressed_size),
        };
        let text = &page.text;
        // Candidates are laid out on the page as the reader shows it (below, right of, … the line as
        // shown), then taken back to user space, where the overlap checks work.
        let frame = objects::page_frame(doc, page_id);
        let (s, margin) = fitted_size(&frame, opts);
        let inner = objects::page_box(doc, page_id).inset(margin);
        // Lowest matching line first: signature blocks sit at the end of a letter.
        let mut anchors: Vec<(&TextLine, Rect, String)> = text
            .iter()
            .filter_map(|l| {
                anchor_in(&l.text, opts.signer_name.as_deref())
                    .map(|k| (l, frame.to_display(&l.rect), k))
            })
            .collect();
        // A drawn signature line with a name under (or a label over) it: the stamp goes beside
        // the line and its name, never on them.
        for (rule, line) in named_rules(&page.rules, text, &frame) {
            anchors.push((
                line,
                frame.to_display(&rule.union(&line.rect)),
                SIGNATURE_LINE.to_string(),
            ));
        }
        anchors.sort_by(|a, b| {
            let rank = |k: &str| {
                KEYWORDS
                    .iter()
                    .position(|x| *x == k)
                    .unwrap_or(KEYWORDS.len())
            };
            rank(&a.2).cmp(&rank(&b.2)).then(a.1.y0.total_cmp(&b.1.y0))
        });
        for (line, shown, keyword) in anchors {
            if let Some(rect) = candidates(&shown, s, opts.gap_pt)
                .into_iter()
                .map(|r| frame.to_user(&r))
                .find(|r| is_free(doc, page_id, r, &page, &inner))
            {
                return Placement {
                    page: page_no,
                    rect,
                    basis: PlacementBasis::Anchor {
                        keyword,
                        line: line.text.clone(),
                    },
                    overlaps: Vec::new(),
                };
            }
        }
    }
    fallback(prepared, opts)
}

/// Lower right of the last page inside the margins, moved up or left to a free spot when one exists nearby.
fn fallback(prepared: &PreparedDocument, opts: &PlacementOptions) -> Placement {
    let doc = prepared.document();
    let pages = objects::pages(doc);
    let Some((&page_no, &page_id)) = pages.iter().next_back() else {
        return Placement {
            page: 1,
            rect: Rect::from_origin_size(0.0, 0.0, opts.size_pt, opts.size_pt),
            basis: PlacementBasis::Fallback,
            overlaps: Vec::new(),
        };
    };
    let page = PageContent {
        text: page_text(doc, page_id, opts.max_decompressed_size),
        rules: page_rules(doc, page_id, opts.max_decompressed_size),
    };
    // The lower right of the page as shown, searched upwards and leftwards as shown.
    let frame = objects::page_frame(doc, page_id);
    let (s, margin) = fitted_size(&frame, opts);
    let inner = objects::page_box(doc, page_id).inset(margin);
    if page.text.is_empty()
        && let Some(rect) = emptiest_lower_half(
            prepared,
            page_no,
            page_id,
            &frame,
            s,
            margin,
            opts.gap_pt,
            &page,
            &inner,
        )
    {
        return Placement {
            page: page_no,
            rect,
            basis: PlacementBasis::EmptiestArea,
            overlaps: Vec::new(),
        };
    }
    let (w, h) = frame.display_size();
    let shown = Rect::new(0.0, 0.0, w, h).inset(margin);
    let shown_corner = Rect::from_origin_size(shown.x1 - s, shown.y0, s, s);
    let corner = frame.to_user(&shown_corner);
    let step = 12.0;
    let rows = f64_to_count(((shown.height() / 2.0 - s) / step).max(0.0));
    let cols = f64_to_count(((shown.width() - s) / step).max(0.0));
    for row in 0..=rows {
        for col in 0..=cols {
            let r = frame.to_user(
                &shown_corner.translate(-count_to_f64(col) * step, count_to_f64(row) * step),
            );
            if is_free(doc, page_id, &r, &page, &inner) {
                return Placement {
                    page: page_no,
                    rect: r,
                    basis: PlacementBasis::Fallback,
                    overlaps: Vec::new(),
                };
            }
        }
    }
    let overlaps = overlaps_on(doc, page_id, &corner, &page.text, &page.rules);
    Placement {
        page: page_no,
        rect: corner,
        basis: PlacementBasis::Fallback,
        overlaps,
    }
}

/// Width of the picture the emptiest-area search looks at: about a millimetre a pixel on A4, and a
/// few milliseconds to draw.
const PICTURE_WIDTH_PX: f32 = 200.0;
/// A pixel this dark (of 255) is writing, not the grey of scanned paper or its speckles.
const INK: u8 = 96;

/// On a page without a text layer (a scan), the square of edge `s` inside the margin in the lower
/// half of the page as shown whose surroundings (the square and the anchor gap around it) hold the
/// fewest dark pixels of the page's picture; among places nearly as empty (a pixel in 500 more),
/// the one nearest the lower right corner; never on an annotation or a signature field. `None`
/// when the lower right corner itself is as empty as that (the usual fallback then stands), the
/// page cannot be drawn, or nothing there is free.
#[allow(clippy::too_many_arguments)]
fn emptiest_lower_half(
    prepared: &PreparedDocument,
    page_no: u32,
    page_id: ObjectId,
    frame: &super::geometry::PageFrame,
    s: f64,
    margin: f64,
    gap: f64,
    page: &PageContent,
    inner: &Rect,
) -> Option<Rect> {
    let index = usize::try_from(page_no.checked_sub(1)?).ok()?;
    let picture = super::picture::page(prepared.shared_bytes(), index, PICTURE_WIDTH_PX)?;
    let (w, h) = frame.display_size();
    let (pw, ph) = (usize::from(picture.width), usize::from(picture.height));
    let scale = f64::from(picture.width) / w;
    let side = f64_to_count((s * scale).ceil());
    let m = f64_to_count((margin * scale).ceil());
    let g = f64_to_count((gap * scale).ceil());
    if side == 0 || pw < side + 2 * m || ph < side + 2 * m || picture.ink.len() < pw * ph {
        return None;
    }
    // Summed-area table of dark pixels: the count in any rectangle in four look-ups.
    let stride = pw + 1;
    let mut sat = vec![0u32; stride * (ph + 1)];
    for y in 0..ph {
        let mut row = 0u32;
        for x in 0..pw {
            row += u32::from(picture.ink[y * pw + x] >= INK);
            sat[(y + 1) * stride + x + 1] = sat[y * stride + x + 1] + row;
        }
    }
    let dark = |x: usize, y: usize| {
        let (x0, y0) = (x.saturating_sub(g), y.saturating_sub(g));
        let (x1, y1) = ((x + side + g).min(pw), (y + side + g).min(ph));
        sat[y1 * stride + x1] + sat[y0 * stride + x0]
            - sat[y0 * stride + x1]
            - sat[y1 * stride + x0]
    };
    let (right, bottom) = (pw - m - side, ph - m - side);
    let top = (ph / 2).min(bottom);
    let mut places: Vec<(u32, usize, usize, usize)> = (top..=bottom)
        .flat_map(|y| (m..=right).map(move |x| (x, y)))
        .map(|(x, y)| {
            let far = (right - x).pow(2) + (bottom - y).pow(2);
            (dark(x, y), far, x, y)
        })
        .collect();
    let least = places.iter().map(|p| p.0).min()?;
    let enough = least + u32::try_from(side * side / 500).unwrap_or(0);
    // A lower right corner as empty as any place: the usual fallback, at its exact place.
    if dark(right, bottom) <= enough {
        return None;
    }
    // Empty enough first, nearest the corner first; then the rest, emptiest first.
    places.sort_unstable_by_key(|&(dark, far, _, _)| {
        if dark <= enough {
            (0, far)
        } else {
            (1, dark as usize)
        }
    });
    let doc = prepared.document();
    places.into_iter().find_map(|(_, _, x, y)| {
        let x0 = count_to_f64(x) / scale;
        let y1 = h - count_to_f64(y) / scale;
        let rect = frame.to_user(&Rect::new(x0, y1 - s, x0 + s, y1));
        is_free(doc, page_id, &rect, page, inner).then_some(rect)
    })
}
