//! A small text-only PDF writer for the notices: A4 pages of monospaced
//! lines in Courier, one of the fourteen fonts every PDF reader carries, so
//! nothing is embedded and every character has the same width (tables line
//! up as they do on a terminal). Text is encoded in WinAnsi (Latin-1 and a
//! few typographic signs); a character outside it is shown as `?` and
//! counted, so the caller can say so.

use pdf_writer::{Content, Finish as _, Name, Pdf, Rect, Ref, Str, TextStr};

/// How a line is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// The document's title (bold, large).
    Title,
    /// A section heading (bold).
    Heading,
    /// Body text and tables.
    Body,
    /// Smaller body text, for tables too wide for [`Style::Body`].
    Small,
    /// An empty line of body height.
    Gap,
}

impl Style {
    /// Font size in points.
    const fn size(self) -> f32 {
        match self {
            Self::Title => 14.0,
            Self::Heading => 11.0,
            Self::Body | Self::Gap => 9.0,
            Self::Small => 7.5,
        }
    }

    /// Line height in points.
    const fn leading(self) -> f32 {
        match self {
            Self::Title => 20.0,
            Self::Heading => 16.0,
            Self::Body | Self::Gap => 11.0,
            Self::Small => 9.5,
        }
    }

    /// Characters of this style that fit the text width (Courier glyphs
    /// are 0.6 em wide).
    pub fn columns(self) -> usize {
        // TEXT_WIDTH / (0.6 * size), rounded down (checked in the tests).
        match self {
            Self::Title => 60,
            Self::Heading => 76,
            Self::Body | Self::Gap => 93,
            Self::Small => 112,
        }
    }
}

/// A4 in points, the top and bottom margin, and the left and right one.
const PAGE: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 50.0;
const SIDE: f32 = 44.0;
/// The width lines are set in; [`Style::columns`] follows from it.
#[cfg(test)]
const TEXT_WIDTH: f32 = PAGE.0 - 2.0 * SIDE;

/// A finished document.
pub struct Written {
    /// The PDF file's bytes.
    pub bytes: Vec<u8>,
    /// Characters shown as `?` because WinAnsi has no code for them.
    pub replaced: usize,
}

/// `text` in WinAnsi, and how many characters had no code there.
pub fn win_ansi(text: &str) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(text.len());
    let mut replaced = 0;
    for c in text.chars() {
        let code = match c {
            ' '..='~' => Some(c as u8),
            '\u{a0}'..='\u{ff}' => u8::try_from(u32::from(c)).ok(),
            '€' => Some(0x80),
            '‚' => Some(0x82),
            '„' => Some(0x84),
            '…' => Some(0x85),
            '‘' => Some(0x91),
            '’' => Some(0x92),
            '“' => Some(0x93),
            '”' => Some(0x94),
            '•' => Some(0x95),
            '–' => Some(0x96),
            '—' => Some(0x97),
            'Š' => Some(0x8a),
            'š' => Some(0x9a),
            'Ž' => Some(0x8e),
            'ž' => Some(0x9e),
            'Œ' => Some(0x8c),
            'œ' => Some(0x9c),
            'Ÿ' => Some(0x9f),
            '\t' => Some(b' '),
            _ => None,
        };
        out.push(code.unwrap_or_else(|| {
            replaced += 1;
            b'?'
        }));
    }
    (out, replaced)
}

/// `text` broken into lines of at most `width` characters, at spaces
/// where it can be and inside a word longer than a line where it cannot.
/// Nothing is dropped but the spaces a line break replaces.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        if len > 0 && len + 1 + word.len() <= width {
            line.push(' ');
            line.extend(&word);
            len += 1 + word.len();
            continue;
        }
        if len > 0 {
            lines.push(core::mem::take(&mut line));
        }
        while word.len() > width {
            let rest = word.split_off(width);
            lines.push(word.iter().collect());
            word = rest;
        }
        line = word.iter().collect();
        len = word.len();
    }
    lines.push(line);
    lines
}

/// The PDF of `lines`, `title` in its document information and in every
/// page's footer with the page number.
pub fn document(title: &str, lines: &[(Style, String)]) -> Written {
    // Lay the lines out on pages first: the page tree needs the count.
    let mut pages: Vec<Vec<(Style, f32, &str)>> = vec![Vec::new()];
    let mut y = PAGE.1 - MARGIN;
    for (style, text) in lines {
        let leading = style.leading();
        if y - leading < MARGIN {
            pages.push(Vec::new());
            y = PAGE.1 - MARGIN;
            if *style == Style::Gap {
                continue;
            }
        }
        y -= leading;
        if let Some(page) = pages.last_mut() {
            page.push((*style, y, text.as_str()));
        }
    }
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 6;
    let page_ref = |k: usize, content: bool| {
        Ref::new(i32::try_from(first_page + 2 * k + usize::from(content)).unwrap_or(i32::MAX))
    };
    pdf.catalog(catalog).pages(tree);
    let count = i32::try_from(pages.len()).unwrap_or(i32::MAX);
    pdf.pages(tree).kids((0..pages.len()).map(|k| page_ref(k, false))).count(count);
    pdf.type1_font(regular)
        .base_font(Name(b"Courier"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Courier-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info).title(TextStr(title)).producer(TextStr("lotledger"));
    let mut replaced = 0;
    let total = pages.len();
    for (k, page_lines) in pages.iter().enumerate() {
        let mut page = pdf.page(page_ref(k, false));
        page.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1));
        page.parent(tree);
        page.contents(page_ref(k, true));
        page.resources().fonts().pair(Name(b"F1"), regular).pair(Name(b"F2"), bold);
        page.finish();
        let mut content = Content::new();
        let footer = format!("{title} - page {} of {total}", k + 1);
        let footer_lines = wrap(&footer, Style::Body.columns());
        let footer = footer_lines.first().map_or("", String::as_str);
        for (style, y, text) in
            page_lines.iter().copied().chain(core::iter::once((Style::Body, MARGIN / 2.0, footer)))
        {
            if style == Style::Gap || text.is_empty() {
                continue;
            }
            let font = if matches!(style, Style::Title | Style::Heading) { b"F2" } else { b"F1" };
            let (bytes, r) = win_ansi(text);
            replaced += r;
            content.begin_text();
            content.set_font(Name(font), style.size());
            content.next_line(SIDE, y);
            content.show(Str(&bytes));
            content.end_text();
        }
        pdf.stream(page_ref(k, true), &content.finish());
    }
    // The footer repeats the title on every page: count its replacements once.
    let title_replaced = win_ansi(title).1;
    let replaced = replaced.saturating_sub(title_replaced * total.saturating_sub(1));
    Written { bytes: pdf.finish(), replaced }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guards the encoding: Latin-1 and the typographic signs have their
    /// WinAnsi codes, anything else becomes `?` and is counted.
    #[test]
    fn win_ansi_codes_and_replacements() {
        assert_eq!(win_ansi("Zürich – 5 €"), (b"Z\xfcrich \x96 5 \x80".to_vec(), 0));
        assert_eq!(win_ansi("Łódź"), (b"?\xf3d?".to_vec(), 2));
    }

    /// Guards the column counts against the text width: the widest line
    /// of each style fits, one more character would not.
    #[test]
    fn columns_fill_the_text_width() {
        for style in [Style::Title, Style::Heading, Style::Body, Style::Small] {
            let glyph = 0.6 * style.size();
            let n = style.columns() as f32;
            assert!(n * glyph <= TEXT_WIDTH && (n + 1.0) * glyph > TEXT_WIDTH, "{style:?}");
        }
    }

    /// Guards wrapping: at spaces, long words cut, nothing but the
    /// breaking spaces lost, no line over the width.
    #[test]
    fn wrap_keeps_every_character() {
        let text = "Nicotine transdermal patch 21 mg/24 h, 7 patches gtin:09506000134680";
        let lines = wrap(text, 12);
        assert!(lines.iter().all(|l| l.chars().count() <= 12), "{lines:?}");
        assert_eq!(lines.join(" ").replace(' ', ""), text.replace(' ', ""));
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
    }

    /// Guards the page layout: enough lines flow onto more pages, each
    /// page is in the tree, and the text is in the content streams.
    #[test]
    fn long_documents_get_more_pages() {
        let lines: Vec<(Style, String)> =
            (0..150).map(|i| (Style::Body, format!("line {i} (with parentheses)"))).collect();
        let w = document("Test", &lines);
        let text = String::from_utf8_lossy(&w.bytes);
        // 67 lines of 11 pt fit the 742 pt of a page: 150 lines take 3.
        assert!(text.starts_with("%PDF-"));
        assert!(text.contains("/Count 3"));
        assert!(text.contains("line 149 ") && text.contains("with parentheses"));
        assert!(text.contains("Test - page 3 of 3"));
        assert_eq!(w.replaced, 0);
    }
}
